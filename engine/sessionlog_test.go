package engine

import (
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// waitLog waits until logs holds a line matching re and returns it.
func waitLog(t *testing.T, logs *syncBuffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for time.Now().Before(deadline) {
		if m := re.FindString(logs.String()); m != "" {
			return m
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no log line matching %s in:\n%s", re, logs)
	return ""
}

// TestSessionLog: a session joining and leaving is logged at info with
// what an operator looks for (realm, session id, authid, authrole,
// transport, serializer, remote address), and at debug with the auth
// method and the client's roles; the leave says why the connection ended.
func TestSessionLog(t *testing.T) {
	rt, logs := startRouter(t, testConfig()) // logs at debug
	for _, tc := range []struct {
		transport string
		dial      func(*testing.T, *Router) *client
	}{{"websocket", dialWS}, {"rawsocket", dialRS}} {
		t.Run(tc.transport, func(t *testing.T) {
			c := tc.dial(t, rt)
			c.send(`[1,"realm1",{"roles":{"caller":{},"subscriber":{}}}]`)
			w := c.mustRecv()
			if msgType(w) != 2 {
				t.Fatalf("got %v, want WELCOME", w)
			}
			id := fmt.Sprintf("%.0f", w[1].(float64))
			local := c.conn.LocalAddr().String()
			join := waitLog(t, logs, regexp.MustCompile(`(?m)^.*msg="session joined".* session=`+id+` .*$`))
			for _, want := range []string{"level=INFO", "realm=realm1", "authrole=anonymous", "authid=",
				"transport=" + tc.transport, "serializer=json", "remote=" + local,
				"authmethod=anonymous", "authprovider=static", "roles=\"[caller subscriber]\""} {
				if !strings.Contains(join, want) {
					t.Errorf("join line lacks %q: %s", want, join)
				}
			}
			c.send(`[6,{},"wamp.close.close_realm"]`)
			if m := c.mustRecv(); msgType(m) != 6 {
				t.Fatalf("got %v, want GOODBYE", m)
			}
			c.conn.Close()
			leave := waitLog(t, logs, regexp.MustCompile(`(?m)^.*msg="session left".* session=`+id+` .*$`))
			for _, want := range []string{"level=INFO", "realm=realm1", "transport=" + tc.transport, "remote=" + local} {
				if !strings.Contains(leave, want) {
					t.Errorf("leave line lacks %q: %s", want, leave)
				}
			}
		})
	}
}

// TestSessionLogRateLimited: a flood of logins writes at most
// sessionLogRate join lines a second, and the first line of the next second
// says how many were left out.
func TestSessionLogRateLimited(t *testing.T) {
	// The event loops read the clock: an atomic, not a captured variable.
	var now atomic.Int64
	now.Store(time.Unix(1_800_000_000, 0).UnixNano())
	rt, logs := startRouterWith(t, testConfig(), func(rt *Router) {
		rt.h.logs.now = func() time.Time { return time.Unix(0, now.Load()) }
	})
	const n = sessionLogRate + 30
	for range n {
		c := dialRS(t, rt)
		c.send(`[1,"realm1",{}]`)
		if m := c.mustRecv(); msgType(m) != 2 {
			t.Fatalf("got %v, want WELCOME", m)
		}
	}
	joined := regexp.MustCompile(`msg="session joined"`)
	if got := len(joined.FindAllString(logs.String(), -1)); got != sessionLogRate {
		t.Fatalf("%d sessions in one second wrote %d join lines, want %d", n, got, sessionLogRate)
	}
	now.Add(int64(time.Second))
	c := dialWS(t, rt)
	c.send(`[1,"realm1",{}]`)
	if m := c.mustRecv(); msgType(m) != 2 {
		t.Fatalf("got %v, want WELCOME", m)
	}
	waitLog(t, logs, regexp.MustCompile(`msg="session joined".* transport=websocket .*unlogged_joins=30`))
}

func TestLogGate(t *testing.T) {
	g := logGate{limit: 3}
	t0 := time.Unix(100, 0)
	var got []string
	for i, at := range []time.Time{t0, t0, t0, t0, t0.Add(500 * time.Millisecond), t0.Add(time.Second), t0.Add(time.Second)} {
		ok, held := g.allow(at)
		got = append(got, fmt.Sprintf("%d:%v/%d", i, ok, held))
	}
	want := "0:true/0 1:true/0 2:true/0 3:false/0 4:false/0 5:true/2 6:true/0"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("allow: %s\nwant   %s", s, want)
	}
}
