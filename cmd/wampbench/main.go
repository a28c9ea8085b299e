// Command wampbench is a load generator for WAMP routers (wampd, Crossbar.io,
// Bondy, nexus, ...): rpc, pubsub, fanout, conns and slow scenarios, closed
// or open loop, HDR latency percentiles, JSON output and an HTML report.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"

	"github.com/wampd/wampd/bench"
	"github.com/wampd/wampd/codec"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

const usage = `usage:
  wampbench SCENARIO --url ws://127.0.0.1:8080/ws --realm realm1 --serializer json|msgpack|cbor
            [scenario flags] --duration 10s --warmup 2s [--rate N] [--json FILE]
  wampbench report A.json B.json ... -o report.html
  wampbench full --wampd bin/wampd [--out DIR] [--doc docs/benchmarks.md]   (make bench-full)

scenarios: rpc, pubsub, fanout, conns, slow (rs://host:port for RawSocket)
--target raw runs against the built-in baseline server, --target both runs
the router and then the baseline and reports the ratio.
`

func run(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	switch args[0] {
	case "report":
		return report(args[1:])
	case "raw-server":
		return rawServer(args[1:])
	case "full":
		return full(args[1:])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, opts, err := parseFlags(args[0], args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 2
		}
		fmt.Fprintln(os.Stderr, "wampbench:", err)
		return 2
	}
	if opts.cpuProfile != "" {
		f, err := os.Create(opts.cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "wampbench: cpu profile:", err)
			return 1
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	res, err := bench.RunTarget(ctx, cfg, opts.target)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wampbench:", err)
		return 1
	}
	bench.PrintSummary(os.Stdout, res)
	if opts.jsonPath != "" {
		if err := bench.WriteJSON(opts.jsonPath, res); err != nil {
			fmt.Fprintln(os.Stderr, "wampbench:", err)
			return 1
		}
	}
	if res.AbortedReason != "" || res.Errors > 0 {
		return 3
	}
	return 0
}

type options struct {
	target     string
	jsonPath   string
	cpuProfile string
}

func parseFlags(scenario string, args []string) (bench.Config, options, error) {
	var cfg bench.Config
	var o options
	fs := flag.NewFlagSet("wampbench "+scenario, flag.ContinueOnError)
	ser := fs.String("serializer", "json", "json, msgpack or cbor")
	quiet := fs.Bool("quiet", false, "no live progress line")
	inProcessRaw := fs.Bool("raw-in-process", false, "run the --target raw server inside this process instead of a child process")
	fs.StringVar(&cfg.URL, "url", "ws://127.0.0.1:8080/ws", "router URL: ws://host:port/path or rs://host:port")
	fs.StringVar(&cfg.Realm, "realm", "realm1", "realm to join")
	fs.StringVar(&cfg.Name, "name", "", "label of this run in reports (default: the scenario)")
	fs.StringVar(&o.target, "target", "router", "router, raw (built-in baseline server) or both")
	fs.StringVar(&o.jsonPath, "json", "", "write every figure to this file")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write wampbench's own CPU profile to this file (is the load generator the bottleneck?)")
	fs.DurationVar(&cfg.Duration, "duration", 10e9, "measured period")
	fs.DurationVar(&cfg.Warmup, "warmup", 2e9, "traffic before measuring")
	fs.DurationVar(&cfg.Drain, "drain", 2e9, "wait at most this long for answers after the run")
	fs.Float64Var(&cfg.Rate, "rate", -1, "open loop: calls, publications or sessions per second; 0 = closed loop; default: 100 for fanout, 1000 for slow, closed loop otherwise")
	fs.IntVar(&cfg.Callers, "callers", 1, "rpc: caller sessions")
	fs.IntVar(&cfg.Callees, "callees", 1, "rpc: callee sessions")
	fs.IntVar(&cfg.InFlight, "inflight", 1, "closed loop: calls or publications in flight per sender")
	fs.IntVar(&cfg.Publishers, "publishers", 1, "pubsub: publisher sessions")
	fs.IntVar(&cfg.Subscribers, "subscribers", 0, "pubsub/fanout/slow: subscriber sessions (default 1, 1000, 100)")
	fs.IntVar(&cfg.Topics, "topics", 1, "pubsub: topics (subscriber i listens on topic i mod topics)")
	fs.IntVar(&cfg.Size, "size", 64, "payload size in bytes")
	fs.IntVar(&cfg.Sessions, "sessions", 1000, "conns: sessions to open and hold")
	fs.Float64Var(&cfg.SlowFraction, "slow-fraction", 0.1, "slow: fraction of subscribers that read slowly")
	fs.IntVar(&cfg.SlowRate, "slow-rate", 16<<10, "slow: bytes per second a slow subscriber reads")
	fs.IntVar(&cfg.RouterPID, "router-pid", 0, "the router's process id: report its RSS and CPU time per call / event")
	fs.StringVar(&cfg.RouterDebug, "router-debug", "", "conns: the router's debug listener (http://127.0.0.1:PORT, wampd --debug) for GC pause figures")
	fs.BoolVar(&cfg.Shared, "shared", false, "rpc: every callee registers one procedure with invoke roundrobin (shared registration)")
	realms := fs.String("realms", "", "run one copy of the scenario per realm at once, comma-separated (realm1,realm2,...); figures are summed")
	fs.IntVar(&cfg.Dialers, "dialers", 64, "conns: sessions being opened at once")
	srcAddrs := fs.String("source-addrs", "", "local IPs to bind connections to in turn, comma-separated, or N for 127.0.0.2 .. 127.0.0.N+1")
	fs.IntVar(&cfg.EventLoops, "loops", 0, "client event loops (default GOMAXPROCS)")
	if err := fs.Parse(args); err != nil {
		return cfg, o, err
	}
	if fs.NArg() > 0 {
		return cfg, o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg.Scenario = scenario
	if *realms != "" {
		cfg.Realms = strings.Split(*realms, ",")
	}
	if *srcAddrs != "" {
		if n, err := strconv.Atoi(*srcAddrs); err == nil {
			if n < 1 || n > 250 {
				return cfg, o, fmt.Errorf("--source-addrs %d: want 1..250", n)
			}
			for i := range n {
				cfg.SourceAddrs = append(cfg.SourceAddrs, fmt.Sprintf("127.0.0.%d", i+2))
			}
		} else {
			cfg.SourceAddrs = strings.Split(*srcAddrs, ",")
		}
	}
	switch strings.ToLower(*ser) {
	case "json":
		cfg.Serializer = codec.JSON
	case "msgpack":
		cfg.Serializer = codec.MsgPack
	case "cbor":
		cfg.Serializer = codec.CBOR
	default:
		return cfg, o, fmt.Errorf("unknown serializer %q", *ser)
	}
	switch o.target {
	case "router", "raw", "both":
	default:
		return cfg, o, fmt.Errorf("unknown --target %q (router, raw or both)", o.target)
	}
	if !*quiet {
		cfg.Progress = os.Stderr
	}
	if exe, err := os.Executable(); err == nil && !*inProcessRaw {
		cfg.RawServerCmd = []string{exe, "raw-server", "--listen", "127.0.0.1:0"}
	}
	cfg.Flags = map[string]string{}
	fs.Visit(func(f *flag.Flag) { cfg.Flags[f.Name] = f.Value.String() })
	return cfg, o, nil
}

func report(args []string) int {
	fs := flag.NewFlagSet("wampbench report", flag.ContinueOnError)
	out := fs.String("o", "report.html", "HTML file to write")
	title := fs.String("title", "wampbench report", "page title")
	// Allow -o after the file names, as in the documented usage.
	var files []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) == 0 {
		fmt.Fprintln(os.Stderr, "wampbench report: give at least one JSON file")
		return 2
	}
	var rs []*bench.Result
	for _, f := range files {
		r, err := bench.ReadJSON(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, "wampbench report:", err)
			return 1
		}
		rs = append(rs, r)
	}
	w, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wampbench report:", err)
		return 1
	}
	if err := bench.WriteReport(w, *title, rs); err != nil {
		_ = w.Close()
		fmt.Fprintln(os.Stderr, "wampbench report:", err)
		return 1
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "wampbench report:", err)
		return 1
	}
	bench.PrintTable(os.Stdout, rs)
	fmt.Fprintln(os.Stdout, "wrote", *out)
	return 0
}

// rawServer serves the baseline server until SIGTERM/SIGINT; --target raw
// runs wampbench itself as this child so the baseline has its own process,
// like a router.
func rawServer(args []string) int {
	fs := flag.NewFlagSet("wampbench raw-server", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "host:port to serve on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := bench.StartRawServer(*listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wampbench raw-server:", err)
		return 1
	}
	fmt.Println(bench.RawServerReady + srv.Addr())
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "wampbench raw-server:", err)
		return 1
	}
	return 0
}

// full runs every target of the performance issue against fresh wampd
// processes and writes the table into the document (make bench-full).
func full(args []string) int {
	fs := flag.NewFlagSet("wampbench full", flag.ContinueOnError)
	var cfg bench.FullConfig
	fs.StringVar(&cfg.Wampd, "wampd", "bin/wampd", "wampd binary to start")
	fs.StringVar(&cfg.GoCmd, "go", "go", "go command for the Go benchmarks (target 5)")
	fs.StringVar(&cfg.ModuleDir, "module", ".", "module root (where ./realm/ is)")
	fs.StringVar(&cfg.OutDir, "out", "bench-results/full", "directory for every run's JSON and the wampd logs")
	fs.StringVar(&cfg.Doc, "doc", "docs/benchmarks.md", "markdown file whose bench-full section receives the table (empty: none)")
	fs.DurationVar(&cfg.Duration, "duration", 5e9, "measured period of each run")
	fs.DurationVar(&cfg.Warmup, "warmup", 2e9, "warm-up of each run")
	fs.IntVar(&cfg.Sessions, "sessions", 100000, "target 4: idle sessions to hold")
	fs.IntVar(&cfg.SourceAddrs, "source-addrs", 8, "target 4: source addresses 127.0.0.2 .. 127.0.0.N+1")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg.Command = "make bench-full"
	if exe, err := os.Executable(); err == nil {
		cfg.RawServerCmd = []string{exe, "raw-server", "--listen", "127.0.0.1:0"}
	}
	cfg.Log = os.Stderr
	rep, err := bench.RunFull(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "wampbench full:", err)
		return 1
	}
	fmt.Print(rep.Markdown())
	if cfg.Doc != "" {
		if err := bench.WriteFullSection(cfg.Doc, rep); err != nil {
			fmt.Fprintln(os.Stderr, "wampbench full:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "wrote the table into", cfg.Doc)
	}
	if err := bench.WriteFullJSON(cfg.OutDir, rep); err != nil {
		fmt.Fprintln(os.Stderr, "wampbench full:", err)
		return 1
	}
	return 0
}
