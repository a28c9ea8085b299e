// Command wampbench is a load generator for WAMP routers (wampd, Crossbar.io,
// Bondy, nexus, ...): rpc, pubsub, fanout, conns and slow scenarios, closed
// or open loop, HDR latency percentiles, JSON output and an HTML report.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wampd/wampd/bench"
	"github.com/wampd/wampd/codec"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// Where wampbench writes; tests swap them.
var stdout, stderr io.Writer = os.Stdout, os.Stderr

// scenario is what `wampbench --help` and `wampbench SCENARIO --help` say
// of one scenario: a line, the flags of its own, and its load model when
// --rate is not given (bench.Config.Defaults).
type scenario struct {
	name, summary string
	flags         []string
	defaultRate   string
	defaults      map[string]string // flag defaults that depend on the scenario
}

var scenarios = []scenario{
	{bench.ScenarioRPC, "callers CALL one procedure that callees answer: calls/s and round-trip latency",
		[]string{"callers", "callees", "callee-url", "shared", "inflight", "size"}, "closed loop", nil},
	{bench.ScenarioPubSub, "publishers PUBLISH to topics their subscribers get: events/s and publish-to-delivery latency",
		[]string{"publishers", "subscribers", "sub-urls", "topics", "inflight", "size"}, "closed loop", map[string]string{"subscribers": "1"}},
	{bench.ScenarioFanout, "one publisher, many subscribers of one topic (1000 by default): events delivered/s and latency",
		[]string{"subscribers", "sub-urls", "inflight", "size"}, "open loop at 100 publications/s", map[string]string{"subscribers": "1000"}},
	{bench.ScenarioConns, "opens --sessions sessions and holds them: sessions/s, WELCOME latency, router memory per session",
		[]string{"sessions", "dialers", "router-debug"}, "closed loop (--dialers sessions being opened at once)", nil},
	{bench.ScenarioSlow, "fan-out where some subscribers read slowly: what the healthy ones still get, what the router does with the slow",
		[]string{"subscribers", "sub-urls", "slow-fraction", "slow-rate", "size"}, "open loop at 1000 publications/s", map[string]string{"subscribers": "100"}},
}

// commonFlags apply to every scenario, in the order --help lists them.
var commonFlags = []string{"url", "realm", "serializer", "duration", "warmup", "drain", "rate", "target", "name", "json",
	"router-pid", "realms", "source-addrs", "loops", "quiet", "cpuprofile", "raw-in-process", "nats-url", "nats-in-process"}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// printUsage is `wampbench --help`: the commands and one line per scenario.
func printUsage(w io.Writer) {
	fmt.Fprint(w, `usage:
  wampbench SCENARIO [flags]     run one scenario against a router (or the raw baseline)
  wampbench SCENARIO --help      that scenario's flags
  wampbench report A.json B.json ... -o report.html
                                 one HTML page comparing runs (written with --json)
  wampbench full --wampd bin/wampd [--out DIR] [--doc docs/benchmarks.md]
                                 every target of docs/benchmarks.md against fresh wampd processes (make bench-full)
  wampbench compare --wampd bin/wampd [--wampd-config FILE] [--nats-url URL] [--duration 2s]
                                 wampd and nats-server side by side on the shapes of issue #11, one table (make bench-nats)

scenarios:
`)
	for _, s := range scenarios {
		fmt.Fprintf(w, "  %-8s %s\n", s.name, s.summary)
	}
	fmt.Fprint(w, `
example: wampbench rpc --url ws://127.0.0.1:8080/ws --realm realm1 --serializer msgpack --duration 10s
URLs: ws://host:port/path (WebSocket) or rs://host:port (RawSocket). --target raw runs against
wampbench's built-in baseline server (the ceiling of the client and the kernel); --target both
runs the router, then the baseline, and reports the ratio; --target nats runs rpc, pubsub or
fanout against nats-server (--nats-url, or one wampbench starts as its child process).
`)
}

// printScenarioUsage is `wampbench SCENARIO --help`: its flags, then the
// common ones, with --rate described as the load model it gives.
func printScenarioUsage(w io.Writer, s scenario, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: wampbench %s [flags]\n\n%s.\n\n%s flags:\n", s.name, s.summary, s.name)
	for _, name := range s.flags {
		printFlag(w, fs.Lookup(name), s)
	}
	fmt.Fprint(w, "\ncommon flags:\n")
	for _, name := range commonFlags {
		printFlag(w, fs.Lookup(name), s)
	}
}

func printFlag(w io.Writer, f *flag.Flag, s scenario) {
	if f == nil {
		return
	}
	arg, help := flag.UnquoteUsage(f)
	if f.Name == "rate" {
		fmt.Fprintf(w, "  -rate N\n    \topen loop at N per second (calls, publications or sessions, sent on schedule\n"+
			"    \twhatever the answers do); 0: closed loop (each sender waits for its answer)\n    \t(default: %s)\n", s.defaultRate)
		return
	}
	head := "  -" + f.Name
	if arg != "" {
		head += " " + arg
	}
	def := ""
	dv := f.DefValue
	if v, ok := s.defaults[f.Name]; ok {
		dv = v
	}
	switch dv {
	case "", "0", "false":
	default:
		def = " (default " + dv + ")"
	}
	fmt.Fprintf(w, "%s\n    \t%s%s\n", head, help, def)
}

func run(args []string) int {
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printUsage(stdout)
		return 0
	}
	switch args[0] {
	case "report":
		return report(args[1:])
	case "raw-server":
		return rawServer(args[1:])
	case "full":
		return full(args[1:])
	case "nats-server":
		return natsServer(args[1:])
	case "compare":
		return compare(args[1:])
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, ok := findScenario(args[0]); !ok {
		fmt.Fprintf(stderr, "wampbench: unknown scenario or command %q\n\n", args[0])
		printUsage(stderr)
		return 2
	}
	cfg, opts, err := parseFlags(args[0], args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // the flag set printed the scenario's usage on stdout
		}
		return 2 // the flag set printed the error and the usage
	}
	if opts.cpuProfile != "" {
		f, err := os.Create(opts.cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "wampbench: cpu profile:", err)
			return 1
		}
		defer func() { pprof.StopCPUProfile(); _ = f.Close() }()
	}
	res, err := bench.RunTarget(ctx, cfg, opts.target)
	if err != nil {
		fmt.Fprintln(stderr, "wampbench:", err)
		return 1
	}
	bench.PrintSummary(stdout, res)
	if opts.jsonPath != "" {
		if err := bench.WriteJSON(opts.jsonPath, res); err != nil {
			fmt.Fprintln(stderr, "wampbench:", err)
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
	fs.SetOutput(stderr)
	ser := fs.String("serializer", "json", "json, msgpack or cbor")
	quiet := fs.Bool("quiet", false, "no live progress line")
	inProcessRaw := fs.Bool("raw-in-process", false, "run the --target raw server inside this process instead of a child process")
	inProcessNATS := fs.Bool("nats-in-process", false, "run --target nats's own nats-server inside this process instead of a child process (its CPU is then wampbench's)")
	fs.StringVar(&cfg.NATSURL, "nats-url", "", "--target nats: the nats-server to measure (nats://host:port; --router-pid for its CPU); default: start one")
	fs.StringVar(&cfg.URL, "url", "ws://127.0.0.1:8080/ws", "router URL: ws://host:port/path or rs://host:port")
	fs.StringVar(&cfg.CalleeURL, "callee-url", "", "the `URL` the callees connect to (default --url, where the callers stay): callees on another node of a cluster")
	subURLs := fs.String("sub-urls", "", "the `URLs` the subscribers connect to, comma-separated: subscriber i to URL i mod n (default --url, where the publishers stay)")
	fs.StringVar(&cfg.Realm, "realm", "realm1", "realm to join")
	fs.StringVar(&cfg.Name, "name", "", "label of this run in reports (default: the scenario)")
	fs.StringVar(&o.target, "target", "router", "router, raw (built-in baseline server), both, or nats (the same shape against nats-server)")
	fs.StringVar(&o.jsonPath, "json", "", "write every figure to this file")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write wampbench's own CPU profile to this file (is the load generator the bottleneck?)")
	fs.DurationVar(&cfg.Duration, "duration", 10e9, "measured period")
	fs.DurationVar(&cfg.Warmup, "warmup", 2e9, "traffic before measuring")
	fs.DurationVar(&cfg.Drain, "drain", 2e9, "wait at most this long for answers after the run")
	// -1 is "the scenario's default" (bench.Config.Defaults); the usage
	// says which load model that is instead of printing -1.
	fs.Float64Var(&cfg.Rate, "rate", -1, "open loop at N per second; 0: closed loop")
	fs.IntVar(&cfg.Callers, "callers", 1, "caller sessions")
	fs.IntVar(&cfg.Callees, "callees", 1, "callee sessions")
	fs.IntVar(&cfg.InFlight, "inflight", 1, "closed loop: calls or publications in flight per sender")
	fs.IntVar(&cfg.Publishers, "publishers", 1, "publisher sessions")
	fs.IntVar(&cfg.Subscribers, "subscribers", 0, "subscriber sessions")
	fs.IntVar(&cfg.Topics, "topics", 1, "topics (subscriber i listens on topic i mod topics)")
	fs.IntVar(&cfg.Size, "size", 64, "payload size in bytes")
	fs.IntVar(&cfg.Sessions, "sessions", 1000, "sessions to open and hold")
	fs.Float64Var(&cfg.SlowFraction, "slow-fraction", 0.1, "fraction of subscribers that read slowly")
	fs.IntVar(&cfg.SlowRate, "slow-rate", 16<<10, "bytes per second a slow subscriber reads")
	fs.Var((*pidList)(&cfg.RouterPIDs), "router-pid", "the router's process id, or the `pids` of a cluster's nodes comma-separated: report RSS and CPU time per call / event, per process and summed")
	fs.StringVar(&cfg.RouterDebug, "router-debug", "", "the router's debug listener (http://127.0.0.1:PORT, wampd --debug) for GC pause figures")
	fs.BoolVar(&cfg.Shared, "shared", false, "every callee registers one procedure with invoke roundrobin (shared registration)")
	realms := fs.String("realms", "", "run one copy of the scenario per realm at once, comma-separated (realm1,realm2,...); figures are summed")
	fs.IntVar(&cfg.Dialers, "dialers", 64, "sessions being opened at once")
	srcAddrs := fs.String("source-addrs", "", "local IPs to bind connections to in turn, comma-separated, or N for 127.0.0.2 .. 127.0.0.N+1")
	fs.IntVar(&cfg.EventLoops, "loops", 0, "client event loops (default GOMAXPROCS)")
	sc, _ := findScenario(scenario)
	fs.Usage = func() { printScenarioUsage(stderr, sc, fs) }
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			printScenarioUsage(stdout, sc, fs) // asked for: stdout, exit 0
			return cfg, o, flag.ErrHelp
		}
	}
	if err := fs.Parse(args); err != nil {
		return cfg, o, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return cfg, o, errors.New("unexpected arguments")
	}
	cfg.Scenario = scenario
	if *realms != "" {
		cfg.Realms = strings.Split(*realms, ",")
	}
	if *subURLs != "" {
		cfg.SubURLs = strings.Split(*subURLs, ",")
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
	var err error
	if cfg.Serializer, err = parseSerializer(*ser); err != nil {
		return cfg, o, err
	}
	if !slices.Contains(bench.Targets, o.target) {
		return cfg, o, fmt.Errorf("unknown --target %q (%s)", o.target, strings.Join(bench.Targets, ", "))
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if exe, err := os.Executable(); err == nil {
		if !*inProcessRaw {
			cfg.RawServerCmd = []string{exe, "raw-server", "--listen", "127.0.0.1:0"}
		}
		if !*inProcessNATS {
			cfg.NATSServerCmd = []string{exe, "nats-server", "--listen", "127.0.0.1:0"}
		}
	}
	cfg.Flags = map[string]string{}
	fs.Visit(func(f *flag.Flag) { cfg.Flags[f.Name] = f.Value.String() })
	return cfg, o, nil
}

// pidList is the value of --router-pid: one process id, or several
// comma-separated (the nodes of a cluster, measured each and summed).
type pidList []int

func (l *pidList) String() string {
	var ss []string
	for _, pid := range *l {
		ss = append(ss, strconv.Itoa(pid))
	}
	return strings.Join(ss, ",")
}

func (l *pidList) Set(v string) error {
	pids, err := parsePIDs(v)
	if err != nil {
		return err
	}
	*l = pids
	return nil
}

// parsePIDs parses "PID" or "PID,PID,...": distinct positive process ids
// (a process twice would count its CPU time twice). "0" and "" are none,
// as --router-pid 0 was before it took a list.
func parsePIDs(v string) ([]int, error) {
	if v == "" || v == "0" {
		return nil, nil
	}
	var pids []int
	for f := range strings.SplitSeq(v, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("%q is not a process id", f)
		}
		if slices.Contains(pids, pid) {
			return nil, fmt.Errorf("process %d given twice", pid)
		}
		pids = append(pids, pid)
	}
	return pids, nil
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
		fmt.Fprintln(stderr, "wampbench report: give at least one JSON file")
		return 2
	}
	var rs []*bench.Result
	for _, f := range files {
		r, err := bench.ReadJSON(f)
		if err != nil {
			fmt.Fprintln(stderr, "wampbench report:", err)
			return 1
		}
		rs = append(rs, r)
	}
	w, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(stderr, "wampbench report:", err)
		return 1
	}
	if err := bench.WriteReport(w, *title, rs); err != nil {
		_ = w.Close()
		fmt.Fprintln(stderr, "wampbench report:", err)
		return 1
	}
	if err := w.Close(); err != nil {
		fmt.Fprintln(stderr, "wampbench report:", err)
		return 1
	}
	bench.PrintTable(stdout, rs)
	fmt.Fprintln(stdout, "wrote", *out)
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
		fmt.Fprintln(stderr, "wampbench raw-server:", err)
		return 1
	}
	fmt.Println(bench.RawServerReady + srv.Addr())
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintln(stderr, "wampbench raw-server:", err)
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
	cfg.Log = stderr
	rep, err := bench.RunFull(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "wampbench full:", err)
		return 1
	}
	fmt.Print(rep.Markdown())
	if cfg.Doc != "" {
		if err := bench.WriteFullSection(cfg.Doc, rep); err != nil {
			fmt.Fprintln(stderr, "wampbench full:", err)
			return 1
		}
		fmt.Fprintln(stderr, "wrote the table into", cfg.Doc)
	}
	if err := bench.WriteFullJSON(cfg.OutDir, rep); err != nil {
		fmt.Fprintln(stderr, "wampbench full:", err)
		return 1
	}
	return 0
}

// natsServer serves an embedded nats-server until SIGTERM/SIGINT: --target
// nats and compare run wampbench itself as this child so that the broker's
// CPU time and RSS are its own, like a router's.
func natsServer(args []string) int {
	fs := flag.NewFlagSet("wampbench nats-server", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "host:port to serve on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := bench.StartNATSServer(*listen)
	if err != nil {
		fmt.Fprintln(stderr, "wampbench nats-server:", err)
		return 1
	}
	fmt.Println(bench.NATSServerReady + srv.URL())
	<-ctx.Done()
	srv.Close()
	return 0
}

// compare runs the shapes of issue #11 against a fresh wampd and against
// nats-server and prints one table (make bench-nats).
func compare(args []string) int {
	fs := flag.NewFlagSet("wampbench compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.CompareConfig
	fs.StringVar(&cfg.Wampd, "wampd", "bin/wampd", "wampd binary to start")
	fs.StringVar(&cfg.WampdConfig, "wampd-config", "", "configuration file for wampd (--config), e.g. examples/telemetry.yaml; default: its embedded configuration")
	fs.StringVar(&cfg.Realm, "realm", "realm1", "realm to join (without --wampd-config wampd serves it with --realm)")
	transport := fs.String("transport", "rs", "WAMP transport to wampd: rs (RawSocket) or ws (WebSocket)")
	ser := fs.String("serializer", "msgpack", "WAMP serializer, also the payload's encoding on NATS: json, msgpack or cbor")
	fs.StringVar(&cfg.NATSURL, "nats-url", "", "an external nats-server (nats://host:port); default: start one as a child process")
	fs.IntVar(&cfg.NATSPID, "nats-pid", 0, "the external nats-server's pid, for its CPU and RSS")
	inProcess := fs.Bool("nats-in-process", false, "run nats-server inside this process (its CPU is then not measured)")
	fs.DurationVar(&cfg.Duration, "duration", 2*time.Second, "measured period of each run")
	fs.DurationVar(&cfg.Warmup, "warmup", time.Second, "warm-up of each run")
	fs.Float64Var(&cfg.Rate, "rate", 200, "publications per second of the fixed-rate fan-out rows")
	fs.IntVar(&cfg.InFlight, "inflight", 128, "flat out: publications in flight per publisher")
	shapes := fs.String("shapes", "", "comma-separated shapes to run (default all: "+strings.Join(shapeNames(), ",")+")")
	fs.StringVar(&cfg.OutDir, "out", "bench-results/nats", "directory for every run's JSON, compare.json and wampd.log")
	quiet := fs.Bool("quiet", false, "no live progress line")
	verbose := fs.Bool("v", false, "print every run's full summary on stderr")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch strings.ToLower(*transport) {
	case "rs", "rawsocket":
		cfg.Transport = bench.RawSocket
	case "ws", "websocket":
		cfg.Transport = bench.WebSocket
	default:
		fmt.Fprintf(stderr, "wampbench compare: unknown --transport %q (rs or ws)\n", *transport)
		return 2
	}
	var err error
	if cfg.Serializer, err = parseSerializer(*ser); err != nil {
		fmt.Fprintln(stderr, "wampbench compare:", err)
		return 2
	}
	if *shapes != "" {
		cfg.Shapes = strings.Split(*shapes, ",")
	}
	if exe, err := os.Executable(); err == nil && !*inProcess {
		cfg.NATSServerCmd = []string{exe, "nats-server", "--listen", "127.0.0.1:0"}
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if *verbose {
		cfg.Log = stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rows, err := bench.RunCompare(ctx, cfg)
	if len(rows) > 0 {
		bench.PrintCompare(stdout, rows)
		if werr := bench.WriteCompareJSON(filepath.Join(cfg.OutDir, "compare.json"), rows); werr != nil {
			fmt.Fprintln(stderr, "wampbench compare:", werr)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "wampbench compare:", err)
		return 1
	}
	for _, r := range rows {
		if r.Result == nil {
			return 3
		}
	}
	return 0
}

func shapeNames() []string {
	var out []string
	for _, s := range bench.CompareShapes(0, 0) {
		out = append(out, s.Name)
	}
	return out
}

func parseSerializer(name string) (codec.Serializer, error) {
	switch strings.ToLower(name) {
	case "json":
		return codec.JSON, nil
	case "msgpack":
		return codec.MsgPack, nil
	case "cbor":
		return codec.CBOR, nil
	}
	return 0, fmt.Errorf("unknown serializer %q", name)
}
