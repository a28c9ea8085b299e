package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// WampdProcess is a wampd started by wampbench full: its listeners as read
// from its log, and its process id for RSS and CPU figures.
type WampdProcess struct {
	cmd     *exec.Cmd
	drained chan struct{}
	// WS and RS are the router URLs (ws://.../ws, rs://host:port); Debug
	// and Metrics are its debug and Prometheus listeners (http://host:port),
	// empty without them.
	WS, RS, Debug, Metrics string
}

var (
	wampdWS      = regexp.MustCompile(`transport=websocket .*url=(ws://\S+)`)
	wampdRS      = regexp.MustCompile(`transport=rawsocket addr=(\S+)`)
	wampdDebug   = regexp.MustCompile(`msg=debug addr=(\S+)`)
	wampdMetrics = regexp.MustCompile(`msg=metrics addr=(\S+)`)
)

// StartWampd runs bin with args (plus env entries such as GOMAXPROCS=1),
// copying its log to logPath, and waits up to 10s for its WebSocket and
// RawSocket listeners (and debug listener when debug is set) to be logged.
func StartWampd(bin string, args, env []string, logPath string, debug bool) (*WampdProcess, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("bench: wampd log: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("bench: wampd stderr: %w", err)
	}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("bench: start %s: %w", bin, err)
	}
	p := &WampdProcess{cmd: cmd, drained: make(chan struct{})}
	type addrs struct{ ws, rs, debug, metrics string }
	found := make(chan addrs, 1)
	// The reader owns stderr until EOF (wampd's exit): it hands the
	// addresses over once and copies every line to the log.
	go func() {
		defer close(p.drained)
		defer logf.Close()
		defer func() { _, _ = io.Copy(logf, stderr) }()
		var a addrs
		sent := false
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if sent {
				continue
			}
			if m := wampdWS.FindStringSubmatch(line); m != nil && a.ws == "" {
				a.ws = m[1]
			}
			if m := wampdRS.FindStringSubmatch(line); m != nil && a.rs == "" {
				a.rs = "rs://" + m[1]
			}
			if m := wampdDebug.FindStringSubmatch(line); m != nil && a.debug == "" {
				a.debug = "http://" + m[1]
			}
			if m := wampdMetrics.FindStringSubmatch(line); m != nil && a.metrics == "" {
				a.metrics = "http://" + m[1]
			}
			if a.ws != "" && a.rs != "" && (!debug || a.debug != "") {
				found <- a
				sent = true
			}
		}
	}()
	select {
	case a := <-found:
		p.WS, p.RS, p.Debug, p.Metrics = a.ws, a.rs, a.debug, a.metrics
		return p, nil
	case <-p.drained:
		_ = cmd.Wait()
		return nil, fmt.Errorf("bench: wampd exited before listening (see %s)", logPath)
	case <-time.After(10 * time.Second):
		p.Stop()
		return nil, fmt.Errorf("bench: wampd did not log its listeners within 10s (see %s)", logPath)
	}
}

// PID is the router's process id.
func (p *WampdProcess) PID() int { return p.cmd.Process.Pid }

// Stop sends SIGTERM, waits up to 10s (then kills) and reaps the process.
func (p *WampdProcess) Stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.drained:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.drained
	}
	_ = p.cmd.Wait()
}

// Counter reads one counter (no labels) from the router's Prometheus
// /metrics; ok is false without a metrics listener or the counter.
func (p *WampdProcess) Counter(ctx context.Context, name string) (v float64, ok bool) {
	if p.Metrics == "" {
		return 0, false
	}
	b, err := debugGet(ctx, p.Metrics, "/metrics")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, found := strings.CutPrefix(line, name+" "); found {
			f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return f, err == nil
		}
	}
	return 0, false
}
