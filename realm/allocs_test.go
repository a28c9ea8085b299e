//go:build !race

package realm

import (
	"testing"

	"github.com/wampd/wampd/codec"
)

// TestHotPathAllocs fails CI when a realm hot path starts allocating:
// decode -> route -> encode -> Send of CALL->INVOCATION, YIELD->RESULT and
// PUBLISH->EVENT (1 and 1000 subscribers), and a clustered realm's
// publication and call to another node, for every serializer, must stay
// at 0 allocs per message in steady state. The race detector allocates on
// its own, hence the build tag.
func TestHotPathAllocs(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, ser codec.Serializer) func()
	}{
		{"call_invocation", func(t *testing.T, ser codec.Serializer) func() { run, _ := setupCall(t, ser); return run }},
		{"call_invocation_authorized", func(t *testing.T, ser codec.Serializer) func() {
			run, _ := setupCallAuthorized(t, ser)
			return run
		}},
		{"yield_result", func(t *testing.T, ser codec.Serializer) func() { run, _ := setupYield(t, ser); return run }},
		{"publish_event_1sub", func(t *testing.T, ser codec.Serializer) func() { return setupPublish(t, ser, 1) }},
		{"publish_event_1000subs", func(t *testing.T, ser codec.Serializer) func() { return setupPublish(t, ser, 1000) }},
		{"publish_event_1000subs_exclude100", func(t *testing.T, ser codec.Serializer) func() {
			return setupPublishExclude(t, ser, 1000)
		}},
		{"cluster_publish", func(t *testing.T, ser codec.Serializer) func() { return setupClusterPublish(t, ser) }},
		{"cluster_call_result", func(t *testing.T, ser codec.Serializer) func() { return setupClusterCall(t, ser) }},
	}
	for _, tc := range cases {
		for _, ser := range serializers {
			t.Run(tc.name+"/"+ser.String(), func(t *testing.T) {
				run := tc.setup(t, ser)
				for range 100 { // fill the pools and scratch slices
					run()
				}
				if n := testing.AllocsPerRun(500, run); n != 0 {
					t.Errorf("%s over %s: %v allocs per message, want 0", tc.name, ser, n)
				}
			})
		}
	}
}
