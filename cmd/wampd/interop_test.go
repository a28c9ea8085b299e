package main

// Interop tests: a real wampd binary driven by third-party WAMP clients,
// Autobahn|Python (Debian's python3-autobahn, run with /usr/bin/python3) and
// Autobahn|JS (npm, in testdata/interop/js), plus raw Go clients for the
// malformed-input cases. Every scenario script prints "OK name" or
// "FAIL name: why" per check and exits non-zero on any failure; the subtests
// here check the exit code and that no FAIL line was printed.
//
// One router serves most groups (scenarios use distinct URIs or run one after
// another); the shutdown group starts its own. Every wait is bounded.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/wampd/wampd/codec"
)

const (
	pythonBin      = "/usr/bin/python3"
	startTimeout   = 15 * time.Second
	scriptTimeout  = 60 * time.Second
	stopTimeout    = 15 * time.Second
	cancelDeadline = 5 * time.Second
)

var serializers = []string{"json", "msgpack", "cbor"}

// TestInterop builds wampd once and runs every interop group against it.
func TestInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("interop tests start real clients; skipped with -short")
	}
	env := newInteropEnv(t)
	env.bin = buildWampd(t)

	t.Run("shared", func(t *testing.T) {
		r := startRouter(t, env, true)
		t.Run("python", func(t *testing.T) { testPythonMatrix(t, env, r) })
		t.Run("js", func(t *testing.T) { testJSMatrix(t, env, r) })
		t.Run("mixed", func(t *testing.T) { testMixed(t, env, r) })
		t.Run("callee-killed", func(t *testing.T) { testCalleeKilled(t, env, r) })
		t.Run("garbage", func(t *testing.T) { testGarbage(t, env, r) })
	})
	t.Run("shutdown", func(t *testing.T) { testShutdown(t, env) })
}

// wampdBuild is the wampd binary the interop tests share: built once per
// test binary run, removed by TestMain.
var wampdBuild struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildWampd builds wampd on its first call and returns its path.
func buildWampd(t *testing.T) string {
	t.Helper()
	wampdBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "wampd-interop")
		if err != nil {
			wampdBuild.err = err
			return
		}
		wampdBuild.dir = dir
		bin := filepath.Join(dir, "wampd")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			wampdBuild.err = fmt.Errorf("go build wampd: %v\n%s", err, out)
			return
		}
		wampdBuild.bin = bin
	})
	if wampdBuild.err != nil {
		t.Fatal(wampdBuild.err)
	}
	return wampdBuild.bin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if wampdBuild.dir != "" {
		os.RemoveAll(wampdBuild.dir)
	}
	os.Exit(code)
}

// interopEnv says which clients are available and where their scripts are.
type interopEnv struct {
	bin     string
	pyDir   string
	jsDir   string
	python  bool
	pyWhy   string
	node    string
	nodeWhy string
}

func newInteropEnv(t *testing.T) *interopEnv {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("getwd: %v", err)
	}
	e := &interopEnv{
		pyDir: filepath.Join(wd, "testdata", "interop", "py"),
		jsDir: filepath.Join(wd, "testdata", "interop", "js"),
	}
	probe := exec.Command(pythonBin, "-c", "import autobahn, msgpack, cbor2, nacl")
	if out, err := probe.CombinedOutput(); err != nil {
		e.pyWhy = fmt.Sprintf("python3-autobahn not usable (%v: %s); install with `make deps`", err, bytes.TrimSpace(out))
	} else {
		e.python = true
	}
	node, err := exec.LookPath("node")
	if err != nil {
		e.nodeWhy = "node not installed; install node 20 and run `make deps`"
		return e
	}
	if _, err := os.Stat(filepath.Join(e.jsDir, "node_modules", "autobahn")); err != nil {
		// make deps runs npm ci; this fallback keeps a bare `go test` honest.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		ci := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		ci.Dir = e.jsDir
		if out, err := ci.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", e.jsDir, err, out)
		}
	}
	e.node = node
	return e
}

// needPython and needNode fail the test when a client is missing: `make
// test` installs both (make deps), so a missing one is a broken setup, and
// a skip would hide that the interop tests did not run.
func (e *interopEnv) needPython(t *testing.T) {
	t.Helper()
	if !e.python {
		t.Fatal(e.pyWhy)
	}
}

func (e *interopEnv) needNode(t *testing.T) {
	t.Helper()
	if e.node == "" {
		t.Fatal(e.nodeWhy)
	}
}

// router is one running wampd process owned by a test.
type router struct {
	cmd  *exec.Cmd
	ws   string // ws://127.0.0.1:PORT/ws
	rs   string // 127.0.0.1:PORT
	wss  string // wss://127.0.0.1:PORT/ws, when configured
	rss  string // 127.0.0.1:PORT of RawSocket over TLS, when configured
	unix string // RawSocket unix socket path, when asked for
	log  *lockedBuffer
	done chan struct{}
	err  error // Wait's result, valid once done is closed
}

// lockedBuffer collects a child's output for failure reports.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startRouter starts wampd with the anonymous realms realm1 and realm2 on
// ephemeral loopback ports and waits (bounded) for its "listening" log
// lines. The process is killed at cleanup if still running.
func startRouter(t *testing.T, env *interopEnv, withUnix bool) *router {
	t.Helper()
	return startRouterWith(t, env, withUnix, "--realm", "realm1", "--realm", "realm2")
}

// startRouterWith is startRouter with extra wampd flags in place of the
// realm flags (such as --config FILE); the listeners are always the
// ephemeral ones.
func startRouterWith(t *testing.T, env *interopEnv, withUnix bool, extra ...string) *router {
	t.Helper()
	return startRouterArgs(t, env, withUnix, append([]string{"--ws", "127.0.0.1:0", "--rawsocket", "127.0.0.1:0"}, extra...)...)
}

// startRouterArgs starts wampd with args and a text log, and waits
// (bounded) until it has logged "wampd started", after its "listening"
// lines: its listeners must include a ws:// and a loopback rs:// one (a
// configuration's own listeners on port 0 do; wss:// and rss:// ones are
// noted besides).
func startRouterArgs(t *testing.T, env *interopEnv, withUnix bool, args ...string) *router {
	t.Helper()
	args = append(args, "--log-format", "text")
	r := &router{log: &lockedBuffer{}, done: make(chan struct{})}
	if withUnix {
		// Unix socket paths are limited to ~100 bytes; t.TempDir can be longer.
		dir, err := os.MkdirTemp("", "wampd")
		if err != nil {
			t.Fatalf("mkdtemp: %v", err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		r.unix = filepath.Join(dir, "rs.sock")
		args = append(args, "--unix", r.unix)
	}
	r.cmd = exec.Command(env.bin, args...)
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatalf("stderr pipe: %v", err)
	}
	r.cmd.Stdout = r.log
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start wampd: %v", err)
	}
	found := make(chan struct{})
	go func() { // owned by the router: ends when wampd closes stderr
		var once sync.Once
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			r.log.Write([]byte(line + "\n"))
			kv := logFields(line)
			if kv["msg"] == "listening" {
				url := kv["url"]
				switch {
				case strings.HasPrefix(url, "wss://"):
					r.wss = url
				case strings.HasPrefix(url, "rss://"):
					r.rss = kv["addr"]
				case kv["transport"] == "websocket":
					r.ws = url
					if r.ws == "" {
						r.ws = "ws://" + kv["addr"] + "/ws"
					}
				case kv["transport"] == "rawsocket":
					if strings.HasPrefix(kv["addr"], "127.0.0.1:") {
						r.rs = kv["addr"]
					}
				}
			}
			if kv["msg"] == "wampd started" {
				once.Do(func() { close(found) })
			}
		}
	}()
	go func() { // owned by the router: ends when wampd exits
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			r.cmd.Process.Kill() // only our own child, by PID
			<-r.done
		}
		if t.Failed() {
			t.Logf("wampd log:\n%s", r.log.String())
		}
	})
	select {
	case <-found:
	case <-r.done:
		t.Fatalf("wampd exited before listening: %v\n%s", r.err, r.log.String())
	case <-time.After(startTimeout):
		t.Fatalf("wampd did not log its listening addresses within %v\n%s", startTimeout, r.log.String())
	}
	if r.ws == "" || r.rs == "" {
		t.Fatalf("wampd started without a ws:// and a loopback rs:// listener\n%s", r.log.String())
	}
	if withUnix {
		deadline := time.Now().Add(startTimeout)
		for {
			if _, err := os.Stat(r.unix); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("unix socket %s not created within %v\n%s", r.unix, startTimeout, r.log.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return r
}

// logFields splits a slog text line into its key=value pairs.
func logFields(line string) map[string]string {
	kv := map[string]string{}
	for len(line) > 0 {
		line = strings.TrimLeft(line, " ")
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			break
		}
		key := line[:eq]
		line = line[eq+1:]
		var val string
		if strings.HasPrefix(line, `"`) {
			if q, err := strconv.QuotedPrefix(line); err == nil {
				val, _ = strconv.Unquote(q)
				line = line[len(q):]
			}
		} else if sp := strings.IndexByte(line, ' '); sp >= 0 {
			val, line = line[:sp], line[sp:]
		} else {
			val, line = line, ""
		}
		kv[key] = val
	}
	return kv
}

// stop sends SIGTERM and returns wampd's exit error (nil for exit 0).
func (r *router) stop(t *testing.T) error {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM wampd: %v", err)
	}
	select {
	case <-r.done:
		return r.err
	case <-time.After(stopTimeout):
		t.Fatalf("wampd did not exit within %v of SIGTERM", stopTimeout)
		return nil
	}
}

// proc is a running client script.
type proc struct {
	name  string
	cmd   *exec.Cmd
	out   *lockedBuffer
	lines chan string
	done  chan struct{}
	err   error
}

// startScript starts a client script; it is killed at cleanup if still running.
func startScript(t *testing.T, name string, dir string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, out: &lockedBuffer{}, lines: make(chan string, 1024), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stderr = p.out
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("stdout pipe: %v", err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { // owned by p: ends when the script closes stdout
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Text()
			p.out.Write([]byte(line + "\n"))
			select {
			case p.lines <- line:
			default: // nobody waits for lines this late; the buffer has them
			}
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill() // only our own child, by PID
			<-p.done
		}
	})
	return p
}

// waitLine waits (bounded) for a stdout line starting with prefix.
func (p *proc) waitLine(t *testing.T, prefix string, d time.Duration) {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case line := <-p.lines:
			if strings.HasPrefix(line, prefix) {
				return
			}
		case <-p.done:
			t.Fatalf("%s exited (%v) before printing %q:\n%s", p.name, p.err, prefix, p.out.String())
		case <-timer.C:
			t.Fatalf("%s did not print %q within %v:\n%s", p.name, prefix, d, p.out.String())
		}
	}
}

// wait waits (bounded) for the script to end and checks it passed.
func (p *proc) wait(t *testing.T, d time.Duration) string {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not finish within %v:\n%s", p.name, d, p.out.String())
		return p.out.String()
	}
	out := p.out.String()
	if p.err != nil || strings.Contains(out, "\nFAIL ") || strings.HasPrefix(out, "FAIL ") || !strings.Contains(out, "DONE ") {
		t.Errorf("%s failed (%v):\n%s", p.name, p.err, out)
	} else if testing.Verbose() {
		t.Logf("%s: %s", p.name, lastLine(out))
	}
	return out
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// py starts interop.py for scenario over transport ("ws" or "rs").
func (e *interopEnv) py(t *testing.T, r *router, scenario, transport, ser string, extra ...string) *proc {
	t.Helper()
	return e.pyScript(t, r, "interop.py", scenario, transport, ser, extra...)
}

// pyScript starts the Python script (in testdata/interop/py) for scenario.
func (e *interopEnv) pyScript(t *testing.T, r *router, script, scenario, transport, ser string, extra ...string) *proc {
	t.Helper()
	args := []string{script, scenario, "--transport", transport, "--serializer", ser, "--ws", r.ws, "--rs", r.rs}
	args = append(args, extra...)
	return startScript(t, fmt.Sprintf("python %s %s %s/%s", script, scenario, transport, ser), e.pyDir, pythonBin, args...)
}

// js starts interop.js for scenario over WebSocket.
func (e *interopEnv) js(t *testing.T, r *router, scenario, ser string, extra ...string) *proc {
	t.Helper()
	return e.jsScript(t, r, "interop.js", scenario, ser, extra...)
}

// jsScript starts the node script (in testdata/interop/js) for scenario.
func (e *interopEnv) jsScript(t *testing.T, r *router, script, scenario, ser string, extra ...string) *proc {
	t.Helper()
	args := []string{"--experimental-websocket", "--no-warnings", script, scenario, "--url", r.ws, "--serializer", ser}
	args = append(args, extra...)
	return startScript(t, fmt.Sprintf("js %s %s ws/%s", script, scenario, ser), e.jsDir, e.node, args...)
}

func testPythonMatrix(t *testing.T, env *interopEnv, r *router) {
	env.needPython(t)
	for _, transport := range []string{"ws", "rs"} {
		for _, ser := range serializers {
			for _, scenario := range []string{"join", "rpc", "errors", "pubsub", "isolation"} {
				t.Run(transport+"/"+ser+"/"+scenario, func(t *testing.T) {
					env.py(t, r, scenario, transport, ser).wait(t, scriptTimeout)
				})
			}
		}
	}
	for _, ser := range serializers {
		t.Run("unix/"+ser+"/rpc", func(t *testing.T) {
			env.py(t, r, "rpc", "rs", ser, "--unix", r.unix).wait(t, scriptTimeout)
		})
	}
	t.Run("unix/json/join", func(t *testing.T) {
		env.py(t, r, "join", "rs", "json", "--unix", r.unix).wait(t, scriptTimeout)
	})
}

func testJSMatrix(t *testing.T, env *interopEnv, r *router) {
	env.needNode(t)
	for _, ser := range serializers {
		for _, scenario := range []string{"join", "rpc", "errors", "pubsub"} {
			t.Run("ws/"+ser+"/"+scenario, func(t *testing.T) {
				env.js(t, r, scenario, ser).wait(t, scriptTimeout)
			})
		}
	}
}

func testMixed(t *testing.T, env *interopEnv, r *router) {
	env.needPython(t)
	// Full echo set (binary, 1 MiB) between every pair of serializers.
	for _, caller := range serializers {
		for _, callee := range serializers {
			if caller == callee {
				continue
			}
			t.Run("python-rpc/"+caller+"-caller/"+callee+"-callee", func(t *testing.T) {
				env.py(t, r, "rpc", "ws", caller, "--caller-serializer", caller, "--callee-serializer", callee).wait(t, scriptTimeout)
			})
		}
	}
	t.Run("python-json-caller/python-msgpack-callee-rs", func(t *testing.T) {
		callee := env.py(t, r, "callee", "rs", "msgpack", "--procedure", "com.example.mixed1")
		callee.waitLine(t, "READY", startTimeout)
		env.py(t, r, "call", "ws", "json", "--procedure", "com.example.mixed1").wait(t, scriptTimeout)
	})
	t.Run("python-cbor-subscriber/python-json-publisher", func(t *testing.T) {
		sub := env.py(t, r, "subscriber", "ws", "cbor", "--topic", "com.example.mixed.t1", "--count", "25")
		sub.waitLine(t, "READY", startTimeout)
		env.py(t, r, "publisher", "rs", "json", "--topic", "com.example.mixed.t1", "--count", "25").wait(t, scriptTimeout)
		sub.wait(t, scriptTimeout)
	})
	t.Run("js", func(t *testing.T) {
		env.needNode(t)
		t.Run("js-json-caller/python-msgpack-callee", func(t *testing.T) {
			callee := env.py(t, r, "callee", "ws", "msgpack", "--procedure", "com.example.mixed2")
			callee.waitLine(t, "READY", startTimeout)
			env.js(t, r, "call", "json", "--procedure", "com.example.mixed2").wait(t, scriptTimeout)
			env.js(t, r, "call", "cbor", "--procedure", "com.example.mixed2").wait(t, scriptTimeout)
		})
		t.Run("python-cbor-subscriber/js-json-publisher", func(t *testing.T) {
			sub := env.py(t, r, "subscriber", "rs", "cbor", "--topic", "com.example.mixed.t2", "--count", "25")
			sub.waitLine(t, "READY", startTimeout)
			env.js(t, r, "publisher", "json", "--topic", "com.example.mixed.t2", "--count", "25").wait(t, scriptTimeout)
			sub.wait(t, scriptTimeout)
		})
		t.Run("python-json-subscriber/js-msgpack-publisher", func(t *testing.T) {
			sub := env.py(t, r, "subscriber", "ws", "json", "--topic", "com.example.mixed.t3", "--count", "25")
			sub.waitLine(t, "READY", startTimeout)
			env.js(t, r, "publisher", "msgpack", "--topic", "com.example.mixed.t3", "--count", "25").wait(t, scriptTimeout)
			sub.wait(t, scriptTimeout)
		})
	})
}

// testCalleeKilled SIGKILLs a callee while a call to it is in flight: the
// caller must get wamp.error.canceled promptly.
func testCalleeKilled(t *testing.T, env *interopEnv, r *router) {
	env.needPython(t)
	cases := []struct {
		name   string
		caller func(t *testing.T, proc string) *proc
	}{
		{"python-caller-ws-json", func(t *testing.T, proc string) *proc {
			return env.py(t, r, "call", "ws", "json", "--procedure", proc, "--expect-error", codec.ErrCanceled)
		}},
		{"python-caller-rs-cbor", func(t *testing.T, proc string) *proc {
			return env.py(t, r, "call", "rs", "cbor", "--procedure", proc, "--expect-error", codec.ErrCanceled)
		}},
		{"js-caller-ws-msgpack", func(t *testing.T, proc string) *proc {
			env.needNode(t)
			return env.js(t, r, "call", "msgpack", "--procedure", proc, "--expect-error", codec.ErrCanceled)
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("com.example.killme%d", i)
			callee := env.py(t, r, "callee", "ws", "msgpack", "--procedure", name)
			callee.waitLine(t, "READY", startTimeout)
			caller := tc.caller(t, name+".slow")
			callee.waitLine(t, "INVOKED", startTimeout)
			killed := time.Now()
			if err := callee.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("SIGKILL callee: %v", err)
			}
			caller.wait(t, cancelDeadline+5*time.Second)
			if took := time.Since(killed); took > cancelDeadline+3*time.Second {
				t.Errorf("caller got its answer %v after the callee died, want < %v", took, cancelDeadline)
			}
		})
	}
}

// testGarbage sends malformed input on fresh connections: each must be
// closed, while an already connected session keeps working.
func testGarbage(t *testing.T, env *interopEnv, r *router) {
	env.needPython(t)
	callee := env.py(t, r, "callee", "ws", "json", "--procedure", "com.example.survivor")
	callee.waitLine(t, "READY", startTimeout)

	rsCases := []struct {
		name  string
		hello bool
		send  []byte
	}{
		{"rawsocket/non-json-frame-before-hello", false, rsFrame(0, []byte("nope!"))},
		{"rawsocket/unknown-frame-type", false, append([]byte{0x07, 0, 0, 3}, "abc"...)},
		{"rawsocket/non-wamp-json-before-hello", false, rsFrame(0, []byte(`{"not":"a list"}`))},
		{"rawsocket/truncated-json-after-welcome", true, rsFrame(0, []byte(`[48, 1, {}, "com.example.survivor"`))},
		{"rawsocket/random-bytes-after-welcome", true, rsFrame(0, []byte{0xff, 0x00, 0xfe, 0x13, 0x37})},
		{"rawsocket/reserved-frame-type-after-welcome", true, append([]byte{0x03, 0, 0, 2}, "[]"...)},
	}
	for _, tc := range rsCases {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", r.rs, startTimeout)
			if err != nil {
				t.Fatalf("dial rawsocket: %v", err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			// Handshake: magic, max length 2^24 (0xF), serializer JSON (1).
			if _, err := conn.Write([]byte{0x7F, 0xF1, 0, 0}); err != nil {
				t.Fatalf("write handshake: %v", err)
			}
			var hs [4]byte
			if _, err := io.ReadFull(conn, hs[:]); err != nil {
				t.Fatalf("read handshake reply: %v", err)
			}
			if hs[0] != 0x7F || hs[1]&0x0F != 1 {
				t.Fatalf("handshake reply % x, want 7f x1 00 00", hs)
			}
			if tc.hello {
				if _, err := conn.Write(rsFrame(0, []byte(`[1,"realm1",{"roles":{"caller":{}}}]`))); err != nil {
					t.Fatalf("write HELLO: %v", err)
				}
				msg := readRSMessage(t, conn)
				if !bytes.HasPrefix(msg, []byte("[2,")) {
					t.Fatalf("want WELCOME, got %q", msg)
				}
			}
			if _, err := conn.Write(tc.send); err != nil {
				t.Fatalf("write garbage: %v", err)
			}
			expectRSClosed(t, conn)
		})
	}

	wsCases := []struct {
		name  string
		hello bool
		op    ws.OpCode
		send  []byte
	}{
		{"websocket/truncated-json-before-hello", false, ws.OpText, []byte(`[1, "realm1"`)},
		{"websocket/non-wamp-json-before-hello", false, ws.OpText, []byte(`{"not":"a list"}`)},
		{"websocket/unknown-type-after-welcome", true, ws.OpText, []byte(`[999, 1, {}]`)},
		{"websocket/truncated-json-after-welcome", true, ws.OpText, []byte(`[48, 1, {}, "com.example.survivor"`)},
		{"websocket/call-with-bad-field-types-after-welcome", true, ws.OpText, []byte(`[48, "one", "two", 3]`)},
		{"websocket/binary-garbage-after-welcome", true, ws.OpBinary, []byte{0xff, 0x00, 0xfe}},
	}
	for _, tc := range wsCases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			d := ws.Dialer{Protocols: []string{"wamp.2.json"}, Timeout: startTimeout}
			conn, br, hs, err := d.Dial(ctx, r.ws)
			if err != nil {
				t.Fatalf("dial websocket: %v", err)
			}
			defer conn.Close()
			if hs.Protocol != "wamp.2.json" {
				t.Fatalf("negotiated subprotocol %q, want wamp.2.json", hs.Protocol)
			}
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			rw := wsReadWriter(conn, br)
			if tc.hello {
				if err := wsutil.WriteClientMessage(conn, ws.OpText, []byte(`[1,"realm1",{"roles":{"caller":{}}}]`)); err != nil {
					t.Fatalf("write HELLO: %v", err)
				}
				msg, _, err := wsutil.ReadServerData(rw)
				if err != nil || !bytes.HasPrefix(msg, []byte("[2,")) {
					t.Fatalf("want WELCOME, got %q (%v)", msg, err)
				}
			}
			if err := wsutil.WriteClientMessage(conn, tc.op, tc.send); err != nil {
				t.Fatalf("write garbage: %v", err)
			}
			expectWSClosed(t, rw)
		})
	}

	// The session connected all along still serves calls.
	for _, ser := range serializers {
		t.Run("survivor-still-serves/"+ser, func(t *testing.T) {
			env.py(t, r, "call", "rs", ser, "--procedure", "com.example.survivor").wait(t, scriptTimeout)
		})
	}
}

func rsFrame(typ byte, payload []byte) []byte {
	b := make([]byte, 4, 4+len(payload))
	binary.BigEndian.PutUint32(b, uint32(len(payload)))
	b[0] = typ
	return append(b, payload...)
}

// readRSMessage reads RawSocket frames until a WAMP message (type 0).
func readRSMessage(t *testing.T, conn net.Conn) []byte {
	t.Helper()
	for {
		var h [4]byte
		if _, err := io.ReadFull(conn, h[:]); err != nil {
			t.Fatalf("read frame header: %v", err)
		}
		n := binary.BigEndian.Uint32(h[:]) & 0xFFFFFF
		p := make([]byte, n)
		if _, err := io.ReadFull(conn, p); err != nil {
			t.Fatalf("read frame payload: %v", err)
		}
		if h[0]&0x07 == 0 {
			return p
		}
	}
}

// expectRSClosed reads until the router closes the connection; an ABORT
// before the close is fine, anything still open at the deadline is not.
func expectRSClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	var got []string
	for {
		var h [4]byte
		_, err := io.ReadFull(conn, h[:])
		if err == nil {
			n := binary.BigEndian.Uint32(h[:]) & 0xFFFFFF
			p := make([]byte, n)
			if _, err = io.ReadFull(conn, p); err == nil {
				got = append(got, string(p))
				continue
			}
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open 10s after garbage; received %q", got)
		}
		if len(got) > 0 && !strings.HasPrefix(got[len(got)-1], "[3,") {
			t.Errorf("last message before close %q, want ABORT (or nothing)", got[len(got)-1])
		}
		return // EOF or reset: closed
	}
}

// wsReadWriter reads what the handshake buffered before the connection.
func wsReadWriter(conn net.Conn, br *bufio.Reader) io.ReadWriter {
	if br == nil {
		return conn
	}
	return struct {
		io.Reader
		io.Writer
	}{io.MultiReader(br, conn), conn}
}

// expectWSClosed reads until a close frame or EOF; an ABORT first is fine.
func expectWSClosed(t *testing.T, rw io.ReadWriter) {
	t.Helper()
	var got []string
	for {
		msg, _, err := wsutil.ReadServerData(rw)
		if err == nil {
			got = append(got, string(msg))
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open 10s after garbage; received %q", got)
		}
		if len(got) > 0 && !strings.HasPrefix(got[len(got)-1], "[3,") {
			t.Errorf("last message before close %q, want ABORT (or nothing)", got[len(got)-1])
		}
		return
	}
}

// testShutdown SIGTERMs a router with clients connected on every transport:
// each sees GOODBYE wamp.close.system_shutdown and wampd exits 0.
func testShutdown(t *testing.T, env *interopEnv) {
	env.needPython(t)
	r := startRouter(t, env, false)
	waiters := []*proc{
		env.py(t, r, "waiter", "ws", "json"),
		env.py(t, r, "waiter", "rs", "msgpack"),
		env.py(t, r, "waiter", "ws", "cbor"),
	}
	env.needNode(t)
	waiters = append(waiters, env.js(t, r, "waiter", "msgpack"))
	for _, w := range waiters {
		w.waitLine(t, "READY", startTimeout)
	}
	if err := r.stop(t); err != nil {
		t.Errorf("wampd exit after SIGTERM: %v, want exit 0\n%s", err, r.log.String())
	}
	for _, w := range waiters {
		w.wait(t, stopTimeout)
	}
}
