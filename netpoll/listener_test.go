package netpoll

import (
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestUnixSocketPerm: a unix socket listener gets the configured mode and
// group, and with them a user other than wampd's can connect, which the
// socket as created (the umask's 0755) does not let it.
func TestUnixSocketPerm(t *testing.T) {
	dir := t.TempDir()
	// Other users must reach the socket through the test's directories.
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(d) == os.TempDir() {
			break
		}
	}
	group := "nogroup"
	if os.Getuid() != 0 {
		group = "" // only root may give a socket to another group
	}
	open := filepath.Join(dir, "open.sock")
	plain := filepath.Join(dir, "plain.sock")
	startServer(t, Options{Listeners: []Listener{
		{Network: "unix", Addr: open, RawSocket: true, Perm: UnixPerm{Mode: 0o666, Group: group}},
		{Network: "unix", Addr: plain, RawSocket: true},
	}}, newEcho(true))

	st, err := os.Stat(open)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o666 {
		t.Errorf("mode %#o, want 0666", got)
	}
	if group != "" {
		if gid := st.Sys().(*syscall.Stat_t).Gid; gid != 65534 {
			t.Errorf("gid %d, want 65534 (nogroup)", gid)
		}
	}
	// The echo handler answers a RawSocket handshake on both.
	dialRS(t, "unix", open, 1, 15)
	dialRS(t, "unix", plain, 1, 15)

	if os.Getuid() != 0 {
		t.Log("not root: connecting as another user not tried")
		return
	}
	if out := dialAsNobody(t, dir, open); out != "ok" {
		t.Errorf("user nobody could not connect to the 0666 socket: %s", out)
	}
	if out := dialAsNobody(t, dir, plain); !strings.Contains(out, "permission denied") {
		t.Errorf("user nobody on the socket as created: %q, want permission denied", out)
	}
}

// dialAsNobody runs this test binary as user nobody to dial the unix
// socket path, and returns "ok" or the dial error.
func dialAsNobody(t *testing.T, dir, path string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "dial.test")
	if _, err := os.Stat(bin); err != nil {
		src, err := os.Open(self)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-test.run=^TestDialUnixHelper$")
	cmd.Env = append(os.Environ(), "NETPOLL_DIAL_UNIX="+path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dial helper: %v\n%s", err, out)
	}
	for line := range strings.Lines(string(out)) {
		if r, ok := strings.CutPrefix(line, "dial: "); ok {
			return strings.TrimSpace(r)
		}
	}
	t.Fatalf("dial helper printed no result:\n%s", out)
	return ""
}

// TestDialUnixHelper is dialAsNobody's other process; it does nothing in
// a normal run.
func TestDialUnixHelper(t *testing.T) {
	path := os.Getenv("NETPOLL_DIAL_UNIX")
	if path == "" {
		return
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		os.Stdout.WriteString("dial: " + err.Error() + "\n")
		return
	}
	_ = c.Close()
	os.Stdout.WriteString("dial: ok\n")
}

func TestUnixPermRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    Listener
		want string
	}{
		{"tcp", Listener{Network: "tcp", Addr: "127.0.0.1:0", RawSocket: true, Perm: UnixPerm{Mode: 0o660}}, "unix sockets only"},
		{"mode", Listener{Network: "unix", Addr: "/tmp/x.sock", RawSocket: true, Perm: UnixPerm{Mode: 0o4777}}, "beyond 0777"},
		{"owner", Listener{Network: "unix", Addr: "/tmp/x.sock", RawSocket: true, Perm: UnixPerm{Owner: "no-such-user-wampd"}}, "no-such-user-wampd"},
		{"group", Listener{Network: "unix", Addr: "/tmp/x.sock", RawSocket: true, Perm: UnixPerm{Group: "no-such-group-wampd"}}, "no-such-group-wampd"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewServer(Options{Listeners: []Listener{tc.l}}, newEcho(true))
			if !errors.Is(err, ErrBadListener) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewServer: %v, want ErrBadListener naming %q", err, tc.want)
			}
		})
	}
}

// TestAddressInUse: a start that fails because a port is taken says which
// address it is.
func TestAddressInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	s, err := NewServer(Options{Logger: quietLogger(), EventLoops: 1, Listeners: []Listener{
		{Network: "tcp", Addr: "127.0.0.1:0", WebSocket: true},
		{Network: "tcp", Addr: addr, RawSocket: true},
	}}, newEcho(true))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Start()
	if !errors.Is(err, syscall.EADDRINUSE) || !strings.Contains(err.Error(), "listen on "+addr+":") {
		t.Fatalf("Start: %v, want EADDRINUSE naming %s", err, addr)
	}
}
