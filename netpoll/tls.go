package netpoll

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// TLS on gnet's event loops.
//
// gnet has no TLS (gnet #16, #749). A TLS connection here is a gnet
// connection like any other: the same Conn, the same state machine after
// the TLS handshake (first-byte sniffing of RawSocket or WebSocket, the
// same framing functions, the same Handler called on the event loop), the
// same outbound queue, byte bound, policy and per-loop write queue (outq),
// the same handshake timeout. What differs sits between gnet's bytes and
// the framing:
//
//   - The handshake runs on a goroutine of its own (crypto/tls has no
//     non-blocking handshake: a failed read ends it), started only once the
//     client's first record, a whole ClientHello, is buffered, and bounded
//     by Options.MaxTLSHandshakes and by the handshake timeout (the ticker
//     closes the conn, which ends the goroutine's blocking read). The event
//     loop feeds it the bytes it receives and writes what it produces
//     (tlsWire, in handshake mode); the CPU of the key exchange and
//     signature never runs on a loop.
//   - Once the handshake is done the loop takes the tls.Conn over: on each
//     OnTraffic it decrypts everything gnet holds (tls.Conn.Read over
//     tlsWire, whose reads return a temporary net.Error when gnet's buffer
//     is empty; crypto/tls keeps a partial record and resumes on the next
//     read, a temporary error is not sticky) into plainBuf, and the
//     framing reads plainBuf as it reads gnet's buffer for a plain conn.
//     writeBatch encrypts a batch with one tls.Conn.Write; the records
//     collect in the loop's scratch (outq.tlsOut) and go to gnet in one
//     Write.
//
// Why not a reader goroutine per TLS connection over crypto/tls's own
// net.Conn: it keeps a parked goroutine (8 KiB of stack at least) and a
// read buffer per idle session, calls the Handler off the event loop
// (breaking its "runs on the connection's loop" contract and the loop's
// yield to the actor), and needs a writer of its own, since the realm actor
// must never block on a socket. Here an idle wss:// session costs the
// server 7.7 KiB of heap against 0.93 KiB for ws:// (TestIdleSessionMemory
// _TLS, 1,000 sessions, clients in another process), all of the difference
// inside crypto/tls: its record and handshake buffers (3.5 KiB, sized by a
// ClientHello that carries a 1.2 KiB ML-KEM key share from Go 1.24 and
// current browsers), two AES-GCM states (1.8 KiB), the tls.Conn (0.9 KiB).
// Sealing or opening a 68-byte record costs about 0.2-0.25 us
// (BenchmarkTLSRecord_64B); on the 2-core box echo p50 and fan-out CPU per
// event were within the run-to-run noise of plain (BenchmarkEcho_64B,
// BenchmarkFanOut_64B_100Conns; docs/benchmarks.md).

// ClientAuth says whether a TLS listener asks clients for a certificate.
type ClientAuth uint8

// Client certificate modes.
const (
	// ClientCertNone asks for no client certificate (the default).
	ClientCertNone ClientAuth = iota
	// ClientCertOptional asks for one and verifies it against the client
	// CAs when the client sends one; clients without one are served.
	ClientCertOptional
	// ClientCertRequired refuses the handshake of a client that sends no
	// certificate, or one the client CAs do not verify.
	ClientCertRequired
)

// String returns "none", "optional" or "required", as in configuration.
func (a ClientAuth) String() string {
	switch a {
	case ClientCertNone:
		return "none"
	case ClientCertOptional:
		return "optional"
	case ClientCertRequired:
		return "required"
	}
	return fmt.Sprintf("ClientAuth(%d)", uint8(a))
}

// TLSConfig turns a listener into a TLS listener: wss:// for WebSocket,
// RawSocket over TLS, or both (sniffed after the TLS handshake). Files are
// read by NewServer and again by Server.ReloadTLS.
type TLSConfig struct {
	CertFile string // PEM: the server certificate, then any intermediates
	KeyFile  string // PEM: its private key (PKCS #1, PKCS #8 or EC)
	// ClientCAFile is a PEM bundle of the CAs client certificates must
	// chain to; ClientCertOptional and ClientCertRequired need it.
	ClientCAFile string
	ClientAuth   ClientAuth
	// MinVersion is tls.VersionTLS12 (also when 0) or tls.VersionTLS13.
	MinVersion uint16
}

// load reads the files and builds the tls.Config new connections use.
func (t *TLSConfig) load() (*tls.Config, error) {
	if t.CertFile == "" || t.KeyFile == "" {
		return nil, fmt.Errorf("%w: needs a certificate and a key file", ErrTLSConfig)
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTLSConfig, err)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
	}
	switch t.MinVersion {
	case 0, tls.VersionTLS12:
	case tls.VersionTLS13:
		cfg.MinVersion = tls.VersionTLS13
	default:
		return nil, fmt.Errorf("%w: min version %#x: TLS 1.2 or 1.3 only", ErrTLSConfig, t.MinVersion)
	}
	switch t.ClientAuth {
	case ClientCertNone:
		if t.ClientCAFile != "" {
			return nil, fmt.Errorf("%w: a client CA file without client certificates asked for", ErrTLSConfig)
		}
		return cfg, nil
	case ClientCertOptional:
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case ClientCertRequired:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("%w: client auth %d", ErrTLSConfig, t.ClientAuth)
	}
	if t.ClientCAFile == "" {
		return nil, fmt.Errorf("%w: client certificates %s need a client CA file", ErrTLSConfig, t.ClientAuth)
	}
	pem, err := os.ReadFile(t.ClientCAFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTLSConfig, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%w: %s holds no PEM certificate", ErrTLSConfig, t.ClientCAFile)
	}
	cfg.ClientCAs = pool
	return cfg, nil
}

// tlsListener is the live configuration of one TLS listener. Each new
// connection takes the current *tls.Config at accept; ReloadTLS swaps in a
// new one (certificate, key and client CAs together), so connections
// already up keep theirs and are not disturbed. Session tickets issued
// under the old configuration are not accepted by the new one: those
// clients make a full handshake once.
type tlsListener struct {
	conf TLSConfig
	cur  atomic.Pointer[tls.Config]
}

// ReloadTLS reads the certificate, key and client CA files of every TLS
// listener again; connections accepted from then on use them, sessions
// already up are not touched. All listeners change or none: on an error
// (a missing file, a key that does not match its certificate) the
// configuration in use stays and the error says which listener failed.
// Safe from any goroutine (the lead wires it to SIGHUP).
func (s *Server) ReloadTLS() error {
	cfgs := make([]*tls.Config, len(s.tlsl))
	for i, l := range s.tlsl {
		if l == nil {
			continue
		}
		cfg, err := l.conf.load()
		if err != nil {
			return fmt.Errorf("listener %d (%s): %w", i, s.opts.Listeners[i].Addr, err)
		}
		cfgs[i] = cfg
	}
	for i, l := range s.tlsl {
		if l != nil {
			l.cur.Store(cfgs[i])
			s.logCert(i, cfgs[i])
		}
	}
	return nil
}

// logCert logs which certificate listener i serves.
func (s *Server) logCert(i int, cfg *tls.Config) {
	if leaf := cfg.Certificates[0].Leaf; leaf != nil {
		s.log.Info("netpoll: TLS certificate loaded", "listener", s.opts.Listeners[i].Addr,
			"subject", leaf.Subject.String(), "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
}

// Channel-binding types for Conn.ChannelBinding (RFC 5929, RFC 9266).
const (
	ChannelBindingTLSUnique   = "tls-unique"   // TLS 1.2: the first Finished message
	ChannelBindingTLSExporter = "tls-exporter" // TLS 1.3 (or 1.2 with extended master secret)
)

// TLS returns the connection's TLS state (version, cipher suite, verified
// client certificate chains, ...), or nil for a plain connection. Safe from
// any goroutine once Handler.OnOpen was called; each call builds a new
// state, so callers ask once per session.
func (c *Conn) TLS() *tls.ConnectionState {
	if c.tls == nil {
		return nil
	}
	st := c.tls.tc.ConnectionState()
	if !st.HandshakeComplete {
		return nil
	}
	return &st
}

// ChannelBinding returns the channel-binding data of kind
// (ChannelBindingTLSUnique or ChannelBindingTLSExporter) that ties an
// authentication to this TLS connection: tls-unique is TLS 1.2's first
// Finished message, tls-exporter RFC 9266's 32 bytes of keying material
// exported with the label "EXPORTER-Channel-Binding" and no context. It
// fails with ErrChannelBinding for a plain connection or a kind the
// negotiated version does not define (tls-unique on TLS 1.3). Safe from
// any goroutine once Handler.OnOpen was called.
func (c *Conn) ChannelBinding(kind string) ([]byte, error) {
	st := c.TLS()
	if st == nil {
		return nil, fmt.Errorf("%w: not a TLS connection", ErrChannelBinding)
	}
	switch kind {
	case ChannelBindingTLSUnique:
		if st.Version >= tls.VersionTLS13 || len(st.TLSUnique) == 0 {
			return nil, fmt.Errorf("%w: tls-unique is not defined for %s", ErrChannelBinding, tls.VersionName(st.Version))
		}
		return append([]byte(nil), st.TLSUnique...), nil
	case ChannelBindingTLSExporter:
		b, err := st.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrChannelBinding, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: unknown type %q", ErrChannelBinding, kind)
}

// Handshake progress, written by the handshake goroutine under tlsWire.mu.
const (
	hsRunning = iota
	hsDone
	hsFailed
)

// TLS record facts used to vet the first record before a goroutine is
// spent on it.
const (
	tlsRecordHandshake = 0x16
	tlsRecordHeader    = 5
	tlsMaxRecord       = 16384 + 2048 // largest TLSCiphertext
	// maxTLSHandshakeInput bounds what a client may send during the
	// handshake before the handshake has read it (a client certificate
	// chain fits many times over).
	maxTLSHandshakeInput = 256 << 10
)

// DefaultMaxTLSHandshakes is Options.MaxTLSHandshakes when left 0.
const DefaultMaxTLSHandshakes = 1024

// tlsConn is the TLS side of a Conn: the tls.Conn and its plaintext.
// Ownership: during the handshake tc belongs to the handshake goroutine and
// wire's handshake fields are shared under wire.mu; from the loop's switch
// (wire.up) on, tc, plain and wire belong to the conn's event loop, except
// tc.ConnectionState, which crypto/tls lets any goroutine call.
type tlsConn struct {
	tc    *tls.Conn
	plain plainBuf
	wire  tlsWire
}

// tlsWire is the net.Conn under tc. In handshake mode its reads block until
// the loop fed bytes (or the conn closed), its writes queue bytes for the
// loop to send, and each write wakes the loop. In loop mode (up) reads
// take from gnet's buffer and never block, writes append to the loop's
// scratch, which the caller then hands to gnet (Conn.flushTLS).
type tlsWire struct {
	c *Conn

	mu     sync.Mutex
	cond   sync.Cond
	in     []byte // received, not yet read by tc; loop mode: leftover of the handshake
	inOff  int
	out    []byte // written by tc during the handshake, not yet sent
	closed bool   // the conn is gone: reads fail
	result int    // hsRunning, hsDone, hsFailed
	up     bool   // loop mode; set by the loop under mu once result is hsDone

	local, remote net.Addr // for tls.ClientHelloInfo.Conn; immutable
}

// errWouldBlock is what tlsWire's reads return in loop mode when gnet has
// no more bytes: a temporary net.Error, which crypto/tls does not record as
// the connection's error, so the next Read resumes the partial record.
var errWouldBlock net.Error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "netpoll: no buffered TLS input" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

func (w *tlsWire) Read(p []byte) (int, error) {
	if w.up {
		if w.inOff < len(w.in) {
			n := copy(p, w.in[w.inOff:])
			w.inOff += n
			if w.inOff == len(w.in) {
				w.in, w.inOff = nil, 0
			}
			return n, nil
		}
		if w.c.gc.InboundBuffered() == 0 || len(p) == 0 {
			return 0, errWouldBlock
		}
		return w.c.gc.Read(p)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.inOff == len(w.in) && !w.closed {
		w.cond.Wait()
	}
	if w.inOff == len(w.in) {
		return 0, net.ErrClosed
	}
	n := copy(p, w.in[w.inOff:])
	w.inOff += n
	return n, nil
}

func (w *tlsWire) Write(p []byte) (int, error) {
	if w.up {
		q := w.c.q
		q.tlsOut = append(q.tlsOut, p...)
		return len(p), nil
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return 0, net.ErrClosed
	}
	w.out = append(w.out, p...)
	w.mu.Unlock()
	_ = w.c.gc.Wake(nil) // OnTraffic sends w.out
	return len(p), nil
}

// close ends the handshake's blocking reads (the conn is gone).
func (w *tlsWire) close() {
	w.mu.Lock()
	w.closed = true
	w.in, w.inOff = nil, 0
	w.cond.Broadcast()
	w.mu.Unlock()
}

func (w *tlsWire) Close() error                     { w.close(); return nil }
func (w *tlsWire) LocalAddr() net.Addr              { return w.local }
func (w *tlsWire) RemoteAddr() net.Addr             { return w.remote }
func (w *tlsWire) SetDeadline(time.Time) error      { return nil } // the handshake timeout applies
func (w *tlsWire) SetReadDeadline(time.Time) error  { return nil }
func (w *tlsWire) SetWriteDeadline(time.Time) error { return nil } // writes never block

// plainBuf holds decrypted bytes until the framing consumed them, with
// gnet's Peek/Discard semantics (the source interface). Its buffer comes
// from a pool and goes back whenever it is empty, so an idle session holds
// none.
type plainBuf struct {
	b      []byte
	off    int
	pooled *[]byte // the pool's handle on b while b is the pooled chunk
}

func (p *plainBuf) Peek(n int) ([]byte, error) {
	avail := len(p.b) - p.off
	if n <= 0 {
		n = avail
	}
	if n > avail {
		return nil, errShort
	}
	return p.b[p.off : p.off+n], nil
}

func (p *plainBuf) Discard(n int) (int, error) {
	avail := len(p.b) - p.off
	if n <= 0 || n > avail {
		n = avail
	}
	p.off += n
	return n, nil
}

func (p *plainBuf) InboundBuffered() int { return len(p.b) - p.off }

// plainChunk is the pooled plaintext buffer size: a full TLS record.
const plainChunk = 16 << 10

var plainPool = sync.Pool{New: func() any { b := make([]byte, 0, plainChunk); return &b }}

// room makes sure at least need bytes are free after the data, moving the
// data to the front or to a larger buffer (a message longer than a chunk).
func (p *plainBuf) room(need int) {
	if p.b == nil {
		p.pooled = plainPool.Get().(*[]byte)
		p.b, p.off = (*p.pooled)[:0], 0
	}
	if cap(p.b)-len(p.b) >= need {
		return
	}
	n := len(p.b) - p.off
	if p.off > 0 && cap(p.b)-n >= need {
		copy(p.b, p.b[p.off:])
		p.b, p.off = p.b[:n], 0
		return
	}
	nb := make([]byte, n, max(2*cap(p.b), n+need))
	copy(nb, p.b[p.off:])
	p.recycle()
	p.b, p.off = nb, 0
}

// settle returns the buffer to the pool once everything was consumed.
func (p *plainBuf) settle() {
	if p.b != nil && p.off == len(p.b) {
		p.recycle()
	}
}

func (p *plainBuf) recycle() {
	if p.pooled != nil {
		*p.pooled = (*p.pooled)[:0]
		plainPool.Put(p.pooled)
	}
	p.b, p.off, p.pooled = nil, 0, nil
}

// startTLS makes c a TLS connection of listener l (OnOpen, event loop).
func (c *Conn) startTLS(l *tlsListener) {
	t := &tlsConn{}
	t.wire.c = c
	t.wire.cond.L = &t.wire.mu
	t.wire.local, t.wire.remote = c.gc.LocalAddr(), c.gc.RemoteAddr()
	t.tc = tls.Server(&t.wire, l.cur.Load())
	c.tls = t
	c.in = &t.plain
	c.state = stateTLSHello
}

// onTLSTraffic runs a TLS connection's side of OnTraffic (event loop only):
// the handshake's plumbing, then decryption into plain and the same state
// machine as a plain connection over it.
func (c *Conn) onTLSTraffic() gnet.Action {
	t := c.tls
	switch c.state {
	case stateTLSHello:
		if a, started := c.tlsHello(); !started {
			return a
		}
		fallthrough
	case stateTLSHandshake:
		if a, up := c.tlsHandshaking(); !up {
			return a
		}
	case stateClosing:
		_, _ = c.gc.Discard(-1)
		return gnet.None
	}
	rerr := c.decrypt()
	// What reading wrote (a KeyUpdate answer, an alert) leaves now: the
	// loop's scratch must be empty before the handler runs, since a yield
	// there lets the loop write other conns' batches through it.
	if ferr := c.flushTLS(); ferr != nil && rerr == nil {
		rerr = ferr
	}
	a := c.onTraffic()
	t.plain.settle()
	if rerr != nil && a == gnet.None {
		// EOF is the client's close_notify; anything else broke the
		// record layer (crypto/tls sent the alert, flushed above).
		if !errors.Is(rerr, io.EOF) {
			c.srv.protoErr.Add(1)
			c.srv.log.Debug("netpoll: TLS read error", "remote", c.remote, "err", rerr)
		}
		c.markClosed()
		c.state = stateClosing
		return gnet.Close
	}
	return a
}

// tlsHello vets the client's first bytes before a handshake goroutine is
// spent on them: anything but a TLS handshake record (a plaintext
// WebSocket or RawSocket client) fails at once, and the goroutine starts
// only once the whole first record (the ClientHello) is buffered.
func (c *Conn) tlsHello() (a gnet.Action, started bool) {
	gc := c.gc
	s := c.srv
	b, err := gc.Peek(1)
	if err != nil {
		return gnet.None, false
	}
	if b[0] != tlsRecordHandshake {
		if b[0] >= 'A' && b[0] <= 'Z' { // an HTTP request, most likely ws://
			_, _ = gc.Write([]byte(plainOnTLS))
		}
		return c.tlsFail(ErrNotTLS), false
	}
	h, err := gc.Peek(tlsRecordHeader)
	if err != nil {
		return gnet.None, false
	}
	n := int(h[3])<<8 | int(h[4])
	if h[1] != 3 || n == 0 || n > tlsMaxRecord {
		return c.tlsFail(ErrNotTLS), false
	}
	if gc.InboundBuffered() < tlsRecordHeader+n {
		return gnet.None, false
	}
	if s.tlsHS.Add(1) > int64(s.opts.MaxTLSHandshakes) {
		s.tlsHS.Add(-1)
		return c.tlsFail(ErrTLSBusy), false
	}
	c.state = stateTLSHandshake
	s.hsWG.Add(1)
	go c.tlsHandshake()
	return gnet.None, true
}

// tlsHandshake is the handshake goroutine; it ends when the handshake
// does, at the latest when the handshake timeout closes the conn.
func (c *Conn) tlsHandshake() {
	s := c.srv
	defer s.hsWG.Done()
	err := c.tls.tc.Handshake()
	s.tlsHS.Add(-1)
	w := &c.tls.wire
	w.mu.Lock()
	if err != nil {
		w.result = hsFailed
	} else {
		w.result = hsDone
	}
	w.mu.Unlock()
	if err != nil {
		s.tlsErr.Add(1)
		s.log.Debug("netpoll: TLS handshake failed", "remote", c.remote, "err", err)
	}
	_ = c.gc.Wake(nil) // the loop sends what is left and takes over, or closes
}

// tlsHandshaking hands the loop's bytes to the handshake goroutine and
// sends what it wrote; once the handshake is done it switches tc to loop
// mode and reports up.
func (c *Conn) tlsHandshaking() (a gnet.Action, up bool) {
	gc := c.gc
	w := &c.tls.wire
	var in []byte
	if gc.InboundBuffered() > 0 {
		in, _ = gc.Peek(-1)
	}
	w.mu.Lock()
	over := len(w.in)-w.inOff+len(in) > maxTLSHandshakeInput
	if len(in) > 0 && !over {
		if w.inOff == len(w.in) {
			w.in, w.inOff = w.in[:0], 0
		}
		w.in = append(w.in, in...)
		w.cond.Signal()
	}
	out, res := w.out, w.result
	w.out = nil
	if res == hsDone {
		w.up = true // from here on the goroutine is gone and tc is the loop's
		if w.inOff == len(w.in) {
			w.in, w.inOff = nil, 0 // an idle session keeps no handshake bytes
		}
	}
	w.mu.Unlock()
	_, _ = gc.Discard(-1)
	if len(out) > 0 {
		_, _ = gc.Write(out)
	}
	switch {
	case over:
		return c.tlsFail(fmt.Errorf("%w: over %d bytes in the handshake", ErrNotTLS, maxTLSHandshakeInput)), false
	case res == hsFailed:
		c.state = stateClosing
		return gnet.Close, false // the alert in out leaves before the close
	case res == hsDone:
		c.srv.tlsOK.Add(1)
		c.state = stateSniff
		return gnet.None, true
	}
	return gnet.None, false
}

// tlsFail ends a TLS connection whose handshake cannot go on: counted in
// Stats.TLSHandshakeErrors.
func (c *Conn) tlsFail(err error) gnet.Action {
	c.srv.tlsErr.Add(1)
	c.srv.log.Debug("netpoll: TLS handshake failed", "remote", c.remote, "err", err)
	c.markClosed()
	c.state = stateClosing
	_, _ = c.gc.Discard(-1)
	return gnet.Close
}

// decrypt moves every record gnet holds into plain (event loop only). It
// returns nil when gnet's buffer is drained, else the read error (the
// bytes decrypted before it are in plain).
//
// Known debt: crypto/tls allocates an atLeastReader each time it reads
// from tlsWire, so a received message costs two small allocations (its
// read and the read that finds gnet drained); only a change in crypto/tls
// removes them.
func (c *Conn) decrypt() error {
	t := c.tls
	for {
		t.plain.room(4 << 10)
		p := &t.plain
		n, err := t.tc.Read(p.b[len(p.b):cap(p.b)])
		p.b = p.b[:len(p.b)+n]
		if err == errWouldBlock {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// write sends b from the event loop: through TLS for a TLS connection.
func (c *Conn) write(b []byte) error {
	if c.tls == nil {
		_, err := c.gc.Write(b)
		return err
	}
	if !c.tls.wire.up {
		return nil
	}
	_, err := c.tls.tc.Write(b)
	if ferr := c.flushTLS(); err == nil {
		err = ferr
	}
	return err
}

// writeTLSBatch encrypts a batch (event loop only, from writeBatch): the
// copied bytes and referenced frames are joined in the loop's plaintext
// scratch when there are referenced frames, so a batch is one Write and
// its records are full, not one per header; a closing batch ends with
// close_notify. Nothing is written before the handshake is done.
func (c *Conn) writeTLSBatch(b *batch) error {
	t := c.tls
	if !t.wire.up {
		return nil
	}
	var err error
	p := b.buf
	if len(b.parts) > 0 {
		q := c.q
		s := q.tlsPlain[:0]
		prev := 0
		for _, pt := range b.parts {
			s = append(append(s, b.buf[prev:pt.end]...), pt.f.B...)
			prev = pt.end
		}
		s = append(s, b.buf[prev:]...)
		q.tlsPlain, p = s, s
	}
	if len(p) > 0 {
		_, err = t.tc.Write(p)
	}
	if q := c.q; cap(q.tlsPlain) > maxPooledBatch {
		q.tlsPlain = nil
	}
	if b.closeAfter {
		_ = t.tc.CloseWrite()
	}
	if ferr := c.flushTLS(); err == nil {
		err = ferr
	}
	return err
}

// flushTLS hands the records collected in the loop's scratch to gnet, which
// copies what the socket does not take at once (event loop only).
func (c *Conn) flushTLS() error {
	q := c.q
	if len(q.tlsOut) == 0 {
		return nil
	}
	_, err := c.gc.Write(q.tlsOut)
	if cap(q.tlsOut) > maxPooledBatch {
		q.tlsOut = nil
	} else {
		q.tlsOut = q.tlsOut[:0]
	}
	return err
}

// plainOnTLS answers an HTTP request sent in clear to a TLS listener.
const plainOnTLS = "HTTP/1.1 400 Bad Request\r\n" +
	"Content-Type: text/plain\r\nConnection: close\r\nContent-Length: 33\r\n\r\n" +
	"this port speaks TLS: use wss://\n"
