package main

// Advanced Profile interop tests: a real wampd serving examples/advanced.yaml
// driven by Autobahn|Python (testdata/interop/py/advanced.py) and Autobahn|JS
// (testdata/interop/js/advanced.js), one process per client, transport,
// serializer and feature, each printing a check line per behaviour. What
// neither client can send (progressive call invocations, payload passthru
// mode, an UNSUBSCRIBED a revoked subscriber can take) advanced.py sends as
// raw message lists through Autobahn's serializers (its RawPeer).
//
// The scenarios run one after another: the session meta scenario kills
// every other session of realm2 and the history scenario reads the last
// events of shared topics, so a scenario running beside them would disturb
// them. Every wait is bounded (the scripts' own 10 s, scriptTimeout here).

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// advancedConfig is the Advanced Profile fixture, relative to cmd/wampd.
const advancedConfig = "../../examples/advanced.yaml"

// Scenarios of advanced.py and advanced.js, one per feature.
var (
	pyAdvanced = []string{"blackwhite", "retention", "history", "pci", "ppt", "sessionmeta",
		"submeta", "regmeta", "testament", "revocation", "disclosure"}
	jsAdvanced = []string{"blackwhite", "retention", "history", "sessionmeta",
		"submeta", "regmeta", "testament", "revocation", "disclosure"}
)

// limitsConfig bounds realm1's pending calls per session at 2, for the
// limits scenario (the fixture sets no realm limits).
const limitsConfig = `realms:
  - name: realm1
    anonymous: true
    limits:
      max_pending_calls_per_session: 2
`

// TestAdvancedInterop runs every Advanced Profile scenario against one
// wampd with the fixture, then the limits scenario against one with
// limitsConfig.
func TestAdvancedInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("interop tests start real clients; skipped with -short")
	}
	env := newInteropEnv(t)
	env.bin = buildWampd(t)

	t.Run("fixture", func(t *testing.T) {
		r := startRouterWith(t, env, false, "--config", advancedConfig)
		t.Run("python", func(t *testing.T) {
			env.needPython(t)
			for _, transport := range []string{"ws", "rs"} {
				for _, ser := range serializers {
					for _, scenario := range pyAdvanced {
						t.Run(transport+"/"+ser+"/"+scenario, func(t *testing.T) {
							env.pyScript(t, r, "advanced.py", scenario, transport, ser).wait(t, scriptTimeout)
						})
					}
				}
			}
		})
		t.Run("js", func(t *testing.T) {
			env.needNode(t)
			for _, ser := range serializers {
				for _, scenario := range jsAdvanced {
					t.Run("ws/"+ser+"/"+scenario, func(t *testing.T) {
						env.jsScript(t, r, "advanced.js", scenario, ser).wait(t, scriptTimeout)
					})
				}
			}
		})
		t.Run("testament-of-killed-process", func(t *testing.T) {
			testTestamentKilled(t, env, r)
		})
	})

	t.Run("limits", func(t *testing.T) {
		cfg := filepath.Join(t.TempDir(), "limits.yaml")
		if err := os.WriteFile(cfg, []byte(limitsConfig), 0o600); err != nil {
			t.Fatalf("write %s: %v", cfg, err)
		}
		r := startRouterWith(t, env, false, "--config", cfg)
		t.Run("python", func(t *testing.T) {
			env.needPython(t)
			for _, transport := range []string{"ws", "rs"} {
				for _, ser := range serializers {
					t.Run(transport+"/"+ser, func(t *testing.T) {
						env.pyScript(t, r, "advanced.py", "limits", transport, ser).wait(t, scriptTimeout)
					})
				}
			}
		})
		t.Run("js", func(t *testing.T) {
			env.needNode(t)
			for _, ser := range serializers {
				t.Run("ws/"+ser, func(t *testing.T) {
					env.jsScript(t, r, "advanced.js", "limits", ser).wait(t, scriptTimeout)
				})
			}
		})
	})
}

// testTestamentKilled SIGKILLs a client process that added a testament: a
// watcher of another serializer must receive it.
func testTestamentKilled(t *testing.T, env *interopEnv, r *router) {
	env.needPython(t)
	cases := []struct {
		name   string
		holder func(t *testing.T, topic string) *proc
	}{
		{"python-rs-cbor-holder", func(t *testing.T, topic string) *proc {
			return env.pyScript(t, r, "advanced.py", "testament-holder", "rs", "cbor", "--topic", topic)
		}},
		{"js-ws-msgpack-holder", func(t *testing.T, topic string) *proc {
			env.needNode(t)
			return env.jsScript(t, r, "advanced.js", "testament-holder", "msgpack", "--topic", topic)
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			topic := "com.adv.killed." + string(rune('a'+i))
			watcher := env.pyScript(t, r, "advanced.py", "testament-watcher", "ws", "json", "--topic", topic)
			watcher.waitLine(t, "READY", startTimeout)
			holder := tc.holder(t, topic)
			holder.waitLine(t, "READY", startTimeout)
			if err := holder.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("SIGKILL testament holder: %v", err)
			}
			watcher.wait(t, scriptTimeout)
		})
	}
}
