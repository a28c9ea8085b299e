package netpoll

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wampd/wampd/codec"
)

// TestIdleSessionMemory_TLS measures what an idle wss:// session costs the
// server against a ws:// one. The clients run in a child process (this
// test binary, TestHelperIdleClients), so the heap and RSS deltas are the
// server's alone. WAMPD_HEAPPROF=file writes the wss server's heap profile
// (every allocation sampled) once the sessions are open.
func TestIdleSessionMemory_TLS(t *testing.T) {
	if testing.Short() {
		t.Skip("memory measurement")
	}
	const warm, n = 50, 1000
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < n+warm+100 {
		t.Skipf("fd limit %d too low for %d conns", lim.Cur, n)
	}
	if os.Getenv("WAMPD_HEAPPROF") != "" {
		runtime.MemProfileRate = 1
	}
	ca := newTestCA(t, "wampd test CA")
	dir := t.TempDir()
	conf := tlsFiles(t, dir, ca, 2)
	caFile := conf.ClientCAFile
	for _, secure := range []bool{false, true} {
		name := map[bool]string{false: "ws", true: "wss"}[secure]
		t.Run(name, func(t *testing.T) {
			h := &countHandler{}
			var s *Server
			if secure {
				s = startTLSServer(t, Options{}, h, conf)
			} else {
				s = startServer(t, Options{Listeners: []Listener{{Network: "tcp", Addr: "127.0.0.1:0", WebSocket: true}}}, h)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperIdleClients$")
			cmd.Env = append(os.Environ(), "WAMPD_IDLE_CLIENTS="+s.Addrs()[0].String(),
				"WAMPD_IDLE_N="+strconv.Itoa(warm)+","+strconv.Itoa(n))
			if secure {
				cmd.Env = append(cmd.Env, "WAMPD_IDLE_CA="+caFile)
			}
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
			out := bufio.NewScanner(stdout)
			await := func(want string) {
				t.Helper()
				for out.Scan() {
					if out.Text() == want {
						return
					}
				}
				t.Fatalf("helper: no %q", want)
			}
			await("warm")
			waitOpened(t, h, warm)
			heap0, rss0 := heapInUse(), rssBytes(t)
			_, _ = io.WriteString(stdin, "go\n")
			await("ready")
			waitOpened(t, h, warm+n)
			heap1, rss1 := heapInUse(), rssBytes(t)
			if f := os.Getenv("WAMPD_HEAPPROF"); f != "" && secure {
				pf, _ := os.Create(f)
				_ = pprof.Lookup("heap").WriteTo(pf, 0)
				_ = pf.Close()
			}
			t.Logf("%d idle %s conns: server heap %d B/conn, server RSS %d B/conn",
				n, name, (heap1-heap0)/n, (rss1-rss0)/n)
		})
	}
}

// TestHelperIdleClients is the child of TestIdleSessionMemory_TLS: it opens
// WebSocket sessions (over TLS when WAMPD_IDLE_CA names the CA) and holds
// them until its stdin closes.
func TestHelperIdleClients(t *testing.T) {
	addr := os.Getenv("WAMPD_IDLE_CLIENTS")
	if addr == "" {
		t.Skip("helper process only")
	}
	var warm, n int
	_, _ = fmt.Sscanf(os.Getenv("WAMPD_IDLE_N"), "%d,%d", &warm, &n)
	var conf *tls.Config
	if f := os.Getenv("WAMPD_IDLE_CA"); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		conf = &tls.Config{RootCAs: x509Pool(pem), ServerName: "127.0.0.1"}
	}
	open := func(k int) {
		for range k {
			if conf != nil {
				mustDialWSS(t, addr, conf, "wamp.2.json")
			} else {
				dialWS(t, "tcp", addr, "wamp.2.json")
			}
		}
	}
	in := bufio.NewScanner(os.Stdin)
	open(warm)
	fmt.Println("warm")
	in.Scan()
	open(n)
	fmt.Println("ready")
	for in.Scan() {
	}
}

// BenchmarkEcho_64B is one client's round trip through the echo handler,
// plain and over TLS: ns/op is the mean, p50-ns the median.
func BenchmarkEcho_64B(b *testing.B) {
	ca := newTestCA(b, "wampd test CA")
	conf := tlsFiles(b, b.TempDir(), ca, 2)
	msg := []byte(`[48,1,{},"com.example.echo",["0123456789012345678901234567890"]]`)[:64]
	for _, tc := range []struct {
		name   string
		secure bool
		ws     bool
	}{
		{"rawsocket", false, false}, {"rawsocket_tls", true, false},
		{"websocket", false, true}, {"websocket_tls", true, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := newEcho(true)
			var s *Server
			if tc.secure {
				s = startTLSServer(b, Options{EventLoops: 1}, h, conf)
			} else {
				s = startBenchServer(b, h)
			}
			addr := s.Addrs()[0].String()
			var send func()
			var recv func() error
			switch {
			case tc.ws:
				var c *wsClient
				if tc.secure {
					c = mustDialWSS(b, addr, clientTLS(ca), "wamp.2.json")
				} else {
					c, _ = dialWS(b, "tcp", addr, "wamp.2.json")
				}
				_ = c.SetDeadline(time.Time{})
				send = func() { c.sendMsg(b, msg) }
				recv = func() error { _, _, err := c.read(); return err }
			default:
				var c net.Conn
				if tc.secure {
					c = mustDialRSS(b, addr, clientTLS(ca), 1, 15)
				} else {
					c = dialRS(b, "tcp", addr, 1, 15)
				}
				_ = c.SetDeadline(time.Time{})
				frame := append(rsHeaderSlice(len(msg)), msg...)
				send = func() { _, _ = c.Write(frame) }
				recv = func() error { _, _, err := rsRead(c); return err }
			}
			lat := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				send()
				if err := recv(); err != nil {
					b.Fatal(err)
				}
				if len(lat) < cap(lat) {
					lat = append(lat, time.Since(t0))
				}
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		})
	}
}

func rsHeaderSlice(n int) []byte { h := rsHeader(rsMessage, n); return h[:] }

// startBenchServer starts a plain server with one event loop (the bench
// box default) for a benchmark.
func startBenchServer(b *testing.B, h Handler) *Server {
	s, err := NewServer(Options{Logger: quietLogger(), EventLoops: 1,
		Listeners: []Listener{{Network: "tcp", Addr: "127.0.0.1:0", WebSocket: true, RawSocket: true}}}, h)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s
}

// BenchmarkFanOut_64B_100Conns sends one shared 64-byte EVENT to 100
// RawSocket clients per op, plain and over TLS; cpu-ns/event is the whole
// process's CPU (server and clients, which decrypt too) per event
// delivered.
func BenchmarkFanOut_64B_100Conns(b *testing.B) {
	const n = 100
	ca := newTestCA(b, "wampd test CA")
	conf := tlsFiles(b, b.TempDir(), ca, 2)
	payload := `[36,1,2,{},["0123456789012345678901234567890123456789012345"]]`
	for _, secure := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "tls"}[secure], func(b *testing.B) {
			h := newEcho(true)
			h.opens = make(chan *Conn, n)
			h.closes = make(chan *Conn, n)
			var s *Server
			if secure {
				s = startTLSServer(b, Options{EventLoops: 1}, h, conf)
			} else {
				s = startBenchServer(b, h)
			}
			addr := s.Addrs()[0].String()
			var received atomic.Int64
			var wg sync.WaitGroup
			defer wg.Wait()
			conns := make([]*Conn, n)
			for i := range conns {
				var cl net.Conn
				if secure {
					cl = mustDialRSS(b, addr, clientTLS(ca), 1, 15)
				} else {
					cl = dialRS(b, "tcp", addr, 1, 15)
				}
				_ = cl.SetDeadline(time.Time{})
				defer cl.Close() // before wg.Wait: ends the reader
				wg.Add(1)
				go func() {
					defer wg.Done()
					buf := make([]byte, 64<<10)
					for {
						m, err := cl.Read(buf)
						received.Add(int64(m))
						if err != nil {
							return
						}
					}
				}()
				conns[i] = <-h.opens
			}
			var sent int64
			cpu0 := cpuTime()
			b.ReportAllocs()
			for b.Loop() {
				f := codec.NewFrame(codec.JSON)
				f.B = append(f.B, payload...)
				f.Seal()
				for _, c := range conns {
					c.Send(f, false)
					c.Flush()
				}
				f.Release()
				sent += int64(n * (4 + len(payload)))
				// Keep the clients within reach: a bench loop far ahead
				// of them measures the queues, not the path.
				for sent-received.Load() > 256<<10 {
					time.Sleep(10 * time.Microsecond)
				}
			}
			for deadline := time.Now().Add(10 * time.Second); received.Load() < sent && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			cpu := cpuTime() - cpu0
			b.StopTimer()
			if received.Load() < sent {
				b.Fatalf("received %d of %d bytes", received.Load(), sent)
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu-ns/event")
		})
	}
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTLSRecord_64B is what TLS adds per message, as crypto/tls does
// it over a connection already up: one op is a 68-byte RawSocket frame
// sealed and opened each way (client to server, server to client), so the
// server's share per message sent or received is about a quarter of it.
func BenchmarkTLSRecord_64B(b *testing.B) {
	ca := newTestCA(b, "wampd test CA")
	conf := tlsFiles(b, b.TempDir(), ca, 2)
	cert, err := tls.LoadX509KeyPair(conf.CertFile, conf.KeyFile)
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		b.Run(tls.VersionName(v), func(b *testing.B) {
			cw, sw := &memWire{}, &memWire{}
			cw.peer, sw.peer = sw, cw
			srv := tls.Server(sw, &tls.Config{Certificates: []tls.Certificate{cert}})
			cc := clientTLS(ca)
			cc.MaxVersion = v
			cl := tls.Client(cw, cc)
			done := make(chan error, 1)
			go func() { done <- srv.Handshake() }()
			if err := cl.Handshake(); err != nil {
				b.Fatal(err)
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			frame := append(rsHeaderSlice(64), make([]byte, 64)...)
			buf := make([]byte, 256)
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				_, _ = cl.Write(frame)
				if _, err := srv.Read(buf); err != nil {
					b.Fatal(err)
				}
				_, _ = srv.Write(frame)
				if _, err := cl.Read(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// memWire is one end of an in-memory, buffered net.Conn pair.
type memWire struct {
	net.Conn
	mu   sync.Mutex
	cond *sync.Cond
	buf  []byte
	peer *memWire
}

func (w *memWire) init() {
	if w.cond == nil {
		w.cond = sync.NewCond(&w.mu)
	}
}

func (w *memWire) Write(p []byte) (int, error) {
	r := w.peer
	r.mu.Lock()
	r.init()
	r.buf = append(r.buf, p...)
	r.cond.Broadcast()
	r.mu.Unlock()
	return len(p), nil
}

func (w *memWire) Read(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.init()
	for len(w.buf) == 0 {
		w.cond.Wait()
	}
	n := copy(p, w.buf)
	w.buf = w.buf[:copy(w.buf, w.buf[n:])]
	return n, nil
}

func (w *memWire) SetDeadline(time.Time) error      { return nil }
func (w *memWire) SetWriteDeadline(time.Time) error { return nil }
