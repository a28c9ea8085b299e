package bench

import (
	"bufio"
	"context"
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
		t.Skipf("wampd does not build yet, skipping the router test: %v", err)
	}
	cmd := exec.Command(bin, "--ws", "127.0.0.1:0", "--rawsocket", "127.0.0.1:0", "--realm", "realm1", "--log-format", "text")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start wampd: %v", err)
	}
	r := &router{cmd: cmd}
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if m := wsLine.FindStringSubmatch(line); m != nil && r.ws == "" {
				r.ws = m[1]
			}
			if m := rsLine.FindStringSubmatch(line); m != nil && r.rs == "" {
				r.rs = "rs://" + m[1]
			}
			if r.ws != "" && r.rs != "" && found != nil {
				close(found)
				found = nil
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	select {
	case <-found:
	case <-time.After(10 * time.Second):
		t.Fatal("wampd did not log its listeners within 10s")
	}
	return r
}

// testCtx bounds a test's run.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
