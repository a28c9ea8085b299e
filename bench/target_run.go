package bench

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// RunTarget runs cfg against the router at cfg.URL ("router"), against the
// built-in raw baseline server ("raw"), or both one after the other
// ("both"), in which case the router's result carries the baseline and the
// ratio of the two throughputs.
func RunTarget(ctx context.Context, cfg Config, target string) (*Result, error) {
	switch target {
	case "", "router":
		return Run(ctx, cfg)
	case "raw":
		return runRaw(ctx, cfg)
	case "both":
		res, err := Run(ctx, cfg)
		if err != nil {
			return nil, err
		}
		base, err := runRaw(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		res.Baseline = &BaselineInfo{Throughput: base.Throughput, Latency: base.Latency, CPUUsPerOp: base.RouterCPUUsPerOp}
		if base.Throughput > 0 {
			res.Baseline.Ratio = res.Throughput / base.Throughput
		}
		return res, nil
	}
	return nil, fmt.Errorf("%w: target %q", ErrConfig, target)
}

// runRaw starts the raw server on a free loopback port with cfg's transport
// and runs cfg against it: in a child process when cfg.RawServerCmd is set
// (the fair set-up: its own runtime and threads, like a router, and its CPU
// time measured like a router's), in this process otherwise.
func runRaw(ctx context.Context, cfg Config) (*Result, error) {
	ep, err := ParseEndpoint(cfg.URL)
	if err != nil {
		return nil, err
	}
	raw := cfg
	raw.RouterPID, raw.RouterDebug = 0, ""
	var addr string
	if len(cfg.RawServerCmd) > 0 {
		child, err := startRawChild(cfg.RawServerCmd)
		if err != nil {
			return nil, err
		}
		defer child.stop()
		addr, raw.RouterPID = child.addr, child.cmd.Process.Pid
	} else {
		srv, err := StartRawServer("127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer srv.Close()
		addr = srv.Addr()
	}
	if ep.Transport == RawSocket {
		raw.URL = "rs://" + addr
	} else {
		raw.URL = "ws://" + addr + "/ws"
	}
	if raw.Name == "" || raw.Name == cfg.Scenario {
		raw.Name = "raw-" + cfg.Scenario
	} else {
		raw.Name += " (raw)"
	}
	res, err := Run(ctx, raw)
	if err != nil {
		return nil, err
	}
	res.Target.Kind = "raw"
	return res, nil
}

// RawServerReady is the line a raw server child prints on stdout once
// bound, followed by its host:port.
const RawServerReady = "wampbench raw server listening on "

// rawChild is a raw server running as a child process.
type rawChild struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// startRawChild runs argv (which must serve a RawServer on a free loopback
// port and print RawServerReady + address) and waits for the address.
func startRawChild(argv []string) (*rawChild, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: raw server child: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start raw server child: %w", err)
	}
	c := &rawChild{cmd: cmd, done: make(chan struct{})}
	addrs := make(chan string, 1)
	// The reader owns stdout until EOF (the child's exit), so the child
	// never blocks on a full pipe; done tells stop that reading is over.
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), RawServerReady); ok {
				select {
				case addrs <- strings.TrimSpace(a):
				default:
				}
			}
		}
	}()
	select {
	case c.addr = <-addrs:
		return c, nil
	case <-c.done:
		_ = cmd.Wait()
		return nil, fmt.Errorf("bench: raw server child exited before listening")
	case <-time.After(10 * time.Second):
		c.stop()
		return nil, fmt.Errorf("bench: raw server child: %w", ErrTimeout)
	}
}

// stop ends the child (SIGTERM, then SIGKILL after 5s) and reaps it.
func (c *rawChild) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	_ = c.cmd.Wait()
}
