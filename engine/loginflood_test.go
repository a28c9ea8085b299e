package engine

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wampd/wampd/engine/config"
)

// floodLogins is how many failed logins TestLoginFlood sends.
const floodLogins = 2000

// TestLoginFlood: thousands of failed logins from one address while an
// authenticated session calls a procedure steadily. Every call is
// answered, the flood is throttled (after login_failures_per_address
// failures the refusal comes before any hashing) and counted. The call
// latencies before and during the flood are logged (docs/benchmarks.md
// quotes them; they are figures, not assertions: machines are noisy).
func TestLoginFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("a flood of connections; skipped with -short")
	}
	rt := secureRouter(t, func(c *config.Config) {
		c.Limits.LoginFailuresPerAddress = 10
		c.Limits.LoginFailureWindow = config.Duration(time.Minute)
	})
	login := func() *client {
		c := dialWS(t, rt)
		c.helloAuth("secure", "ticketuser", []string{"ticket"}, nil)
		welcomeOf(t, c.authenticate("ticket-secret-1"), "ticketuser", "user", "ticket")
		return c
	}
	callee, caller := login(), login()
	callee.send(`[64,1,{},"com.example.echo"]`)
	expectType(t, callee.mustRecv(), 65)
	var stop atomic.Bool
	var serve sync.WaitGroup
	serve.Add(1)
	go func() { // the callee answers until the caller is done
		defer serve.Done()
		for !stop.Load() {
			m, err := callee.recv()
			if err != nil {
				return
			}
			if msgType(m) == 68 {
				callee.send(fmt.Sprintf(`[70,%v,{},["ok"]]`, m[1]))
			}
		}
	}()
	req := 0
	calls := func(n int) []time.Duration {
		lat := make([]time.Duration, 0, n)
		for range n {
			req++
			start := time.Now()
			caller.send(fmt.Sprintf(`[48,%d,{},"com.example.echo",[1]]`, req))
			if m := caller.mustRecv(); msgType(m) != 50 {
				t.Fatalf("call %d: %v", req, m)
			}
			lat = append(lat, time.Since(start))
		}
		return lat
	}
	before := calls(500)

	var flooders sync.WaitGroup
	var refused, throttled atomic.Int64
	floodDone := make(chan struct{})
	for g := range 8 {
		flooders.Add(1)
		go func() {
			defer flooders.Done()
			for i := g; i < floodLogins; i += 8 {
				c := dialWS(t, rt)
				c.send(`[1,"secure",{"authid":"mallory","authmethods":["ticket"],"roles":{"caller":{}}}]`)
				m, err := c.recv()
				if err == nil && msgType(m) == 4 {
					c.send(`[5,"guess",{}]`)
					m, err = c.recv()
				}
				if err == nil && msgType(m) == 3 {
					refused.Add(1)
					if strings.Contains(fmt.Sprint(m[1]), "too many failed logins") {
						throttled.Add(1)
					}
				}
				c.conn.Close()
			}
		}()
	}
	go func() { flooders.Wait(); close(floodDone) }()
	var during []time.Duration
	for {
		during = append(during, calls(50)...)
		select {
		case <-floodDone:
		default:
			continue
		}
		break
	}
	stop.Store(true)
	callee.conn.Close() // ends the callee loop's read
	serve.Wait()

	if refused.Load() != floodLogins {
		t.Fatalf("%d of %d flood logins refused", refused.Load(), floodLogins)
	}
	if throttled.Load() < floodLogins-50 {
		t.Fatalf("only %d of %d flood logins were throttled", throttled.Load(), floodLogins)
	}
	st := rt.Stats()
	if st.AuthThrottled < uint64(throttled.Load()) || st.AuthFailures == 0 {
		t.Fatalf("stats %+v do not count the flood", st)
	}
	q := func(l []time.Duration, p float64) time.Duration {
		s := slices.Clone(l)
		slices.Sort(s)
		return s[int(float64(len(s)-1)*p)]
	}
	t.Logf("RPC 1x1 before the flood: %d calls, p50 %v p99 %v; during %d failed logins (%d throttled): %d calls, p50 %v p99 %v",
		len(before), q(before, .5), q(before, .99), floodLogins, throttled.Load(), len(during), q(during, .5), q(during, .99))
}
