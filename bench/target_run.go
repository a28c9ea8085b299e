package bench

import (
	"context"
	"fmt"
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
		res.Baseline = &BaselineInfo{Throughput: base.Throughput, Latency: base.Latency}
		if base.Throughput > 0 {
			res.Baseline.Ratio = res.Throughput / base.Throughput
		}
		return res, nil
	}
	return nil, fmt.Errorf("%w: target %q", ErrConfig, target)
}

// runRaw starts the raw server on a free loopback port with cfg's transport
// and runs cfg against it.
func runRaw(ctx context.Context, cfg Config) (*Result, error) {
	ep, err := ParseEndpoint(cfg.URL)
	if err != nil {
		return nil, err
	}
	srv, err := StartRawServer("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	raw := cfg
	if ep.Transport == RawSocket {
		raw.URL = "rs://" + srv.Addr()
	} else {
		raw.URL = "ws://" + srv.Addr() + "/ws"
	}
	if raw.Name == "" || raw.Name == cfg.Scenario {
		raw.Name = "raw-" + cfg.Scenario
	} else {
		raw.Name += " (raw)"
	}
	raw.RouterPID = 0
	res, err := Run(ctx, raw)
	if err != nil {
		return nil, err
	}
	res.Target.Kind = "raw"
	return res, nil
}
