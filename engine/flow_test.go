package engine

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wampd/wampd/engine/config"
)

// flowConfig is testConfig with flow control on: high-water 64 KiB,
// low-water 16 KiB, the given stall bound and outbound policy.
func flowConfig(stall time.Duration, policy string) config.Config {
	cfg := testConfig()
	cfg.Limits.OutboundPolicy = policy
	cfg.Limits.FlowControl = config.FlowControl{Enabled: true, HighWater: 64 << 10, LowWater: 16 << 10, Stall: config.Duration(stall)}
	cfg.Metrics.Listen = "127.0.0.1:0"
	return cfg
}

// rawPeer is a RawSocket JSON client with a small kernel buffer, so that
// a peer that stops reading (or a router that stops reading it) shows at
// once instead of after megabytes of socket buffers.
type rawPeer struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

func dialSmall(t *testing.T, rt *Router) *rawPeer {
	t.Helper()
	d := net.Dialer{Timeout: testTimeout, Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 8<<10); serr == nil {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, 8<<10)
			}
		})
		return errors.Join(err, serr)
	}}
	conn, err := d.Dial("tcp", endpoint(t, rt, config.TransportRawSocket).Addr.String())
	if err != nil {
		t.Fatalf("rawsocket dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	p := &rawPeer{t: t, conn: conn, rd: bufio.NewReaderSize(conn, 64<<10)}
	rsHandshake(t, conn)
	p.send(`[1,"realm1",{"roles":{"publisher":{},"subscriber":{}}}]`)
	if m := p.recv(); !strings.HasPrefix(m, "[2,") {
		t.Fatalf("want WELCOME, got %s", m)
	}
	return p
}

func frame(msg string) []byte {
	hdr := [4]byte{0, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}
	return append(hdr[:], msg...)
}

func (p *rawPeer) send(msg string) {
	p.t.Helper()
	_ = p.conn.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := p.conn.Write(frame(msg)); err != nil {
		p.t.Fatalf("send: %v", err)
	}
}

// next reads one message (PINGs skipped); "" at an error.
func (p *rawPeer) next(deadline time.Time) (string, error) {
	_ = p.conn.SetReadDeadline(deadline)
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(p.rd, hdr[:]); err != nil {
			return "", err
		}
		data := make([]byte, int(hdr[1])<<16|int(hdr[2])<<8|int(hdr[3]))
		if _, err := io.ReadFull(p.rd, data); err != nil {
			return "", err
		}
		if hdr[0]&0x07 == 0 {
			return string(data), nil
		}
	}
}

func (p *rawPeer) recv() string {
	p.t.Helper()
	m, err := p.next(time.Now().Add(testTimeout))
	if err != nil {
		p.t.Fatalf("recv: %v", err)
	}
	return m
}

func (p *rawPeer) subscribe(topic string) {
	p.t.Helper()
	p.send(`[32,1,{},"` + topic + `"]`)
	if m := p.recv(); !strings.HasPrefix(m, "[33,1,") {
		p.t.Fatalf("want SUBSCRIBED, got %s", m)
	}
}

// events reads EVENTs until n arrived or the connection ended, and checks
// they carry the sequence numbers 0..n-1 in order.
func (p *rawPeer) events(n int, within time.Duration) (got int, err error) {
	deadline := time.Now().Add(within)
	for got < n {
		m, err := p.next(deadline)
		if err != nil {
			return got, err
		}
		if !strings.HasPrefix(m, "[36,") {
			continue
		}
		i := strings.LastIndex(m, "[") // [36,sub,pub,{},[seq,"pad"]]
		seq, err := strconv.Atoi(m[i+1 : strings.IndexByte(m[i:], ',')+i])
		if err != nil || seq != got {
			return got, fmt.Errorf("event %d carries %q", got, m[i:min(len(m), i+20)])
		}
		got++
	}
	return got, nil
}

// publisher writes n PUBLISHes of about size bytes on its own goroutine,
// each write bounded by a short deadline it retries, so that the test sees
// when the router stopped reading it (blocked) and when it reads again.
type publisher struct {
	sent    atomic.Int64 // whole messages written
	blocked atomic.Int64 // writes that timed out: the router was not reading
	done    chan error
}

func (p *rawPeer) publish(topic, options string, n, size int) *publisher {
	pub := &publisher{done: make(chan error, 1)}
	pad := strings.Repeat("x", size)
	go func() {
		end := time.Now().Add(4 * testTimeout)
		for i := 0; i < n; i++ {
			buf := frame(fmt.Sprintf(`[16,%d,%s,"%s",[%d,"%s"]]`, i+100, options, topic, i, pad))
			for len(buf) > 0 {
				if time.Now().After(end) {
					pub.done <- fmt.Errorf("publisher still blocked after %v, %d sent", 4*testTimeout, i)
					return
				}
				_ = p.conn.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
				k, err := p.conn.Write(buf)
				buf = buf[k:]
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					pub.blocked.Add(1)
					continue
				}
				if err != nil {
					pub.done <- err
					return
				}
			}
			pub.sent.Add(1)
		}
		pub.done <- nil
	}()
	return pub
}

// everyEvent checks sub gets all n events of pub in order, and that pub
// wrote them all.
func everyEvent(t *testing.T, sub *rawPeer, pub *publisher, n int) {
	t.Helper()
	got, err := sub.events(n, 4*testTimeout)
	if err != nil || got != n {
		t.Fatalf("subscriber got %d of %d events: %v", got, n, err)
	}
	if err := <-pub.done; err != nil {
		t.Fatal(err)
	}
}

// stuckAndHealthy subscribes a subscriber that never reads and one that
// does to topic, then publishes n events of 4 KB (10 MB: more than the
// kernel's buffers) and checks the healthy one gets them all.
func stuckAndHealthy(t *testing.T, rt *Router, n int) {
	t.Helper()
	stuck := dialSmall(t, rt)
	stuck.subscribe("telemetry")
	healthy := dialSmall(t, rt)
	healthy.subscribe("telemetry")
	everyEvent(t, healthy, dialSmall(t, rt).publish("telemetry", "{}", n, 4000), n)
}

// routerRecvQueue is the kernel's count of bytes received on the router's
// side of conn and not read by the router (/proc/net/tcp rx_queue).
func routerRecvQueue(t *testing.T, conn net.Conn) int {
	t.Helper()
	local := conn.LocalAddr().(*net.TCPAddr)
	remote := conn.RemoteAddr().(*net.TCPAddr)
	data, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skipf("no /proc/net/tcp: %v", err)
	}
	// The router's socket: local = the router's port, remote = ours.
	want := fmt.Sprintf(":%04X", remote.Port)
	peer := fmt.Sprintf(":%04X", local.Port)
	for _, line := range bytes.Split(data, []byte("\n"))[1:] {
		f := strings.Fields(string(line))
		if len(f) < 5 || !strings.HasSuffix(f[1], want) || !strings.HasSuffix(f[2], peer) {
			continue
		}
		q := strings.SplitN(f[4], ":", 2)
		n, _ := strconv.ParseInt(q[1], 16, 64)
		return int(n)
	}
	t.Fatalf("router's socket for %v not in /proc/net/tcp", local)
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(2 * testTimeout); !cond(); {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A publisher whose subscriber stopped reading is itself no longer read
// once the subscriber's queue passes the high-water mark: the kernel holds
// what it sent, its writes block; when the subscriber reads again the
// publisher is read again and nothing was lost. (A subscriber that makes
// no progress is cut after a tenth of the stall bound: 60 s leaves the
// test 6 s to look.)
func TestFlowControlHoldsPublisher(t *testing.T) {
	rt, _ := startRouter(t, flowConfig(time.Minute, config.PolicyDrop))
	sub := dialSmall(t, rt)
	sub.subscribe("telemetry")
	pubc := dialSmall(t, rt)
	// 10 MB: more than the kernel's buffers (the router's send buffer to
	// the subscriber grows to 4 MiB) and the 64 KiB mark.
	const n = 2500
	pub := pubc.publish("telemetry", "{}", n, 4000)

	waitFor(t, "the publisher's writes to block", func() bool { return pub.blocked.Load() > 5 })
	held := rt.srv.Stats()
	if held.FlowStalls < 1 || held.FlowHeld != 1 {
		t.Fatalf("flow stats %+v, want one sender held", held)
	}
	if q := routerRecvQueue(t, pubc.conn); q == 0 {
		t.Fatal("the router's receive queue of the held publisher is empty: it is still being read")
	}
	sentWhileHeld := pub.sent.Load()
	time.Sleep(100 * time.Millisecond)
	if d := pub.sent.Load() - sentWhileHeld; d > 64 {
		t.Fatalf("%d more publications went through while the publisher was held", d)
	}

	// The subscriber reads again: everything arrives, in order.
	everyEvent(t, sub, pub, n)
	waitFor(t, "the publisher released", func() bool { return rt.srv.Stats().FlowHeld == 0 })
	st := rt.srv.Stats()
	if st.FlowReleases < 1 || st.FlowCuts != 0 || st.DroppedEvents != 0 || st.FlowStallNanos <= 0 {
		t.Fatalf("flow stats %+v: want a release, no cut, no drop", st)
	}
}

// A subscriber that never reads holds its publisher for the stall bound
// only; then the outbound policy takes it, and the healthy subscriber gets
// every event.
func TestFlowControlCutsStuckSubscriber(t *testing.T) {
	for _, policy := range []string{config.PolicyDrop, config.PolicyDisconnect} {
		t.Run(policy, func(t *testing.T) {
			rt, _ := startRouter(t, flowConfig(300*time.Millisecond, policy))
			stuckAndHealthy(t, rt, 2500)
			waitFor(t, "the publisher released", func() bool { return rt.srv.Stats().FlowHeld == 0 })
			st := rt.srv.Stats()
			if st.FlowStalls < 1 || st.FlowCuts < 1 {
				t.Fatalf("flow stats %+v: want the stuck subscriber to have held the publisher, then been cut", st)
			}
			fams := scrape(t, rt)
			for _, m := range []struct {
				name string
				want float64
			}{
				{"wampd_flow_stalls_total", float64(st.FlowStalls)},
				{"wampd_flow_releases_total", float64(st.FlowReleases)},
				{"wampd_flow_cuts_total", float64(st.FlowCuts)},
				{"wampd_flow_held", 0},
			} {
				if v, ok := sample(fams, m.name); !ok || v != m.want {
					t.Errorf("/metrics %s = %v (present %v), want %v", m.name, v, ok, m.want)
				}
			}
			if v, _ := sample(fams, "wampd_flow_stall_seconds_total"); v <= 0 {
				t.Errorf("/metrics wampd_flow_stall_seconds_total = %v, want > 0", v)
			}
			switch policy {
			case config.PolicyDrop:
				if st.DroppedEvents == 0 || st.SlowDisconnects != 0 {
					t.Fatalf("stats %+v: want the stuck subscriber's events dropped, no disconnect", st)
				}
			case config.PolicyDisconnect:
				if st.SlowDisconnects != 1 {
					t.Fatalf("stats %+v: want the stuck subscriber disconnected", st)
				}
			}
		})
	}
}

// A subscriber that makes no progress at all is cut once watched for a
// tenth of the stall bound, not at the bound: it would not get under the
// low-water mark in time, and meanwhile it holds every healthy subscriber.
func TestFlowControlCutsHopelessEarly(t *testing.T) {
	const bound = 20 * time.Second
	rt, _ := startRouter(t, flowConfig(bound, config.PolicyDrop))
	start := time.Now()
	cut := make(chan time.Duration, 1)
	go func() { // notes when the stuck subscriber was cut (bounded by the bound)
		for time.Since(start) < bound && rt.srv.Stats().FlowCuts == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		cut <- time.Since(start)
	}()
	// The healthy subscriber gets everything (within 20 s), and the cut
	// comes before half the bound: a tenth of it once the stuck one's
	// queue is over the mark.
	stuckAndHealthy(t, rt, 2500)
	if d := <-cut; d >= bound/2 {
		t.Fatalf("the stuck subscriber was cut after %v, want well before the %v bound", d, bound)
	}
	if st := rt.srv.Stats(); st.FlowCuts != 1 {
		t.Fatalf("flow stats %+v: want the stuck subscriber cut once", st)
	}
}

// A publisher subscribed to its own topic that writes without reading is
// never held by its own queue: it could not read what it would wait for.
func TestFlowControlSelfSubscriber(t *testing.T) {
	cfg := flowConfig(10*time.Second, config.PolicyDrop)
	cfg.Limits.OutboundQueue = 64 << 20 // all of its own events wait for it
	rt, _ := startRouter(t, cfg)
	self := dialSmall(t, rt)
	self.subscribe("loop")
	const n = 2500 // 10 MB: more than the kernel's buffers
	pub := self.publish("loop", `{"exclude_me":false}`, n, 4000)
	var wg sync.WaitGroup
	wg.Add(1)
	var got int
	var err error
	go func() { // reads only once the publisher is done
		defer wg.Done()
		if err = <-pub.done; err == nil {
			got, err = self.events(n, 4*testTimeout)
		}
	}()
	wg.Wait()
	if err != nil || got != n {
		t.Fatalf("got %d of %d own events: %v", got, n, err)
	}
	if st := rt.srv.Stats(); st.FlowStalls != 0 {
		t.Fatalf("flow stats %+v: the publisher was held by itself", st)
	}
}

// The same for RPC: a callee that stopped reading holds the caller that
// fills its queue with INVOCATIONs; once it reads again every call gets
// its result.
func TestFlowControlHoldsCaller(t *testing.T) {
	rt, _ := startRouter(t, flowConfig(time.Minute, config.PolicyDrop))
	callee := dialSmall(t, rt)
	callee.send(`[64,1,{},"slow.echo"]`)
	if m := callee.recv(); !strings.HasPrefix(m, "[65,1,") {
		t.Fatalf("want REGISTERED, got %s", m)
	}
	caller := dialSmall(t, rt)
	const n = 2500
	pad := strings.Repeat("x", 4000)
	sent := make(chan error, 1)
	var blocked atomic.Int64
	go func() {
		for i := 0; i < n; i++ {
			buf := frame(fmt.Sprintf(`[48,%d,{},"slow.echo",[%d,"%s"]]`, i+1, i, pad))
			for len(buf) > 0 {
				_ = caller.conn.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
				k, err := caller.conn.Write(buf)
				buf = buf[k:]
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					if blocked.Add(1) > 400 { // 20 s
						sent <- fmt.Errorf("caller blocked for good after %d calls", i)
						return
					}
					continue
				}
				if err != nil {
					sent <- err
					return
				}
			}
		}
		sent <- nil
	}()
	waitFor(t, "the caller's writes to block", func() bool { return blocked.Load() > 5 })
	if st := rt.srv.Stats(); st.FlowHeld != 1 {
		t.Fatalf("flow stats %+v, want the caller held", st)
	}
	if q := routerRecvQueue(t, caller.conn); q == 0 {
		t.Fatal("the router's receive queue of the held caller is empty: it is still being read")
	}

	results := make(chan error, 1)
	go func() { // the caller reads its results
		deadline := time.Now().Add(4 * testTimeout)
		for got := 0; got < n; {
			m, err := caller.next(deadline)
			if err != nil {
				results <- fmt.Errorf("after %d results: %w", got, err)
				return
			}
			if strings.HasPrefix(m, "[50,") {
				got++
			}
		}
		results <- nil
	}()
	deadline := time.Now().Add(4 * testTimeout)
	for got := 0; got < n; got++ { // the callee reads again and answers
		m, err := callee.next(deadline)
		if err != nil {
			t.Fatalf("callee after %d invocations: %v", got, err)
		}
		if !strings.HasPrefix(m, "[68,") {
			t.Fatalf("want INVOCATION, got %.40s", m)
		}
		f := strings.SplitN(m, ",", 3) // [68,invID,...
		callee.send(`[70,` + f[1] + `,{},["ok"]]`)
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if err := <-results; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the caller released", func() bool { return rt.srv.Stats().FlowHeld == 0 })
}

// limits.outbound_delay bounds a queue in time: a subscriber whose oldest
// queued event waits for longer is over its bound although its bytes are
// far under outbound_queue; a healthy one loses nothing.
func TestOutboundDelay(t *testing.T) {
	cfg := testConfig()
	cfg.Limits.OutboundQueue = 256 << 20
	cfg.Limits.OutboundPolicy = config.PolicyDisconnect
	cfg.Limits.OutboundDelay = config.Duration(50 * time.Millisecond)
	rt, _ := startRouter(t, cfg)
	stuckAndHealthy(t, rt, 2500)
	waitFor(t, "the stuck subscriber disconnected", func() bool { return rt.srv.Stats().SlowDisconnects == 1 })
}
