package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wampd/wampd/codec"
)

// CompareConfig is `wampbench compare` (make bench-nats): the shapes of
// issue #11 against a wampd it starts and against nats-server, one table.
type CompareConfig struct {
	Wampd string // wampd binary
	// WampdConfig is passed to wampd as --config; empty runs wampd's
	// embedded default configuration with --realm Realm.
	WampdConfig string
	// Realm is the realm the WAMP sessions join (default realm1).
	Realm      string
	Transport  Transport        // WAMP transport to wampd (default RawSocket, NATS's peer: plain TCP framing)
	Serializer codec.Serializer // WAMP serializer and the payload's encoding on both (default MessagePack)

	// NATSURL is an external nats-server (nats://host:port) and NATSPID
	// its pid for CPU and RSS (0: not measured); with NATSURL empty, one
	// is started: as the child process NATSServerCmd when set, in-process
	// otherwise.
	NATSURL       string
	NATSPID       int
	NATSServerCmd []string

	Duration, Warmup time.Duration // of every run (default 2s, 1s)
	// Rate is the publications per second of the fixed-rate fan-out rows
	// (default 200); InFlight the publications a flat-out publisher keeps
	// in flight (default 128).
	Rate     float64
	InFlight int
	Shapes   []string // the CompareShapes names to run; empty: all
	OutDir   string   // every run's JSON, the table's JSON and wampd's log
	Log      io.Writer
	Progress io.Writer
}

// CompareShape is one shape of the comparison, run on both servers.
type CompareShape struct {
	Name, What string
	Config     Config
}

// CompareShapes are the shapes of issue #11: fan-out 1 -> 100 and
// 1 -> 1,000 (64 B, flat out and at rate), pub/sub 1 -> 1 flat out,
// request/reply 1x1 and 8x16 (callers x calls in flight).
func CompareShapes(rate float64, inflight int) []CompareShape {
	fan := func(n int, r float64) Config {
		return Config{Scenario: ScenarioFanout, Subscribers: n, Rate: r, InFlight: inflight}
	}
	flat := fmt.Sprintf("flat out (%d in flight)", inflight)
	at := num(rate) + " publications/s"
	return []CompareShape{
		{"fanout-100", "fan-out 1→100, " + flat, fan(100, 0)},
		{"fanout-100-rate", "fan-out 1→100, " + at, fan(100, rate)},
		{"fanout-1000", "fan-out 1→1,000, " + flat, fan(1000, 0)},
		{"fanout-1000-rate", "fan-out 1→1,000, " + at, fan(1000, rate)},
		{"pubsub-1x1", "pub/sub 1→1, " + flat, Config{Scenario: ScenarioPubSub, Publishers: 1, Subscribers: 1, InFlight: inflight}},
		{"rpc-1x1", "RPC / request-reply 1×1", Config{Scenario: ScenarioRPC, Callers: 1, Callees: 1, InFlight: 1}},
		{"rpc-8x16", "RPC / request-reply 8 callers × 16 in flight", Config{Scenario: ScenarioRPC, Callers: 8, Callees: 1, InFlight: 16}},
	}
}

// CompareRow is one shape on one server; Err is why it has no Result.
type CompareRow struct {
	Shape  string  `json:"shape"`
	What   string  `json:"what"`
	Server string  `json:"server"` // wampd or nats-server
	Result *Result `json:"result,omitempty"`
	Err    string  `json:"error,omitempty"`
}

func (c *CompareConfig) defaults() {
	if c.Realm == "" {
		c.Realm = "realm1"
	}
	if c.Transport == 0 {
		c.Transport = RawSocket
	}
	if c.Serializer == 0 {
		c.Serializer = codec.MsgPack
	}
	if c.Duration <= 0 {
		c.Duration = 2 * time.Second
	}
	if c.Warmup <= 0 {
		c.Warmup = time.Second
	}
	if c.Rate <= 0 {
		c.Rate = 200
	}
	if c.InFlight <= 0 {
		c.InFlight = 128
	}
	if c.OutDir == "" {
		c.OutDir = "bench-results/nats"
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// RunCompare starts wampd (and nats-server unless given one), runs every
// shape on wampd, then on nats-server, shape after shape (so a noisy spell
// of the machine falls on both sides of a pair), and stops them. A run that
// fails is a row with its error, not the end of the comparison.
func RunCompare(ctx context.Context, cfg CompareConfig) ([]CompareRow, error) {
	cfg.defaults()
	shapes := CompareShapes(cfg.Rate, cfg.InFlight)
	if len(cfg.Shapes) > 0 {
		shapes = slices.DeleteFunc(shapes, func(s CompareShape) bool { return !slices.Contains(cfg.Shapes, s.Name) })
		if len(shapes) == 0 {
			return nil, fmt.Errorf("%w: no shape named %v", ErrConfig, cfg.Shapes)
		}
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: compare: %w", err)
	}
	args := []string{"--ws", "127.0.0.1:0", "--rawsocket", "127.0.0.1:0", "--log-format", "text"}
	if cfg.WampdConfig != "" {
		args = append(args, "--config", cfg.WampdConfig)
	} else {
		args = append(args, "--realm", cfg.Realm)
	}
	wd, err := StartWampd(cfg.Wampd, args, nil, filepath.Join(cfg.OutDir, "wampd.log"), false)
	if err != nil {
		return nil, err
	}
	defer wd.Stop()
	wampURL := wd.RS
	if cfg.Transport == WebSocket {
		wampURL = wd.WS
	}
	natsURL, natsPID := cfg.NATSURL, cfg.NATSPID
	if natsURL == "" {
		if len(cfg.NATSServerCmd) > 0 {
			child, err := startChild(cfg.NATSServerCmd, NATSServerReady)
			if err != nil {
				return nil, err
			}
			defer child.stop()
			natsURL, natsPID = child.addr, child.cmd.Process.Pid
		} else {
			srv, err := StartNATSServer("127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			defer srv.Close()
			natsURL, natsPID = srv.URL(), 0
		}
	}
	fmt.Fprintf(cfg.Log, "wampd %s (pid %d, %s), nats-server %s (pid %d)\n", wampURL, wd.PID(), orDefault(cfg.WampdConfig), natsURL, natsPID)

	var rows []CompareRow
	for _, sh := range shapes {
		for _, server := range []string{"wampd", "nats-server"} {
			if ctx.Err() != nil {
				return rows, ctx.Err()
			}
			c := sh.Config
			c.Name, c.Realm, c.Serializer, c.Size = sh.Name+"-"+strings.TrimSuffix(server, "-server"), cfg.Realm, cfg.Serializer, 64
			c.Duration, c.Warmup, c.Progress = cfg.Duration, cfg.Warmup, cfg.Progress
			c.Flags = map[string]string{"compare": sh.Name}
			var res *Result
			var err error
			if server == "wampd" {
				c.URL, c.RouterPID = wampURL, wd.PID()
				res, err = Run(ctx, c)
			} else {
				c.NATSURL, c.RouterPID = natsURL, natsPID
				res, err = RunTarget(ctx, c, "nats")
			}
			row := CompareRow{Shape: sh.Name, What: sh.What, Server: server, Result: res}
			if err != nil {
				row.Err = err.Error()
				fmt.Fprintf(cfg.Log, "%s: %v\n", c.Name, err)
			} else {
				PrintSummary(cfg.Log, res)
				if err := WriteJSON(filepath.Join(cfg.OutDir, c.Name+".json"), res); err != nil {
					fmt.Fprintln(cfg.Log, err)
				}
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func orDefault(config string) string {
	if config == "" {
		return "embedded default configuration"
	}
	return config
}

// WriteCompareJSON writes the comparison's rows to path.
func WriteCompareJSON(path string, rows []CompareRow) error {
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encode comparison: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	return nil
}

// PrintCompare writes the comparison as one markdown table: per shape, the
// wampd row then the nats-server row. Server CPU is the server process's
// (utime + stime over the measured window) per delivered message (event or
// call); RSS growth is its resident set at the end of the run minus before
// the run's connections opened; "÷ NATS" is wampd's delivered/s over
// nats-server's.
func PrintCompare(w io.Writer, rows []CompareRow) {
	fmt.Fprintln(w, "| shape | server | delivered/s | ÷ NATS | loss | p50 | p99 | p99.9 | server CPU µs/msg | server RSS growth | wampbench µs/msg | note |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for i, row := range rows {
		r := row.Result
		if r == nil {
			fmt.Fprintf(w, "| %s | %s | – | – | – | – | – | – | – | – | – | failed: %s |\n", row.What, row.Server, mdEscape(row.Err))
			continue
		}
		ratio := ""
		if row.Server == "wampd" && i+1 < len(rows) && rows[i+1].Shape == row.Shape && rows[i+1].Result != nil && rows[i+1].Result.Throughput > 0 {
			ratio = fmt.Sprintf("%.2f", r.Throughput/rows[i+1].Result.Throughput)
		}
		loss := "0"
		if r.Lost > 0 && r.Expected > 0 {
			loss = fmt.Sprintf("%s (%.2f%%)", num(float64(r.Lost)), 100*float64(r.Lost)/float64(r.Expected))
		}
		rss := "–"
		if r.RouterRSSBytes > 0 && r.RouterRSSBeforeBytes > 0 {
			rss = fmt.Sprintf("%+.1f MiB", float64(r.RouterRSSBytes-r.RouterRSSBeforeBytes)/(1<<20))
		}
		var notes []string
		if r.AbortedReason != "" {
			notes = append(notes, "aborted: "+r.AbortedReason)
		}
		if r.Errors > 0 {
			notes = append(notes, fmt.Sprintf("%d errors (%s)", r.Errors, strings.Join(r.ErrorSamples[:min(1, len(r.ErrorSamples))], "")))
		}
		if r.Disconnects > 0 {
			notes = append(notes, fmt.Sprintf("%d disconnects", r.Disconnects))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", row.What, row.Server, num(r.Throughput), ratio, loss,
			fmtUs(r.Latency.P50), fmtUs(r.Latency.P99), fmtUs(r.Latency.P999), usOrDash(r.RouterCPUUsPerOp), rss,
			usOrDash(r.ClientCPUUsPerOp), mdEscape(strings.Join(notes, "; ")))
	}
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
