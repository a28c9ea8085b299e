package bench

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// wampdBinary builds ../cmd/wampd once per test binary run.
var wampdBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "wampbench-test")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "wampd")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/wampd").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// router is a wampd started for one test.
type router struct {
	cmd    *exec.Cmd
	ws, rs string
}

var (
	wsLine = regexp.MustCompile(`transport=websocket .*url=(ws://\S+)`)
	rsLine = regexp.MustCompile(`transport=rawsocket addr=(\S+)`)
)

// startWampd starts wampd on ephemeral loopback ports and waits for both
// listeners to be logged; it is stopped with SIGTERM at the end of the test.
func startWampd(t *testing.T) *router {
	t.Helper()
	bin, err := wampdBinary()
	if err != nil {
		t.Fatalf("wampd does not build: %v", err)
	}
	cmd := exec.Command(bin, "--ws", "127.0.0.1:0", "--rawsocket", "127.0.0.1:0", "--realm", "realm1", "--realm", "realm2", "--log-format", "text")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start wampd: %v", err)
	}
	// The reader goroutine owns the parsing state; it hands the two
	// addresses over once, on found, and keeps draining stderr until wampd
	// exits (EOF) so that the router never blocks on a full pipe; drained
	// tells the cleanup that every read is done, as cmd.Wait requires.
	type addrs struct{ ws, rs string }
	found := make(chan addrs, 1)
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		defer func() { _, _ = io.Copy(io.Discard, stderr) }() // after a scanner error too
		var a addrs
		sent := false
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if sent {
				continue
			}
			line := sc.Text()
			if m := wsLine.FindStringSubmatch(line); m != nil && a.ws == "" {
				a.ws = m[1]
			}
			if m := rsLine.FindStringSubmatch(line); m != nil && a.rs == "" {
				a.rs = "rs://" + m[1]
			}
			if a.ws != "" && a.rs != "" {
				found <- a
				sent = true
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-drained:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-drained
		}
		_ = cmd.Wait()
	})
	select {
	case a := <-found:
		return &router{cmd: cmd, ws: a.ws, rs: a.rs}
	case <-time.After(10 * time.Second):
		t.Fatal("wampd did not log its listeners within 10s")
		return nil
	}
}

// testCtx bounds a test's run.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
