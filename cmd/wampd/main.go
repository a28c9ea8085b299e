// Command wampd is a WAMP v2 router. Without arguments it serves the
// embedded default configuration (realm "realm1", anonymous; WebSocket on
// 127.0.0.1:8080/ws, RawSocket on 127.0.0.1:8081).
//
//	wampd [--config FILE] [--realm NAME]... [--ws ADDR] [--rawsocket ADDR]
//	      [--unix PATH] [--log-format text|json] [--log-level LEVEL]
//	      [--metrics ADDR] [--debug ADDR]
//	wampd check-config [FILE]
//	wampd hash [--scram] [--pbkdf2] < secret
//	wampd version (or --version)
//	wampd help (or -h, --help)
//
// Exit status: 0 on a clean stop, 1 when the configuration is invalid or
// the router cannot start, 2 for a usage error (a bad flag or argument).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/wampd/wampd/engine"
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/netpoll"
)

// version is set at build time (-ldflags "-X main.version=v1.2.3").
var version = "dev"

// shutdownTimeout bounds the graceful shutdown after SIGINT/SIGTERM.
const shutdownTimeout = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // invalid configuration, start or shutdown failed
	exitUsage  = 2 // bad flag or argument
)

// errUsage marks an error the flag set already printed, with the usage.
var errUsage = errors.New("usage")

// configFileError is a configuration file that does not parse; it is
// reported as check-config reports it.
type configFileError struct {
	path string
	err  error
}

func (e *configFileError) Error() string { return e.path + ": " + e.err.Error() }
func (e *configFileError) Unwrap() error { return e.err }

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "check-config":
			return checkConfig(args[1:], stdout, stderr)
		case "hash":
			return hashSecret(args[1:], os.Stdin, stdout, stderr)
		case "version", "--version", "-version":
			fmt.Fprintln(stdout, "wampd", buildVersion())
			fmt.Fprintln(stdout, buildDetails())
			return exitOK
		case "help", "--help", "-help", "-h":
			newFlagSet(io.Discard).usage(stdout)
			return exitOK
		}
	}
	cfg, err := configure(args, stderr)
	var cfe *configFileError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage // the flag set printed the error and the usage
	case errors.As(err, &cfe):
		printConfigError(stderr, cfe.path, cfe.err)
		return exitFailed
	case errors.As(err, new(*os.PathError)):
		fmt.Fprintln(stderr, "wampd:", err) // as check-config says it
		return exitFailed
	default:
		fmt.Fprintln(stderr, "wampd:", err)
		return exitUsage
	}
	log := newLogger(cfg.Log, stderr)
	for _, w := range cfg.Warnings() {
		log.Warn("configuration: " + w)
	}
	tuneProcess(cfg, log)
	rt, err := engine.New(cfg, log)
	if err != nil {
		log.Error("configuration rejected", "err", err)
		return 1
	}
	if err := rt.Start(); err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	loops := cfg.Tuning.EventLoops
	if loops == 0 {
		loops = netpoll.DefaultEventLoops()
	}
	log.Info("wampd started", "version", buildVersion(), "realms", len(cfg.Realms),
		"gomaxprocs", runtime.GOMAXPROCS(0), "event_loops", loops)
	// SIGHUP rereads the TLS certificates without dropping a session.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for waiting := true; waiting; {
		select {
		case <-ctx.Done():
			waiting = false
		case <-hup:
			if err := rt.ReloadTLS(); err != nil {
				log.Error("SIGHUP: certificates not reloaded, the previous ones stay", "err", err)
			} else {
				log.Info("SIGHUP: TLS certificates reloaded")
			}
		}
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := rt.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// flagSet is wampd's flags.
type flagSet struct {
	*flag.FlagSet
	realms                                                     stringList
	cfgFile, ws, rawsocket, unix, logFormat, logLevel, metrics *string
	debugAddr                                                  *string
}

// newFlagSet defines the flags; errors and -h go to out.
func newFlagSet(out io.Writer) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet("wampd", flag.ContinueOnError)}
	fs.SetOutput(out)
	fs.cfgFile = fs.String("config", "", "configuration `FILE` (YAML); default: the embedded configuration")
	fs.ws = fs.String("ws", "", "serve WebSocket on `ADDR` (host:port; port 0 picks one)")
	fs.rawsocket = fs.String("rawsocket", "", "serve RawSocket on `ADDR` (host:port; port 0 picks one)")
	fs.unix = fs.String("unix", "", "serve RawSocket on the unix socket `PATH` (for its mode and owner, use a configuration file)")
	fs.logFormat = fs.String("log-format", "", "log format: text or json (default from the configuration: text)")
	fs.logLevel = fs.String("log-level", "", "log level: debug, info, warn or error")
	fs.metrics = fs.String("metrics", "", "serve Prometheus /metrics and the /healthz and /readyz probes on `ADDR` (host:port)")
	fs.debugAddr = fs.String("debug", "", "serve pprof (/debug/pprof/) and GC figures (/debug/gc) on `ADDR` (host:port; keep it on loopback)")
	fs.Var(&fs.realms, "realm", "serve the anonymous realm `NAME` (repeatable; replaces the configured realms)")
	fs.Usage = func() { fs.usage(out) }
	return fs
}

// usage prints the commands and the flags to w.
func (fs *flagSet) usage(w io.Writer) {
	fmt.Fprint(w, `usage: wampd [flags]              serve (the embedded default configuration without --config)
       wampd check-config [FILE]  validate FILE and summarize it; without FILE, print the default
       wampd hash [--scram]       read a secret on stdin, print the hash the configuration stores
       wampd version              print the version (also --version)
       wampd help                 print this help (also -h, --help)

flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// configure parses the flags and builds the configuration: the file (or the
// embedded default), then the flags on top. --realm replaces the realm
// list; any of --ws, --rawsocket, --unix replaces the listener list. A bad
// flag or argument is printed once, with the usage, on stderr (errUsage).
func configure(args []string, stderr io.Writer) (config.Config, error) {
	fs := newFlagSet(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config.Config{}, err
		}
		return config.Config{}, errUsage // flag printed it and the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		fs.usage(stderr)
		return config.Config{}, errUsage
	}
	realms, cfgFile, ws, rawsocket, unix := fs.realms, fs.cfgFile, fs.ws, fs.rawsocket, fs.unix
	logFormat, logLevel, metrics, debugAddr := fs.logFormat, fs.logLevel, fs.metrics, fs.debugAddr
	cfg := config.Default()
	if *cfgFile != "" {
		data, err := os.ReadFile(*cfgFile)
		if err != nil {
			return config.Config{}, err
		}
		if cfg, err = config.ParseFile(*cfgFile, data); err != nil {
			return config.Config{}, &configFileError{path: *cfgFile, err: err}
		}
	}
	if len(realms) > 0 {
		cfg.Realms = cfg.Realms[:0:0]
		for _, name := range realms {
			cfg.Realms = append(cfg.Realms, config.Realm{Name: name, Anonymous: true})
		}
	}
	if *ws != "" || *rawsocket != "" || *unix != "" {
		wsPath := cfg.WSPath()
		cfg.Listeners = nil
		if *ws != "" {
			cfg.Listeners = append(cfg.Listeners, config.Listener{Listen: *ws,
				Transports: []string{config.TransportWebSocket}, WSPath: wsPath})
		}
		if *rawsocket != "" {
			cfg.Listeners = append(cfg.Listeners, config.Listener{Listen: *rawsocket,
				Transports: []string{config.TransportRawSocket}})
		}
		if *unix != "" {
			cfg.Listeners = append(cfg.Listeners, config.Listener{Unix: *unix,
				Transports: []string{config.TransportRawSocket}})
		}
	}
	if *logFormat != "" {
		cfg.Log.Format = *logFormat
	}
	if *logLevel != "" {
		cfg.Log.Level = *logLevel
	}
	if *metrics != "" {
		cfg.Metrics.Listen = *metrics
	}
	if *debugAddr != "" {
		cfg.Debug.Listen = *debugAddr
	}
	if err := cfg.Validate(); err != nil {
		return config.Config{}, fmt.Errorf("flags: %w", err)
	}
	return cfg, nil
}

// tuneProcess applies the process-wide settings a router holding many
// sessions needs: the descriptor limit (one per connection) and the Go
// soft memory limit, and logs both.
func tuneProcess(cfg config.Config, log *slog.Logger) {
	soft, hard, err := engine.RaiseFileLimit()
	switch {
	case err != nil:
		log.Warn("open file limit not raised", "soft", soft, "hard", hard, "err", err)
	case soft > 0:
		log.Info("open file limit", "soft", soft, "hard", hard)
		if n := uint64(cfg.Limits.MaxSessions); n > 0 && soft < n+64 {
			log.Warn("open file limit is below limits.max_sessions; raise it (ulimit -Hn, systemd LimitNOFILE=)",
				"soft", soft, "max_sessions", n)
		}
	}
	if cfg.Limits.MemoryLimit > 0 {
		prev := debug.SetMemoryLimit(int64(cfg.Limits.MemoryLimit))
		log.Info("memory limit", "limit", cfg.Limits.MemoryLimit.String(), "previous_bytes", prev)
	}
}

// newLogger builds the process logger on w.
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	level, err := config.ParseLevel(c.Level)
	if err != nil {
		level = slog.LevelInfo // Validate already rejected it; belt and braces
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == config.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// checkConfig validates FILE and prints "ok" and a summary, or every error
// with its line (exit 1). Without FILE it prints the embedded default
// configuration, which documents every key.
func checkConfig(args []string, stdout, stderr io.Writer) int {
	switch len(args) {
	case 0:
		fmt.Fprintf(stdout, "# no FILE given: the embedded default configuration follows\n%s", config.DefaultYAML)
		return 0
	case 1:
	default:
		fmt.Fprintln(stderr, "usage: wampd check-config [FILE]")
		return 2
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(stderr, "wampd:", err)
		return exitFailed
	}
	cfg, err := config.ParseFile(args[0], data)
	if err != nil {
		printConfigError(stderr, args[0], err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "ok\n%s", cfg.Summary())
	for _, w := range cfg.Warnings() {
		fmt.Fprintln(stdout, "warning:", w)
	}
	return exitOK
}

// printConfigError prints the problems of the configuration file path, one
// per line: the one format of check-config and of wampd --config.
func printConfigError(w io.Writer, path string, err error) {
	fmt.Fprintf(w, "%s: invalid configuration:\n", path)
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			fmt.Fprintln(w, " ", e)
		}
		return
	}
	fmt.Fprintln(w, " ", err)
}

// buildVersion is version, or the module version when built with go install.
// buildDetails is the second line of `wampd version`: the commit the
// binary was built from (and whether the tree was modified), and the Go
// version and platform, from the build information Go records.
func buildDetails() string {
	commit, modified := "unknown", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified {
		commit += " (modified)"
	}
	return fmt.Sprintf("commit %s, %s %s/%s", commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return version
}
