// Package enginetest starts routers for the tests of the engine's
// sub-packages (the HTTP bridge, the in-process client, the cluster),
// which cannot reach the engine's own test helpers.
package enginetest

import (
	"context"
	"testing"
	"time"

	"github.com/wampd/wampd/engine"
	"github.com/wampd/wampd/engine/config"
)

// StopTimeout bounds a router's graceful shutdown at the end of a test.
const StopTimeout = 10 * time.Second

// Start builds and starts a router for cfg; it is shut down when the test
// ends (Stop before that is fine: a second Shutdown does nothing).
func Start(t testing.TB, cfg config.Config) *engine.Router {
	t.Helper()
	rt, err := engine.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { Stop(rt) })
	return rt
}

// StartYAML is Start for a configuration in YAML (over the defaults).
func StartYAML(t testing.TB, yaml string) *engine.Router {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return Start(t, cfg)
}

// Stop shuts rt down gracefully, bounded by StopTimeout.
func Stop(rt *engine.Router) {
	ctx, cancel := context.WithTimeout(context.Background(), StopTimeout)
	defer cancel()
	_ = rt.Shutdown(ctx)
}
