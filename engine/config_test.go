package engine

import (
	"testing"

	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/netpoll"
)

// TestNetpollOptionsFromConfig: the engine's translation of a parsed
// configuration for netpoll keeps each listener, its transports and its
// unix socket's permissions.
func TestNetpollOptionsFromConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`
listeners:
  - listen: 127.0.0.1:0
    transports: [websocket, rawsocket]
    ws_path: /wamp
  - unix: /run/wampd.sock
    transports: [rawsocket]
    mode: "0660"
    owner: wampd
    group: "100"
limits:
  outbound_policy: drop
`))
	if err != nil {
		t.Fatal(err)
	}
	opts := netpollOptions(cfg, nil)
	if opts.WSPath != "/wamp" || opts.Policy != netpoll.PolicyDrop || len(opts.Listeners) != 2 {
		t.Fatalf("options %+v", opts)
	}
	if l := opts.Listeners[0]; l.Network != "tcp" || !l.WebSocket || !l.RawSocket {
		t.Errorf("listener 0 = %+v", l)
	}
	l := opts.Listeners[1]
	if l.Network != "unix" || l.Addr != "/run/wampd.sock" || l.WebSocket || !l.RawSocket {
		t.Errorf("listener 1 = %+v", l)
	}
	if l.Perm != (netpoll.UnixPerm{Mode: 0o660, Owner: "wampd", Group: "100"}) {
		t.Errorf("unix permissions = %+v", l.Perm)
	}
}
