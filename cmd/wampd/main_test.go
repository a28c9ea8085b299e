package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConfigureFlags(t *testing.T) {
	tests := []struct {
		name          string
		args          []string
		metrics, dbug string
	}{
		{"defaults", nil, "", ""},
		{"debug", []string{"--debug", "127.0.0.1:6060"}, "", "127.0.0.1:6060"},
		{"metrics and debug", []string{"--metrics", "127.0.0.1:9100", "--debug", "127.0.0.1:9100"}, "127.0.0.1:9100", "127.0.0.1:9100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := configure(tt.args, io.Discard)
			if err != nil {
				t.Fatalf("configure(%q): %v", tt.args, err)
			}
			if cfg.Metrics.Listen != tt.metrics || cfg.Debug.Listen != tt.dbug {
				t.Fatalf("metrics.listen = %q, debug.listen = %q, want %q, %q", cfg.Metrics.Listen, cfg.Debug.Listen, tt.metrics, tt.dbug)
			}
		})
	}
	if _, err := configure([]string{"--debug", "nowhere"}, io.Discard); err == nil {
		t.Fatal(`configure(--debug nowhere) succeeded, want an error`)
	}
}

// runWampd runs wampd's main with args and returns its exit code and
// output.
func runWampd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVersionAndHelp(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, out, errOut := runWampd(t, args...)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if code != 0 || len(lines) != 2 || lines[0] != "wampd dev" || errOut != "" ||
			!strings.HasPrefix(lines[1], "commit ") || !strings.Contains(lines[1], runtime.Version()) {
			t.Errorf("wampd %v: exit %d, stdout %q, stderr %q; want 0, \"wampd dev\" then the commit and Go version", args, code, out, errOut)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, out, errOut := runWampd(t, args...)
		all := out + errOut
		if code != 0 || !strings.Contains(all, "usage: wampd [flags]") || !strings.Contains(all, "wampd check-config [FILE]") ||
			!strings.Contains(all, "-config FILE") || !strings.Contains(all, "-realm NAME") {
			t.Errorf("wampd %v: exit %d, output:\n%s", args, code, all)
		}
	}
}

// TestUsageErrors: a bad flag or a stray argument is said once, followed by
// the usage, with exit status 2.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"--ws"}, "flag needs an argument: -ws"},
		{[]string{"serve"}, `unexpected argument "serve"`},
	} {
		code, out, errOut := runWampd(t, tc.args...)
		if code != 2 || out != "" {
			t.Errorf("wampd %v: exit %d, stdout %q; want 2 and nothing on stdout", tc.args, code, out)
		}
		if n := strings.Count(errOut, tc.msg); n != 1 {
			t.Errorf("wampd %v: %q said %d times in:\n%s", tc.args, tc.msg, n, errOut)
		}
		if n := strings.Count(errOut, "usage: wampd"); n != 1 || !strings.HasPrefix(errOut, tc.msg+"\n") {
			t.Errorf("wampd %v: want the error then the usage once, got:\n%s", tc.args, errOut)
		}
	}
}

// TestConfigErrorsAsCheckConfig: wampd --config reports a bad file exactly
// as check-config does, with the line of each problem and no Go package
// names.
func TestConfigErrorsAsCheckConfig(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"syntax", "listeners:\n  - listen: 127.0.0.1:0\n    transports: [websocket\nrealms: x\n",
			[]string{"  line 3: YAML syntax: did not find expected ',' or ']'"}},
		{"bad indent", "listeners:\n  - listen: 127.0.0.1:0\n   transports: [websocket]\n",
			[]string{"  line 3: YAML syntax: did not find expected '-' indicator"}},
		{"two problems", "listeners:\n  - listen: 127.0.0.1:0\n    transports: [websocket]\n    bogus: 1\nlimits:\n  max_sessions: -1\n",
			[]string{`  line 4, column 5: unknown key "bogus" in listeners[0]`, "  line 6, column 17: limits.max_sessions must be >= 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, "bad.yaml", tc.yaml)
			code, out, errOut := runWampd(t, "--config", file)
			ccCode, ccOut, ccErr := runWampd(t, "check-config", file)
			if code != 1 || ccCode != 1 || out != "" || ccOut != "" {
				t.Fatalf("exit %d (check-config %d), stdout %q / %q; want 1, 1 and nothing on stdout", code, ccCode, out, ccOut)
			}
			if errOut != ccErr {
				t.Errorf("wampd --config says\n%s\ncheck-config says\n%s", errOut, ccErr)
			}
			lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
			if lines[0] != file+": invalid configuration:" || len(lines) != 1+len(tc.want) {
				t.Fatalf("output:\n%s", errOut)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[1+i], w) {
					t.Errorf("line %d = %q, want prefix %q", i+1, lines[1+i], w)
				}
			}
			if problems := strings.Join(lines[1:], "\n"); strings.Contains(problems, "engine:") || strings.Contains(problems, "yaml:") {
				t.Errorf("internal prefixes in:\n%s", problems)
			}
		})
	}
	code, _, errOut := runWampd(t, "--config", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != 1 || !strings.Contains(errOut, "missing.yaml: no such file or directory") {
		t.Errorf("missing file: exit %d, %q", code, errOut)
	}
}

func TestCheckConfigWarnsOfClosedRealm(t *testing.T) {
	file := writeFile(t, "closed.yaml", "realms:\n  - name: realm1\n    anonymous: true\n  - name: locked\n    anonymous: false\n")
	code, out, errOut := runWampd(t, "check-config", file)
	want := `warning: realms[1] "locked": no one can join it: anonymous is off and no other authentication method is configured`
	if code != 0 || !strings.HasPrefix(out, "ok\n") || !strings.Contains(out, want+"\n") || errOut != "" {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s\nwant ok and %q", code, out, errOut, want)
	}
	if _, out, _ := runWampd(t, "check-config", writeFile(t, "open.yaml", "realms:\n  - name: realm1\n    anonymous: true\n")); strings.Contains(out, "warning") {
		t.Errorf("warning for an open realm:\n%s", out)
	}
}

// TestAddressInUse: a port another process holds fails the start with
// exit status 1 and a message naming the address.
func TestAddressInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	code, _, errOut := runWampd(t, "--ws", "127.0.0.1:0", "--rawsocket", addr)
	if code != 1 || !strings.Contains(errOut, "listen on "+addr+": bind: address already in use") {
		t.Fatalf("exit %d, stderr:\n%s\nwant 1 and the address %s in use", code, errOut, addr)
	}
}

// TestUnixSocketMode: a unix listener's mode from the configuration file
// is the socket's once wampd serves it.
func TestUnixSocketMode(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "wampd.sock")
	file := writeFile(t, "unix.yaml", "listeners:\n  - unix: "+sock+"\n    transports: [rawsocket]\n    mode: \"0666\"\n")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errOut syncWriter
	go func() { done <- run(ctx, []string{"--config", file}, io.Discard, &errOut) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d after the signal; stderr:\n%s", code, errOut.String())
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errOut.String(), "wampd started") {
		if time.Now().After(deadline) {
			t.Fatalf("wampd did not start:\n%s", errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	st, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o666 {
		t.Fatalf("socket mode %v, want a socket with 0666", st.Mode())
	}
}

// syncWriter is a buffer written by wampd's logger and read by the test.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
