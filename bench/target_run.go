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

// Targets lists what RunTarget runs against.
var Targets = []string{"router", "raw", "both", "nats"}

// RunTarget runs cfg against the router at cfg.URL ("router"), against the
// built-in raw baseline server ("raw"), both one after the other ("both"),
// in which case the router's result carries the baseline and the ratio of
// the two throughputs, or the same shape against nats-server ("nats").
func RunTarget(ctx context.Context, cfg Config, target string) (*Result, error) {
	switch target {
	case "", "router":
		return Run(ctx, cfg)
	case "raw":
		return runRaw(ctx, cfg)
	case "nats":
		return runNATSTarget(ctx, cfg)
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
	raw.RouterPID, raw.RouterPIDs, raw.RouterDebug = 0, nil, ""
	raw.CalleeURL, raw.SubURLs = "", nil // the baseline is one server: every session goes to it
	var addr string
	if len(cfg.RawServerCmd) > 0 {
		child, err := startChild(cfg.RawServerCmd, RawServerReady)
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

// runNATSTarget runs cfg against cfg.NATSURL, or against a nats-server it
// starts (a child process when cfg.NATSServerCmd is set) and stops.
func runNATSTarget(ctx context.Context, cfg Config) (*Result, error) {
	url := cfg.NATSURL
	switch {
	case url != "":
	case len(cfg.NATSServerCmd) > 0:
		child, err := startChild(cfg.NATSServerCmd, NATSServerReady)
		if err != nil {
			return nil, err
		}
		defer child.stop()
		url, cfg.RouterPID, cfg.RouterPIDs = child.addr, child.cmd.Process.Pid, nil
	default:
		srv, err := StartNATSServer("127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer srv.Close()
		url, cfg.RouterPID, cfg.RouterPIDs = srv.URL(), 0, nil
	}
	cfg.RouterDebug = ""
	if cfg.Name == "" || cfg.Name == cfg.Scenario {
		cfg.Name = "nats-" + cfg.Scenario
	}
	return runNATS(ctx, cfg, url)
}

// RawServerReady is the line a raw server child prints on stdout once
// bound, followed by its host:port.
const RawServerReady = "wampbench raw server listening on "

// serverChild is a server (the raw server, nats-server) running as a child
// process of wampbench.
type serverChild struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

// startChild runs argv, which must serve on a free loopback port and print
// ready followed by its address on a line of stdout, and waits up to 10s
// for the address.
func startChild(argv []string, ready string) (*serverChild, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: server child %s: %w", argv[0], err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start server child %s: %w", argv[0], err)
	}
	c := &serverChild{cmd: cmd, done: make(chan struct{})}
	addrs := make(chan string, 1)
	// The reader owns stdout until EOF (the child's exit), so the child
	// never blocks on a full pipe; done tells stop that reading is over.
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), ready); ok {
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
		return nil, fmt.Errorf("bench: server child %s exited before listening", argv[0])
	case <-time.After(10 * time.Second):
		c.stop()
		return nil, fmt.Errorf("bench: server child %s: %w", argv[0], ErrTimeout)
	}
}

// stop ends the child (SIGTERM, then SIGKILL after 5s) and reaps it.
func (c *serverChild) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	_ = c.cmd.Wait()
}
