package bench

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

func TestPayloadRoundTrip(t *testing.T) {
	for _, ser := range []codec.Serializer{codec.JSON, codec.MsgPack, codec.CBOR} {
		for _, size := range []int{0, 24, 64, 300, 70000} {
			t.Run(ser.String()+"/"+time.Duration(size).String(), func(t *testing.T) {
				stamp, seq := int64(1_700_000_000_123_456_789), uint64(42)
				b := appendPayload(nil, ser, stamp, seq, size)
				if size > 100 && (len(b) < size-10 || len(b) > size+20) {
					t.Fatalf("size %d gave %d bytes", size, len(b))
				}
				gs, gq, err := parsePayload(ser, b)
				if err != nil || gs != stamp || gq != seq {
					t.Fatalf("got %d %d %v", gs, gq, err)
				}
			})
		}
	}
}

func TestPayloadRejectsGarbage(t *testing.T) {
	for _, tc := range []struct {
		ser codec.Serializer
		in  []byte
	}{{codec.JSON, []byte(`{"a":1}`)}, {codec.JSON, []byte(`["x",1]`)}, {codec.MsgPack, []byte{0x81}}, {codec.CBOR, []byte{0xa1}}, {codec.CBOR, nil}} {
		if _, _, err := parsePayload(tc.ser, tc.in); !errors.Is(err, ErrPayload) {
			t.Errorf("%v %x: err %v", tc.ser, tc.in, err)
		}
	}
}

func TestWebSocketFrames(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 100000} {
		for _, mask := range []bool{false, true} {
			p := bytes.Repeat([]byte{'a'}, n)
			f := wsAppendFrame(nil, wsBinary, p, mask, key)
			// Every proper prefix is incomplete, the whole frame parses.
			for _, cut := range []int{0, 1, 2, 5, len(f) - 1} {
				if cut < 0 || cut >= len(f) {
					continue
				}
				if _, ok, err := wsParseFrame(f[:cut], 1<<20); ok || err != nil {
					t.Fatalf("n=%d mask=%v cut=%d: ok=%v err=%v", n, mask, cut, ok, err)
				}
			}
			h, ok, err := wsParseFrame(f, 1<<20)
			if !ok || err != nil || h.payload != n || h.masked != mask || h.opcode != wsBinary || !h.fin {
				t.Fatalf("n=%d mask=%v: %+v %v %v", n, mask, h, ok, err)
			}
			got := f[h.hdrLen:]
			if mask {
				wsMask(got, h.mask)
			}
			if !bytes.Equal(got, p) {
				t.Fatalf("n=%d: payload differs", n)
			}
		}
	}
	if _, _, err := wsParseFrame(wsAppendFrame(nil, wsText, make([]byte, 200), false, key), 100); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize frame: %v", err)
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Endpoint
		err  bool
	}{
		{"ws://127.0.0.1:8080/ws", Endpoint{WebSocket, "127.0.0.1:8080", "127.0.0.1:8080", "/ws"}, false},
		{"ws://h:1", Endpoint{WebSocket, "h:1", "h:1", "/"}, false},
		{"rs://127.0.0.1:9000", Endpoint{Transport: RawSocket, Addr: "127.0.0.1:9000"}, false},
		{"tcp://h:2", Endpoint{Transport: RawSocket, Addr: "h:2"}, false},
		{"wss://h:1/ws", Endpoint{}, true},
		{"ws://h/ws", Endpoint{}, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseEndpoint(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
}

func TestRecorderSummary(t *testing.T) {
	r := NewRecorder(4)
	for i := 1; i <= 1000; i++ {
		r.Record(i, time.Duration(i)*time.Microsecond)
	}
	l := Summarize(r.Merged())
	if l.Count != 1000 || l.P50 < 495 || l.P50 > 505 || l.P99 < 985 || l.P99 > 995 || l.MaxUs < 999 || l.MaxUs > 1001 {
		t.Fatalf("summary %+v", l)
	}
	if len(l.Curve) != len(curvePercentiles) {
		t.Fatalf("curve has %d points", len(l.Curve))
	}
}

// nopHandler counts events.
type nopHandler struct{ n int }

func (*nopHandler) OnWelcome(*Session)                   {}
func (h *nopHandler) OnMessage(*Session, *codec.Message) { h.n++ }
func (*nopHandler) OnClose(*Session, error)              {}

// openSession returns a session already past WELCOME, for feeding frames.
func openSession(ser codec.Serializer, tr Transport, h Handler) *Session {
	s := newSession(Endpoint{Transport: tr, Addr: "x:1", Path: "/ws"}, ser, "realm1", nil, h, 0)
	s.state = stOpen
	return s
}

func eventFrame(b testing.TB, ser codec.Serializer, tr Transport) []byte {
	args := appendPayload(nil, ser, 123, 1, 64)
	p, err := codec.Append(ser, nil, &codec.Message{Type: codec.Event, ID: 1, ID2: 2, Args: args, PayloadSer: ser})
	if err != nil {
		b.Fatal(err)
	}
	return frameFor(ser, tr, p)
}

func TestSessionConsumesSplitInput(t *testing.T) {
	for _, tr := range []Transport{WebSocket, RawSocket} {
		for _, ser := range []codec.Serializer{codec.JSON, codec.MsgPack, codec.CBOR} {
			t.Run(tr.String()+"/"+ser.String(), func(t *testing.T) {
				f := eventFrame(t, ser, tr)
				stream := bytes.Repeat(f, 3)
				for cut := 0; cut <= len(stream); cut++ {
					h := &nopHandler{}
					s := openSession(ser, tr, h)
					used, err := s.consume(stream[:cut])
					if err != nil {
						t.Fatal(err)
					}
					rest := append(append([]byte{}, stream[used:cut]...), stream[cut:]...)
					if _, err := s.consume(rest); err != nil {
						t.Fatal(err)
					}
					if h.n != 3 {
						t.Fatalf("cut %d: %d events", cut, h.n)
					}
				}
			})
		}
	}
}

// BenchmarkSession_EventIn_64B is the subscriber's hot path: one framed
// EVENT parsed, decoded and its payload stamp read. It must not allocate.
func BenchmarkSession_EventIn_64B(b *testing.B) {
	for _, ser := range []codec.Serializer{codec.JSON, codec.MsgPack, codec.CBOR} {
		b.Run(ser.String(), func(b *testing.B) {
			f := eventFrame(b, ser, WebSocket)
			s := openSession(ser, WebSocket, stampHandler{})
			b.ReportAllocs()
			b.SetBytes(int64(len(f)))
			for b.Loop() {
				if _, err := s.consume(f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type stampHandler struct{}

func (stampHandler) OnWelcome(*Session) {}
func (stampHandler) OnMessage(s *Session, m *codec.Message) {
	if _, _, err := parsePayload(s.Serializer(), m.Args); err != nil {
		panic(err)
	}
}
func (stampHandler) OnClose(*Session, error) {}

// BenchmarkSession_CallOut_64B is the caller's hot path: payload built,
// CALL encoded, masked and framed into the output buffer. It must not
// allocate.
func BenchmarkSession_CallOut_64B(b *testing.B) {
	for _, ser := range []codec.Serializer{codec.JSON, codec.MsgPack, codec.CBOR} {
		b.Run(ser.String(), func(b *testing.B) {
			s := openSession(ser, WebSocket, &nopHandler{})
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				buf = appendPayload(buf[:0], ser, 123, 1, 64)
				m := codec.Message{Type: codec.Call, Request: s.NextRequest(), URI: "wampbench.echo.0", Args: buf, PayloadSer: ser}
				if err := s.Send(&m); err != nil {
					b.Fatal(err)
				}
				s.out = s.out[:0]
			}
		})
	}
}

func TestProcessCPU(t *testing.T) {
	cpu, ok := processCPU(os.Getpid())
	if !ok {
		t.Fatal("own /proc/PID/stat not read")
	}
	// Burn a little CPU: the figure must grow.
	x := 0
	for i := range 200_000_000 {
		x += i
	}
	after, _ := processCPU(os.Getpid())
	if after <= cpu {
		t.Fatalf("CPU time did not grow: %v -> %v (%d)", cpu, after, x)
	}
	if _, ok := processCPU(1 << 30); ok {
		t.Fatal("a process that does not exist has a CPU time")
	}
}

func TestHostCPU(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	t0, ok := parseStat([]byte("cpu  1000 10 300 5000 40 0 100 0 0 0\ncpu0 500 5 150 2500 20 0 50 0 0 0\n"))
	if !ok {
		t.Fatal("stat line not parsed")
	}
	t1, _ := parseStat([]byte("cpu  1440 20 400 5140 60 0 170 20 0 0\n"))
	// Deltas: user 440+10, system 100, idle 140+20, irq 70, steal 20: 800 ticks.
	h := hostCPU(t0, t1, 500*time.Millisecond, time.Second)
	want := HostCPU{BusyPct: 80, UserPct: 56.25, SystemPct: 12.5, IRQPct: 8.75, StealPct: 2.5, IdlePct: 20, ClientCores: 0.5}
	if h == nil || *h != want {
		t.Fatalf("host CPU %+v, want %+v", h, want)
	}
	if hostCPU(t1, t0, 0, time.Second) != nil {
		t.Fatal("counters that went backwards gave figures")
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7 8", "cpu 1 2 x 4 5 6 7 8", "cpu 1 2 3"} {
		if _, ok := parseStat([]byte(bad)); ok {
			t.Fatalf("%q parsed", bad)
		}
	}
	if _, ok := machineTicks(); !ok {
		t.Fatal("/proc/stat not read")
	}
}

func TestGCBetween(t *testing.T) {
	mk := func(cycles uint64, counts ...uint64) *debugGC {
		d := &debugGC{GCCycles: cycles}
		bounds := [][2]float64{{0, 1e-5}, {1e-5, 1e-4}, {1e-4, 1e-3}, {1e-3, 1e-2}}
		for i, n := range counts {
			d.GCPauses.Buckets = append(d.GCPauses.Buckets, struct {
				Lo    float64 `json:"lo"`
				Hi    float64 `json:"hi"`
				Count uint64  `json:"count"`
			}{bounds[i][0], bounds[i][1], n})
		}
		return d
	}
	tests := []struct {
		name          string
		a, b          *debugGC
		pauses        uint64
		p50, p99, max float64
	}{
		{"only new pauses count", mk(10, 5, 0, 0, 3), mk(14, 105, 0, 1, 3), 101, 0.01, 0.01, 1},
		{"nothing new", mk(3, 1, 1), mk(3, 1, 1), 0, 0, 0, 0},
		{"slow pause", mk(1, 0, 0, 0, 0), mk(2, 1, 0, 0, 1), 2, 0.01, 10, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := gcBetween(tc.a, tc.b)
			if g.Pauses != tc.pauses || g.Cycles != tc.b.GCCycles-tc.a.GCCycles {
				t.Fatalf("pauses %d cycles %d, want %d %d", g.Pauses, g.Cycles, tc.pauses, tc.b.GCCycles-tc.a.GCCycles)
			}
			near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
			if !near(g.PauseP50Ms, tc.p50) || !near(g.PauseP99Ms, tc.p99) || !near(g.PauseMaxMs, tc.max) {
				t.Fatalf("p50 %v p99 %v max %v ms, want %v %v %v", g.PauseP50Ms, g.PauseP99Ms, g.PauseMaxMs, tc.p50, tc.p99, tc.max)
			}
		})
	}
}

func TestWriteFullSection(t *testing.T) {
	rep := &FullReport{Machine: MachineInfo(), Command: "make bench-full", Rows: []FullRow{
		{Target: "1", What: "fan-out", Measured: "1,234 events/s", Ceiling: "2,000 events/s", Ratio: "61.7%", Goal: ">= 50%", Pass: true},
		{Target: "2", What: "latency", Measured: "90µs", Ceiling: "10µs", Ratio: "9.00x", Goal: "<= 2.5x", Note: "slow"},
	}, Runs: []string{"wampbench rpc --url ws://127.0.0.1:1/ws"}}
	path := filepath.Join(t.TempDir(), "b.md")
	if err := os.WriteFile(path, []byte("# Benchmarks\n\nintro\n\n## Go benchmarks\n\ncodec table\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 2 { // the second write replaces the first
		if err := WriteFullSection(path, rep); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		doc := string(b)
		if strings.Count(doc, FullBegin) != 1 || strings.Count(doc, FullEnd) != 1 {
			t.Fatalf("write %d: markers %d/%d", i, strings.Count(doc, FullBegin), strings.Count(doc, FullEnd))
		}
		for _, want := range []string{"| 1 | fan-out | 1,234 events/s | 2,000 events/s | 61.7% | >= 50% | pass |", "| FAIL | slow |", "1 of 2 rows pass"} {
			if !strings.Contains(doc, want) {
				t.Fatalf("write %d lacks %q:\n%s", i, want, doc)
			}
		}
		if !strings.HasSuffix(doc, "## Go benchmarks\n\ncodec table\n") || strings.Index(doc, FullEnd) > strings.Index(doc, "## Go benchmarks") {
			t.Fatalf("write %d: the Go benchmarks section must stay last:\n%s", i, doc)
		}
	}
}

func TestBenchLine(t *testing.T) {
	tests := []struct {
		line   string
		ok     bool
		allocs string
	}{
		{"BenchmarkCall_64B/json-2   20000   742.6 ns/op  122.55 MB/s  0 B/op  0 allocs/op", true, "0"},
		{"BenchmarkPublish_64B_Actor-2   20000   769.7 ns/op   3 B/op   1 allocs/op", true, "1"},
		{"PASS", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			m := benchLine.FindStringSubmatch(tc.line)
			if (m != nil) != tc.ok || (m != nil && m[4] != tc.allocs) {
				t.Fatalf("match %v", m)
			}
		})
	}
	if num(1234567.4) != "1,234,567" || num(12) != "12" || num(-1000) != "-1,000" {
		t.Fatalf("num: %s %s %s", num(1234567.4), num(12), num(-1000))
	}
}

func TestCeilingOf(t *testing.T) {
	res := func(v ...float64) []*Result {
		var rs []*Result
		for _, x := range v {
			rs = append(rs, &Result{Throughput: x})
		}
		return rs
	}
	tput := func(r *Result) float64 { return r.Throughput }
	tests := []struct {
		name     string
		rs       []*Result
		want     float64
		noteHas  string
		noteNone bool
	}{
		{"two agree: mean", res(100, 95), 97.5, "", true},
		{"two disagree: mean and a note", res(100, 80), 90, "20% apart", false},
		{"three: median", res(100, 80, 97), 97, "median of three", false},
		{"a failed run", []*Result{{Throughput: 1}, nil}, 0, "failed", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, note := ceilingOf(tc.rs, tput, num)
			if got != tc.want || (tc.noteNone && note != "") || !strings.Contains(note, tc.noteHas) {
				t.Fatalf("got %v %q, want %v %q", got, note, tc.want, tc.noteHas)
			}
		})
	}
}

func TestClosestAndNotes(t *testing.T) {
	rs := []*Result{{Name: "a", Throughput: 100}, {Name: "b", Throughput: 80}, {Name: "c", Throughput: 97}}
	if r := closest(rs, func(r *Result) float64 { return r.Throughput }, 97); r == nil || r.Name != "c" {
		t.Fatalf("closest: %+v", r)
	}
	if r := closest(append(rs, nil), func(r *Result) float64 { return r.Throughput }, 97); r != nil {
		t.Fatalf("a failed run must give nil, got %+v", r)
	}
	if got := joinNotes("wampd: ", "raw: 20% apart"); got != "raw: 20% apart" {
		t.Fatalf("joinNotes: %q", got)
	}
	if got := joinNotes("wampd: x", "raw: y"); got != "wampd: x; raw: y" {
		t.Fatalf("joinNotes: %q", got)
	}
}

// TestEndpointFor: the sessions of a role spread over several URLs
// (--sub-urls) go to them in turn, session i to URL i mod n; without any,
// every session goes to the client's own endpoint (--url).
func TestEndpointFor(t *testing.T) {
	eps, err := parseEndpoints([]string{"ws://127.0.0.1:1/ws", "rs://127.0.0.1:2", "ws://127.0.0.1:3/ws"})
	if err != nil {
		t.Fatal(err)
	}
	def := Endpoint{Transport: RawSocket, Addr: "127.0.0.1:9"}
	var got []string
	for i := range 7 {
		got = append(got, endpointFor(eps, i, def).Addr)
	}
	if want := "127.0.0.1:1 127.0.0.1:2 127.0.0.1:3 127.0.0.1:1 127.0.0.1:2 127.0.0.1:3 127.0.0.1:1"; strings.Join(got, " ") != want {
		t.Errorf("assignment %v, want %s", got, want)
	}
	if got := endpointFor(nil, 5, def); got != def {
		t.Errorf("without URLs: %+v, want the client's endpoint", got)
	}
	if got := endpointURLs(eps); strings.Join(got, ",") != "ws://127.0.0.1:1/ws,rs://127.0.0.1:2,ws://127.0.0.1:3/ws" {
		t.Errorf("URLs back: %v", got)
	}
	if _, err := parseEndpoints([]string{"ws://127.0.0.1:1/ws", "http://x:2"}); !errors.Is(err, ErrBadURL) {
		t.Errorf("a bad URL in the list: %v", err)
	}
	if eps, err := parseEndpoints(nil); err != nil || len(eps) != 0 {
		t.Errorf("no URLs: %v %v", eps, err)
	}
}

// TestRouterPIDs: RouterPIDs stands instead of RouterPID; one process gets
// no per-process entries (its figures are the Result's own), several get
// one each, labelled node1, node2, ... in order.
func TestRouterPIDs(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want []int
	}{{Config{}, nil}, {Config{RouterPID: 7}, []int{7}}, {Config{RouterPID: 7, RouterPIDs: []int{8, 9}}, []int{8, 9}}} {
		if got := tc.cfg.routerPIDs(); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: pids %v, want %v", tc.cfg, got, tc.want)
		}
	}
	if p := newRouterProcs([]int{7}); p != nil {
		t.Errorf("one process: %+v, want no entries", p)
	}
	p := newRouterProcs([]int{7, 8, 9})
	if len(p) != 3 || p[0] != (RouterProc{Label: "node1", PID: 7}) || p[2] != (RouterProc{Label: "node3", PID: 9}) {
		t.Errorf("three processes: %+v", p)
	}
}

// TestFillRouterCPU: each process's CPU time per second and per operation,
// and their sum as the router's figures; with one process the figures are
// the ones a single --router-pid always gave; a process that could not be
// read leaves the sum out (a partial sum would pass for the cluster's).
func TestFillRouterCPU(t *testing.T) {
	res := &Result{Routers: newRouterProcs([]int{10, 11})}
	fillRouterCPU(res, []time.Duration{300 * time.Millisecond, 100 * time.Millisecond}, []bool{true, true}, 2, 1000)
	a, b := res.Routers[0], res.Routers[1]
	if a.CPUSeconds != 0.3 || a.CPUCores != 0.15 || a.CPUUsPerOp != 300 || b.CPUSeconds != 0.1 || b.CPUUsPerOp != 100 {
		t.Errorf("per process: %+v %+v", a, b)
	}
	if res.RouterCPUSeconds != 0.4 || res.RouterCPUCores != 0.2 || res.RouterCPUUsPerOp != 400 {
		t.Errorf("sum: %v s, %v cores, %v µs/op", res.RouterCPUSeconds, res.RouterCPUCores, res.RouterCPUUsPerOp)
	}

	one := &Result{Routers: newRouterProcs([]int{10})}
	fillRouterCPU(one, []time.Duration{500 * time.Millisecond}, []bool{true}, 2, 250)
	if one.Routers != nil || one.RouterCPUSeconds != 0.5 || one.RouterCPUCores != 0.25 || one.RouterCPUUsPerOp != 2000 {
		t.Errorf("one process: %+v", one)
	}

	part := &Result{Routers: newRouterProcs([]int{10, 11})}
	fillRouterCPU(part, []time.Duration{300 * time.Millisecond, 0}, []bool{true, false}, 2, 1000)
	if part.Routers[0].CPUSeconds != 0.3 || part.RouterCPUSeconds != 0 || part.RouterCPUUsPerOp != 0 {
		t.Errorf("one process unread: %+v, sum %v s", part.Routers, part.RouterCPUSeconds)
	}

	none := &Result{}
	fillRouterCPU(none, nil, nil, 2, 1000)
	if none.RouterCPUSeconds != 0 || none.Routers != nil {
		t.Errorf("no process: %+v", none)
	}
}

// TestReadRouterRSS: the sum of the processes' RSS, each stored in its
// entry; 0 when one cannot be read.
func TestReadRouterRSS(t *testing.T) {
	pids := []int{os.Getpid(), os.Getppid()}
	procs := newRouterProcs(pids)
	total := readRouterRSS(pids, procs, true)
	if procs[0].RSSBeforeBytes <= 0 || procs[1].RSSBeforeBytes <= 0 || procs[0].RSSBytes != 0 {
		t.Fatalf("before: %+v", procs)
	}
	// Allow for this process's RSS moving between the two reads.
	if d := total - procs[0].RSSBeforeBytes - procs[1].RSSBeforeBytes; d < -1<<20 || d > 1<<20 {
		t.Errorf("sum %d of %+v", total, procs)
	}
	if readRouterRSS(pids, procs, false) <= 0 || procs[1].RSSBytes <= 0 {
		t.Errorf("end: %+v", procs)
	}
	if got := readRouterRSS([]int{os.Getpid(), 1 << 30}, nil, false); got != 0 {
		t.Errorf("with a process that does not exist: %d, want 0", got)
	}
	if got := readRouterRSS(nil, nil, false); got != 0 {
		t.Errorf("no process: %d", got)
	}
}

// TestMergeRouterProcs: concurrent runs on the same processes (--realms)
// average each process's cores and spread them over the merged operations.
func TestMergeRouterProcs(t *testing.T) {
	run := func(coresA, coresB float64, rssA int64) *Result {
		return &Result{Routers: []RouterProc{{Label: "node1", PID: 1, CPUCores: coresA, RSSBytes: rssA, RSSBeforeBytes: rssA - 10},
			{Label: "node2", PID: 2, CPUCores: coresB, RSSBytes: 50, RSSBeforeBytes: 40}}}
	}
	out := mergeRouterProcs([]*Result{run(0.4, 0.1, 100), run(0.6, 0.3, 200)}, 2, 4000)
	if len(out) != 2 || out[0].CPUCores != 0.5 || out[0].CPUSeconds != 1 || out[0].CPUUsPerOp != 250 ||
		out[0].RSSBytes != 200 || out[0].RSSBeforeBytes != 90 || math.Abs(out[1].CPUCores-0.2) > 1e-12 || out[1].Label != "node2" {
		t.Errorf("merged: %+v", out)
	}
	if out := mergeRouterProcs([]*Result{{}, {}}, 2, 10); out != nil {
		t.Errorf("single-process runs: %+v", out)
	}
}

// TestRPCProbeAnswer: before measuring, a RESULT marks the caller's
// procedure as known where it is, no_such_procedure (a registration not
// yet known on the caller's node of a cluster) is answered but tried
// again, with no error; any other ERROR is one. Without a probe, early
// answers are ignored as before.
func TestRPCProbeAnswer(t *testing.T) {
	r := &rpcRun{probed: make([]atomic.Bool, 2)}
	s := &Session{Index: 1}
	r.probeAnswer(s, &codec.Message{Type: codec.Error, ReqType: codec.Call, URI: codec.ErrNoSuchProcedure})
	if r.probed[1].Load() || r.probeAnswers.Load() != 1 {
		t.Fatalf("no_such_procedure: probed %v, answers %d", r.probed[1].Load(), r.probeAnswers.Load())
	}
	if n, _ := r.errs.snapshot(); n != 0 {
		t.Fatalf("no_such_procedure counted as an error")
	}
	r.probeAnswer(s, &codec.Message{Type: codec.Result})
	if !r.probed[1].Load() || r.probed[0].Load() || r.probeAnswers.Load() != 2 {
		t.Fatalf("RESULT: probed %v %v, answers %d", r.probed[0].Load(), r.probed[1].Load(), r.probeAnswers.Load())
	}
	r.probeAnswer(s, &codec.Message{Type: codec.Error, ReqType: codec.Call, URI: codec.ErrNotAuthorized})
	if n, samples := r.errs.snapshot(); n != 1 || !strings.Contains(samples[0], codec.ErrNotAuthorized) {
		t.Fatalf("another error: %d %v", n, samples)
	}
	var quiet rpcRun
	quiet.probeAnswer(s, &codec.Message{Type: codec.Error, URI: codec.ErrNotAuthorized})
	if n, _ := quiet.errs.snapshot(); n != 0 || quiet.probeAnswers.Load() != 0 {
		t.Fatalf("without a probe, an early answer was taken")
	}
}
