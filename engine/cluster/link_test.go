//go:build !race

package cluster

import (
	"testing"

	"github.com/wampd/wampd/codec"
	"github.com/wampd/wampd/realm"
)

// TestLinkHotPathAllocs: what the realm's actor hands its link for another
// node (a publication, a forwarded call, an answer for a remote caller)
// allocates nothing in steady state: envelopes come from a pool the
// sender refills, event subjects from a cache. The race detector
// allocates on its own, hence the build tag.
func TestLinkHotPathAllocs(t *testing.T) {
	_, l := testLink()
	raw := []byte(`[16,1,{},"com.bench.topic",["0123456789012345678901234567890123456789012345678901234567890123"]]`)
	pub := realm.ClusterPublication{ID: 1, Topic: "com.bench.topic", Publisher: 2, Ser: codec.JSON, Raw: raw}
	p := &shadowPeer{l: l, to: l.subj.to + "n2", id: 3, ser: codec.JSON}
	f := codec.NewFrame(codec.JSON)
	f.B = append(f.B, `[50,7,{},["ok"]]`...)
	defer f.Release()
	// What the sender does with each: hand it on (here: nowhere), put
	// the envelope back.
	take := func() {
		m := <-l.out
		if m.op != opPublish || len(*m.buf) < envelopeHeader {
			t.Fatalf("queued %+v", m)
		}
		recycleEnvelope(m.buf)
	}
	for name, run := range map[string]func(){
		"publish": func() { l.Publish(&pub); take() },
		"forward": func() { p.Forward(2, codec.JSON, raw, false); take() },
		"deliver": func() { p.Send(f, false); take() },
	} {
		for range 100 {
			run()
		}
		if got := testing.AllocsPerRun(500, run); got != 0 {
			t.Errorf("%s: %v allocs per message, want 0", name, got)
		}
	}
}
