package main

// Cluster interop (issue #14): three real wampd processes serving
// examples/cluster/node{1,2,3}.yaml act as one router over their embedded
// NATS servers, driven by Autobahn|Python (testdata/interop/py/cluster.py,
// and interop.py's callee/publisher roles) and Autobahn|JS
// (testdata/interop/js/cluster.js, and interop.js's call role) with clients
// spread over the nodes. Each scenario is one client process printing a
// check line per behaviour (see interop_test.go) and INFO lines for
// measurements, which this test logs; the node-kill scenario also prints a
// line per caller's answer, which this test times against its own SIGKILL
// of node 2.
//
// The fixture's ports are fixed, so the test checks first that they are
// free. Every node runs with TMPDIR set to a directory of the test's own,
// where the embedded JetStream store goes: runs never share state (node 2
// keeps its directory across its restart, as a restarted node would).
// The scenarios run one after another (the meta scenario counts sessions).
// Every wait is bounded.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// clusterFixture holds node1.yaml .. node3.yaml, relative to cmd/wampd.
	clusterFixture = "../../examples/cluster"
	// clusterReady bounds the wait for the cluster to be usable.
	clusterReady = 20 * time.Second
	// clusterKillBound is how soon after a node's SIGKILL the callers of
	// its callee must have their ERROR (1 s, plus scheduler noise).
	clusterKillBound = 1500 * time.Millisecond
	// clusterRejoin bounds how long a restarted node takes to be usable.
	clusterRejoin = 15 * time.Second
)

// clusterNode is one node of the fixture; proc is its running wampd.
type clusterNode struct {
	n    int
	cfg  string
	tmp  string
	ws   string // ws://127.0.0.1:818N/ws
	rs   string // 127.0.0.1:828N
	proc *nodeProc
}

// nodeProc is one wampd process of a node.
type nodeProc struct {
	cmd  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
	err  error // Wait's result, valid once done is closed
}

// router describes the node for interopEnv's script helpers (pyScript and
// jsScript read only the addresses).
func (nd *clusterNode) router() *router { return &router{ws: nd.ws, rs: nd.rs} }

func (nd *clusterNode) exited() bool {
	select {
	case <-nd.proc.done:
		return true
	default:
		return false
	}
}

// start runs wampd --config nodeN.yaml with TMPDIR=nd.tmp; the process is
// stopped at owner's cleanup (SIGTERM, then SIGKILL after stopTimeout)
// unless it has ended.
func (nd *clusterNode) start(t, owner *testing.T, env *interopEnv) {
	t.Helper()
	p := &nodeProc{log: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(env.bin, "--config", nd.cfg)
	p.cmd.Env = append(os.Environ(), "TMPDIR="+nd.tmp)
	p.cmd.Stdout = p.log
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start wampd node%d: %v", nd.n, err)
	}
	go func() { // owned by p: ends when wampd exits
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	nd.proc = p
	owner.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		p.cmd.Process.Signal(syscall.SIGTERM) // only our own child, by PID
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// kill SIGKILLs the node's wampd and waits (bounded) for it to be gone.
func (nd *clusterNode) kill(t *testing.T) {
	t.Helper()
	if err := nd.proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL node%d: %v", nd.n, err)
	}
	select {
	case <-nd.proc.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("node%d still running 5s after SIGKILL", nd.n)
	}
}

// cluster is the three nodes and the clients' environment; top is the
// test that owns the nodes' processes.
type cluster struct {
	top   *testing.T
	env   *interopEnv
	nodes []*clusterNode
	logs  []*lockedBuffer // every wampd process's output, for failure reports
}

func (cl *cluster) node(n int) *clusterNode { return cl.nodes[n-1] }

func (cl *cluster) start(t *testing.T, nd *clusterNode) {
	t.Helper()
	nd.start(t, cl.top, cl.env)
	cl.logs = append(cl.logs, nd.proc.log)
}

// py starts cluster.py for scenario with the addresses of every node.
func (cl *cluster) py(t *testing.T, scenario string, extra ...string) *proc {
	t.Helper()
	var ws, rs []string
	for _, nd := range cl.nodes {
		ws = append(ws, nd.ws)
		rs = append(rs, nd.rs)
	}
	args := append([]string{"cluster.py", scenario, "--ws", strings.Join(ws, ","), "--rs", strings.Join(rs, ",")}, extra...)
	name := strings.TrimSpace("python cluster.py " + scenario + " " + strings.Join(extra, " "))
	return startScript(t, name, cl.env.pyDir, pythonBin, args...)
}

// run runs cluster.py for scenario, checks it passed and logs its INFO
// lines (measurements, not checks).
func (cl *cluster) run(t *testing.T, scenario string, extra ...string) {
	t.Helper()
	out := cl.py(t, scenario, extra...).wait(t, scriptTimeout)
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "INFO ") {
			t.Log(line)
		}
	}
}

// js starts cluster.js with role against node n.
func (cl *cluster) js(t *testing.T, n int, role, ser string, extra ...string) *proc {
	t.Helper()
	return cl.env.jsScript(t, cl.node(n).router(), "cluster.js", role, ser, extra...)
}

// dumpLogs reports the nodes' output (the tail of each) once t failed.
func (cl *cluster) dumpLogs(t *testing.T) {
	if !t.Failed() {
		return
	}
	const max = 16 << 10
	for i, l := range cl.logs {
		s := l.String()
		if len(s) > max {
			s = "...\n" + s[len(s)-max:]
		}
		t.Logf("wampd process %d log:\n%s", i+1, s)
	}
}

// TestClusterInterop starts the three-node fixture and runs every
// scenario of issue #14 against it, ending with node 2's SIGKILL and
// restart.
func TestClusterInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("interop tests start real clients; skipped with -short")
	}
	env := newInteropEnv(t)
	env.bin = buildWampd(t)
	env.needPython(t)

	began := time.Now()
	cl := &cluster{top: t, env: env}
	tmp := t.TempDir()
	for n := 1; n <= 3; n++ {
		nd := &clusterNode{
			n:   n,
			cfg: filepath.Join(clusterFixture, fmt.Sprintf("node%d.yaml", n)),
			tmp: filepath.Join(tmp, fmt.Sprintf("node%d", n)),
			ws:  fmt.Sprintf("ws://127.0.0.1:818%d/ws", n),
			rs:  fmt.Sprintf("127.0.0.1:828%d", n),
		}
		fixture, err := os.ReadFile(nd.cfg)
		if err != nil {
			t.Fatal(err)
		}
		ports := []string{fmt.Sprintf("127.0.0.1:818%d", n), nd.rs, fmt.Sprintf("127.0.0.1:422%d", n), fmt.Sprintf("127.0.0.1:624%d", n)}
		for _, addr := range ports {
			if !strings.Contains(string(fixture), addr) {
				t.Fatalf("%s does not listen on %s: the test's addresses are out of date", nd.cfg, addr)
			}
			// The ports are fixed: a leftover cluster would answer instead.
			l, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatalf("fixture port %s is not free (a cluster still running?): %v", addr, err)
			}
			l.Close()
		}
		if err := os.Mkdir(nd.tmp, 0o700); err != nil {
			t.Fatal(err)
		}
		cl.nodes = append(cl.nodes, nd)
	}
	t.Cleanup(func() { cl.dumpLogs(t) })
	for _, nd := range cl.nodes {
		cl.start(t, nd)
	}
	cl.waitUsable(t)
	t.Logf("cluster usable %v after the nodes were started", time.Since(began).Round(time.Millisecond))

	// 1. A caller on node 1, a callee on node 2, over every serializer.
	for _, mix := range []struct{ caller, callee string }{
		{"ws/json", "rs/msgpack"},
		{"rs/cbor", "ws/json"},
		{"ws/msgpack", "rs/cbor"},
	} {
		name := strings.ReplaceAll(mix.caller+"-caller-node1/"+mix.callee+"-callee-node2", "/", "-")
		t.Run("rpc/"+name, func(t *testing.T) {
			cl.run(t, "rpc", "--caller", mix.caller, "--callee", mix.callee)
		})
	}
	// 2..6, one scenario each.
	for _, scenario := range []string{"shared", "race", "pubsub", "isolation", "meta"} {
		t.Run(scenario, func(t *testing.T) {
			cl.run(t, scenario)
		})
	}
	t.Run("js", func(t *testing.T) {
		env.needNode(t)
		t.Run("python-caller-node1/js-msgpack-callee-node3", func(t *testing.T) {
			callee := cl.js(t, 3, "callee", "msgpack", "--procedure", "com.cluster.js.echo")
			callee.waitLine(t, "READY", startTimeout)
			cl.run(t, "call-js", "--caller", "rs/cbor", "--procedure", "com.cluster.js.echo")
			if t.Failed() { // the callee may wait for a PROC.done that never comes
				callee.cmd.Process.Kill() // our own child, by PID
			}
			callee.wait(t, scriptTimeout)
		})
		t.Run("js-callers-node1-node3/python-callee-node2", func(t *testing.T) {
			callee := env.py(t, cl.node(2).router(), "callee", "rs", "cbor", "--procedure", "com.cluster.js.pycallee")
			callee.waitLine(t, "READY", startTimeout)
			env.js(t, cl.node(1).router(), "call", "msgpack", "--procedure", "com.cluster.js.pycallee").wait(t, scriptTimeout)
			env.js(t, cl.node(3).router(), "call", "json", "--procedure", "com.cluster.js.pycallee").wait(t, scriptTimeout)
			callee.cmd.Process.Kill() // it serves until killed; our own child, by PID
			<-callee.done
		})
		t.Run("js-subscribers-node2-node3/python-publisher-node1", func(t *testing.T) {
			const topic = "com.cluster.js.topic"
			subs := []*proc{
				cl.js(t, 2, "subscriber", "json", "--topic", topic, "--count", "20"),
				cl.js(t, 3, "subscriber", "msgpack", "--topic", topic, "--count", "20"),
			}
			for _, s := range subs {
				s.waitLine(t, "READY", startTimeout)
			}
			env.py(t, cl.node(1).router(), "publisher", "ws", "cbor", "--topic", topic, "--count", "20").wait(t, scriptTimeout)
			for _, s := range subs {
				s.wait(t, scriptTimeout)
			}
		})
	})

	// 7. Node 2 SIGKILLed with calls pending on its callee.
	t.Run("node2-killed", func(t *testing.T) { cl.testNodeKilled(t) })
	// 8. Node 2 restarted.
	t.Run("node2-restarted", func(t *testing.T) { cl.testNodeRestarted(t) })
	t.Logf("cluster interop took %v", time.Since(began).Round(time.Millisecond))
}

// waitUsable runs cluster.py's probe (a procedure of node 1 called from
// nodes 2 and 3, retried) until it passes, bounded by clusterReady; a node
// that exits meanwhile fails the test at once.
func (cl *cluster) waitUsable(t *testing.T) {
	t.Helper()
	probe := cl.py(t, "probe", "--deadline", fmt.Sprint(clusterReady.Seconds()))
	deadline := time.After(clusterReady + 5*time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-probe.done:
			probe.wait(t, time.Second)
			if t.Failed() {
				t.FailNow()
			}
			return
		case <-deadline:
			probe.wait(t, time.Second) // kills it and reports
			t.FailNow()
		case <-tick.C:
			for _, nd := range cl.nodes {
				if nd.exited() {
					t.Fatalf("wampd node%d exited while the cluster formed: %v\n%s", nd.n, nd.proc.err, nd.proc.log.String())
				}
			}
		}
	}
}

// testNodeKilled: a callee on node 2 has calls pending from nodes 1 and 3
// when node 2's wampd is SIGKILLed; both callers must get their ERROR
// within clusterKillBound of the kill (timed here), the procedure must be
// gone and nodes 1 and 3 must still work together (checked by the script).
func (cl *cluster) testNodeKilled(t *testing.T) {
	nd := cl.node(2)
	if nd.exited() {
		t.Fatalf("node2 is not running: %v", nd.proc.err)
	}
	p := cl.py(t, "nodekill")
	p.waitLine(t, "READY", 2*startTimeout)
	killed := time.Now()
	nd.kill(t)
	t.Logf("node2 (pid %d) SIGKILLed; gone after %v", nd.proc.cmd.Process.Pid, time.Since(killed).Round(time.Millisecond))
	answers := map[string]time.Duration{}
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
collect:
	for len(answers) < 2 {
		select {
		case line := <-p.lines:
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "ANSWER" {
				took := time.Since(killed)
				answers[f[1]] = took
				t.Logf("caller on %s got %s %v after the kill", f[1], f[2], took.Round(time.Millisecond))
			}
		case <-p.done:
			break collect
		case <-timer.C:
			break collect
		}
	}
	for _, caller := range []string{"node1", "node3"} {
		took, ok := answers[caller]
		switch {
		case !ok:
			t.Errorf("the caller on %s got no ERROR within 10s of node2's SIGKILL", caller)
		case took > clusterKillBound:
			t.Errorf("the caller on %s got its ERROR %v after node2's SIGKILL, want < %v", caller, took.Round(time.Millisecond), clusterKillBound)
		}
	}
	p.wait(t, scriptTimeout)
}

// testNodeRestarted starts node 2 again with the same fixture and store
// directory: within clusterRejoin a callee and a publisher on it must
// reach nodes 1 and 3.
func (cl *cluster) testNodeRestarted(t *testing.T) {
	nd := cl.node(2)
	if !nd.exited() {
		t.Fatalf("node2 is still running; the kill scenario did not stop it")
	}
	began := time.Now()
	cl.start(t, nd)
	cl.run(t, "rejoin", "--deadline", fmt.Sprint(clusterRejoin.Seconds()))
	if nd.exited() {
		t.Errorf("the restarted node2 exited: %v\n%s", nd.proc.err, nd.proc.log.String())
	}
	t.Logf("restarted node2 usable %v after its start", time.Since(began).Round(time.Millisecond))
}
