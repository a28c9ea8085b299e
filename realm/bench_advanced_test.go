package realm

import (
	"testing"

	"github.com/wampd/wampd/codec"
)

// publishExcludeSetup is publishSetup with a PUBLISH excluding every tenth
// subscriber by session id (subscriber_blackwhite_listing): the filter
// picks the recipients, the EVENT is still encoded once.
func publishExcludeSetup(tb testing.TB, ser codec.Serializer, subs int) (*Realm, *Session, []byte) {
	r, pub, _ := publishSetup(tb, ser, subs)
	var exclude []any
	for i := 0; i < subs; i += 10 {
		exclude = append(exclude, uint64(i+2)) // publishSetup's subscriber ids
	}
	dict, err := codec.AppendValue(ser, nil, map[string]any{"exclude": exclude})
	if err != nil {
		tb.Fatal(err)
	}
	raw := encodeMsg(tb, ser, codec.Message{Type: codec.Publish, Request: 1,
		URI: "com.bench.topic", Dict: dict, Args: payload64(tb, ser)})
	return r, pub, raw
}

func setupPublishExclude(t *testing.T, ser codec.Serializer, subs int) func() {
	r, pub, raw := publishExcludeSetup(t, ser, subs)
	want := int64(subs - (subs+9)/10)
	return func() {
		before := r.Stats().Delivered
		deliver(t, r, pub, ser, raw)
		if got := r.Stats().Delivered - before; got != want {
			t.Fatalf("delivered %d events, want %d", got, want)
		}
	}
}

// BenchmarkPublish_64B_1000Subs_Exclude100: fan-out to 1,000 subscribers
// with 100 of them excluded by session id.
func BenchmarkPublish_64B_1000Subs_Exclude100(b *testing.B) {
	for _, ser := range serializers {
		b.Run(ser.String(), func(b *testing.B) {
			r, pub, raw := publishExcludeSetup(b, ser, 1000)
			b.ReportAllocs()
			for b.Loop() {
				deliver(b, r, pub, ser, raw)
			}
			b.StopTimer()
			if got, want := r.Stats().Delivered, r.Stats().Published*900; got != want {
				b.Fatalf("delivered %d, want %d", got, want)
			}
		})
	}
}

// metaWatchedRealm is a realm with one subscriber to wamp.session.on_join
// and n more sessions joined (each join published an on_join event).
func metaWatchedRealm(tb testing.TB, ser codec.Serializer, n int) *Realm {
	r := benchRealm()
	w := benchJoin(r, 1_000_000, ser, nil)
	in := &Inbound{Sess: w}
	in.Msg = codec.Message{Type: codec.Subscribe, Request: 1, URI: metaOnJoin}
	r.handle(in)
	r.flush()
	before := r.Stats().Delivered
	for i := range n {
		benchJoin(r, uint64(2_000_000+i), ser, nil)
	}
	if got := r.Stats().Delivered - before; got != int64(n) {
		tb.Fatalf("%d on_join events for %d joins", got, n)
	}
	return r
}

// BenchmarkPublish_64B_1Sub_MetaWatched: an ordinary PUBLISH on a realm
// where someone watches wamp.session.on_join and 10,000 sessions joined
// costs what it costs on a realm nobody watches (BenchmarkPublish_64B_1Sub):
// meta events are not on the publication path.
func BenchmarkPublish_64B_1Sub_MetaWatched(b *testing.B) {
	for _, ser := range serializers {
		b.Run(ser.String(), func(b *testing.B) {
			r := metaWatchedRealm(b, ser, 10_000)
			pub := benchJoin(r, 1, ser, nil)
			sub := benchJoin(r, 2, ser, nil)
			in := &Inbound{Sess: sub}
			in.Msg = codec.Message{Type: codec.Subscribe, Request: 1, URI: "com.bench.topic"}
			r.handle(in)
			r.flush()
			raw := encodeMsg(b, ser, codec.Message{Type: codec.Publish, Request: 1,
				URI: "com.bench.topic", Args: payload64(b, ser)})
			b.ReportAllocs()
			for b.Loop() {
				deliver(b, r, pub, ser, raw)
			}
		})
	}
}

// BenchmarkJoin_Welcome_OnJoinWatched is BenchmarkJoin_Welcome with one
// subscriber to wamp.session.on_join: what a watched join adds (the
// details dict, its encoding and one EVENT). Unwatched, the check is one
// counter (BenchmarkJoin_Welcome).
func BenchmarkJoin_Welcome_OnJoinWatched(b *testing.B) {
	benchJoins(b, func(ser codec.Serializer) *Realm { return metaWatchedRealm(b, ser, 0) })
}

// BenchmarkHistoryAppend: a PUBLISH to a topic whose last 100 events are
// kept (the payload is copied into the history; the oldest is dropped).
func BenchmarkHistoryAppend(b *testing.B) {
	for _, ser := range serializers {
		b.Run(ser.String(), func(b *testing.B) {
			r := New(Options{Name: "bench", History: []HistoryRule{{Topic: "com.bench.topic", Limit: 100}}})
			pub := benchJoin(r, 1, ser, nil)
			raw := encodeMsg(b, ser, codec.Message{Type: codec.Publish, Request: 1,
				URI: "com.bench.topic", Args: payload64(b, ser)})
			for range 100 { // a full history: each op appends one and drops the oldest
				deliver(b, r, pub, ser, raw)
			}
			b.ReportAllocs()
			for b.Loop() {
				deliver(b, r, pub, ser, raw)
			}
			b.StopTimer()
			if n := len(r.history.topics["com.bench.topic"].events); n != 100 {
				b.Fatalf("%d events kept, want 100", n)
			}
		})
	}
}

// setupCallAuthorized is setupCall on a realm with authorization on: the
// caller's role may call the procedure by a prefix rule, the decision
// comes from the cache after the first call.
func setupCallAuthorized(tb testing.TB, ser codec.Serializer) (run func(), size int) {
	r := New(Options{Name: "bench", Roles: []Role{{Name: "user", Permissions: []Permission{
		{URI: "com.bench.", Match: codec.MatchPrefix, Call: true, Register: true, Publish: true, Subscribe: true},
	}}}})
	return setupCallOn(tb, ser, r, "user")
}

// BenchmarkCall_64B_Authorized: CALL -> INVOCATION with a cached
// authorization decision (compare BenchmarkCall_64B).
func BenchmarkCall_64B_Authorized(b *testing.B) { benchOne(b, setupCallAuthorized) }
