package netpoll

import (
	"bytes"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// countHandler counts opened connections and does nothing else.
type countHandler struct{ opened atomic.Int64 }

func (h *countHandler) OnOpen(c *Conn)                { c.Established(); h.opened.Add(1) }
func (h *countHandler) OnMessage(*Conn, []byte) error { return nil }
func (h *countHandler) OnClose(*Conn, error)          {}

const wsUpgradeRequest = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" +
	"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: wamp.2.json\r\n\r\n"

// dialWSRaw opens a WebSocket with bare syscalls, so the client side holds no
// Go heap and the heap delta is the server's alone.
func dialWSRaw(t *testing.T, port int) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	if err := unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: port}); err != nil {
		t.Fatalf("connect: %v", err)
	}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5})
	if _, err := unix.Write(fd, []byte(wsUpgradeRequest)); err != nil {
		t.Fatalf("write upgrade: %v", err)
	}
	var buf [512]byte
	got := 0
	for !bytes.Contains(buf[:got], []byte("\r\n\r\n")) {
		n, err := unix.Read(fd, buf[got:])
		if err != nil || n <= 0 {
			t.Fatalf("read upgrade response: %v", err)
		}
		got += n
	}
	if !bytes.HasPrefix(buf[:got], []byte("HTTP/1.1 101")) {
		t.Fatalf("upgrade refused: %q", buf[:got])
	}
	return fd
}

func rssBytes(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestIdleSessionMemory opens idle WebSocket connections and measures what
// each costs the server (netpoll.Conn, gnet's conn and buffers, the
// handshake): target 4 of the performance issue allows 4 KiB of RSS per
// session for the whole router.
func TestIdleSessionMemory(t *testing.T) {
	const n = 2000
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 2*n+100 {
		t.Skipf("fd limit %d too low for %d conns", lim.Cur, n)
	}
	h := &countHandler{}
	s := startServer(t, Options{Listeners: []Listener{{Network: "tcp", Addr: "127.0.0.1:0", WebSocket: true}}}, h)
	port := s.Addrs()[0].(*net.TCPAddr).Port
	fds := make([]int, 0, n)
	defer func() {
		for _, fd := range fds {
			_ = unix.Close(fd)
		}
	}()
	// Warm up gnet's loops and our pools, so the measurement is per conn.
	for range 50 {
		fds = append(fds, dialWSRaw(t, port))
	}
	waitOpened(t, h, int64(len(fds)))
	heap0, rss0 := heapInUse(), rssBytes(t)
	for range n {
		fds = append(fds, dialWSRaw(t, port))
	}
	waitOpened(t, h, int64(len(fds)))
	heap1, rss1 := heapInUse(), rssBytes(t)
	heapPer, rssPer := (heap1-heap0)/n, (rss1-rss0)/n
	t.Logf("%d idle WebSocket conns: server heap %d B/conn, process RSS %d B/conn (Conn struct %d B)",
		n, heapPer, rssPer, unsafe.Sizeof(Conn{}))
	if heapPer > 4096 {
		t.Errorf("server heap per idle conn = %d B, want <= 4096", heapPer)
	}
}

func waitOpened(t *testing.T, h *countHandler, want int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); h.opened.Load() < want; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d conns opened", h.opened.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
}
