package codec

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The spec's test vectors, copied into testdata/vectors (see its README):
// the repository carries them, so a missing file fails the tests instead of
// skipping them.
const vectorRoot = "testdata/vectors/singlemessage"

// vectorFiles lists the vector files the copy must hold: a file lost from
// testdata fails TestVectors by name.
var vectorFiles = []string{
	"advanced/cancel.json", "advanced/eventreceived.json", "advanced/interrupt.json",
	"advanced/publish_with_publisher_exclusion_disabled.json",
	"basic/abort.json", "basic/authenticate.json", "basic/call.json", "basic/challenge.json",
	"basic/error.json", "basic/event.json", "basic/goodbye.json", "basic/hello.json",
	"basic/invocation.json", "basic/publish.json", "basic/published.json", "basic/register.json",
	"basic/registered.json", "basic/result.json", "basic/subscribe.json", "basic/subscribed.json",
	"basic/unregister.json", "basic/unregistered.json", "basic/unsubscribe.json",
	"basic/unsubscribed.json", "basic/welcome.json", "basic/yield.json",
}

type vectorFile struct {
	Type    string         `json:"wamp_message_type"`
	Code    int            `json:"wamp_message_code"`
	Samples []vectorSample `json:"samples"`
}

type vectorSample struct {
	Description string                     `json:"description"`
	Serializers map[string][]vectorBytes   `json:"serializers"`
	Expected    map[string]any             `json:"expected_attributes"`
	Wmsg        []any                      `json:"wmsg"`
	ExpectedErr *struct{ Contains string } `json:"expected_error"`
}

type vectorBytes struct {
	Hex string `json:"bytes_hex"`
}

var testSerializers = []Serializer{JSON, MsgPack, CBOR}

// loadVectors returns every single-message vector file, by relative name.
// A listed file that is missing or unreadable fails the test (t.Fatal, never
// t.Skip), and so does a file in the folder that the list lacks.
func loadVectors(t testing.TB) map[string]vectorFile {
	t.Helper()
	out := map[string]vectorFile{}
	for _, rel := range vectorFiles {
		p := filepath.Join(vectorRoot, filepath.FromSlash(rel))
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("test vector missing: %v (the repository carries them in codec/testdata/vectors)", err)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var f vectorFile
		if err := dec.Decode(&f); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(f.Samples) == 0 {
			t.Fatalf("%s: no samples", p)
		}
		out[rel] = f
	}
	err := filepath.WalkDir(vectorRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		rel, _ := filepath.Rel(vectorRoot, p)
		if _, ok := out[filepath.ToSlash(rel)]; !ok {
			t.Fatalf("%s is not in vectorFiles: add it there so that its loss is noticed", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sampleBytes lists (serializer, bytes) of a serialization sample.
type encoded struct {
	ser  Serializer
	data []byte
}

func sampleEncodings(t testing.TB, s vectorSample) []encoded {
	var out []encoded
	for _, ser := range testSerializers {
		for _, vb := range s.Serializers[ser.String()] {
			if vb.Hex == "" {
				continue
			}
			b, err := hex.DecodeString(vb.Hex)
			if err != nil {
				t.Fatalf("bad hex: %v", err)
			}
			out = append(out, encoded{ser, b})
		}
	}
	return out
}

func TestVectors(t *testing.T) {
	files := loadVectors(t)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		f := files[name]
		t.Run(name, func(t *testing.T) {
			for i, s := range f.Samples {
				if s.Expected == nil {
					t.Run("validation/"+s.Description, func(t *testing.T) { checkValidation(t, s) })
					continue
				}
				for _, e := range sampleEncodings(t, s) {
					t.Run(e.ser.String()+"/"+s.Description, func(t *testing.T) {
						if !Type(f.Code).Valid() || f.Code > 0xff {
							var m Message
							if err := Decode(e.ser, e.data, &m); err == nil {
								t.Fatalf("type %d decoded, want ErrUnknownType", f.Code)
							}
							return
						}
						checkSample(t, e, s.Expected)
					})
				}
				_ = i
			}
		})
	}
}

// checkSample decodes, checks, re-encodes with the same serializer and the
// two others, and checks again.
func checkSample(t *testing.T, e encoded, want map[string]any) {
	t.Helper()
	var m Message
	if err := Decode(e.ser, e.data, &m); err != nil {
		t.Fatalf("decode: %v", err)
	}
	checkAttributes(t, "decoded", &m, want)
	for _, to := range testSerializers {
		out, err := Append(to, nil, &m)
		if err != nil {
			t.Fatalf("append %s: %v", to, err)
		}
		var m2 Message
		if err := Decode(to, out, &m2); err != nil {
			t.Fatalf("decode re-encoded %s %q: %v", to, out, err)
		}
		checkAttributes(t, "re-encoded "+to.String(), &m2, want)
		if to == e.ser && to != JSON && !m.Type.SessionControl() {
			// Splicing same-serializer payloads keeps the canonical bytes.
			if !bytes.Equal(out, e.data) {
				t.Errorf("same-serializer re-encoding differs:\n got %x\nwant %x", out, e.data)
			}
		}
	}
}

func checkAttributes(t *testing.T, stage string, m *Message, want map[string]any) {
	t.Helper()
	errorf := func(format string, args ...any) {
		t.Helper()
		t.Errorf(stage+": "+format, args...)
	}
	num := func(k string) (uint64, bool) {
		v, ok := want[k]
		if !ok {
			return 0, false
		}
		n, err := v.(json.Number).Int64()
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return uint64(n), true
	}
	if v, _ := num("message_type"); Type(v) != m.Type {
		errorf("type %d, want %d", m.Type, v)
	}
	ids := []struct {
		key string
		got uint64
	}{
		{"request_id", m.Request}, {"request_type", uint64(m.ReqType)},
		{"session_id", m.ID}, {"subscription_id", m.ID}, {"registration_id", m.ID},
		{"subscription", m.ID}, {"publication", m.ID2},
	}
	for _, id := range ids {
		if v, ok := num(id.key); ok && v != id.got {
			errorf("%s = %d, want %d", id.key, id.got, v)
		}
	}
	if v, ok := num("publication_id"); ok && v != m.ID && v != m.ID2 {
		errorf("publication_id: got %d/%d, want %d", m.ID, m.ID2, v)
	}
	for _, k := range []string{"realm", "topic", "procedure", "error", "reason", "method", "signature"} {
		if v, ok := want[k]; ok && v != m.URI {
			errorf("%s = %q, want %q", k, m.URI, v)
		}
	}
	for _, k := range []string{"options", "details", "extra"} {
		v, ok := want[k]
		if !ok {
			continue
		}
		got, err := DecodeValue(m.PayloadSer, m.Dict)
		if err != nil {
			errorf("%s: %v", k, err)
			continue
		}
		if !equalValue(got, v) {
			errorf("%s = %#v, want %#v", k, got, v)
		}
		if m.Type.SessionControl() && !equalValue(m.Details, v) {
			errorf("Details = %#v, want %#v", m.Details, v)
		}
	}
	if v, ok := want["roles"]; ok {
		if !equalValue(m.Details["roles"], v) {
			errorf("roles = %#v, want %#v", m.Details["roles"], v)
		}
	}
	payload, hasPayload := want["payload"].(string)
	for _, p := range []struct {
		key string
		raw []byte
	}{{"args", m.Args}, {"kwargs", m.Kwargs}} {
		v, ok := want[p.key]
		if !ok {
			continue
		}
		if v == nil {
			if p.raw != nil && !(p.key == "args" && hasPayload) {
				errorf("%s = %q, want absent", p.key, p.raw)
			}
			continue
		}
		got, err := DecodeValue(m.PayloadSer, p.raw)
		if err != nil {
			errorf("%s: %v", p.key, err)
			continue
		}
		if !equalValue(got, v) {
			errorf("%s = %#v, want %#v", p.key, got, v)
		}
	}
	if hasPayload {
		wantBin, _ := hex.DecodeString(payload)
		got, err := DecodeValue(m.PayloadSer, m.Args)
		if err != nil {
			errorf("payload: %v", err)
		} else if b, ok := got.([]byte); !ok || !bytes.Equal(b, wantBin) {
			errorf("payload = %#v, want %x", got, wantBin)
		}
	}
}

// equalValue compares a DecodeValue result with a value decoded by
// encoding/json with UseNumber, numerically for numbers.
func equalValue(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case bool, string:
		return got == w
	case json.Number:
		f, err := w.Float64()
		if err != nil {
			return false
		}
		switch g := got.(type) {
		case int64:
			if i, err := w.Int64(); err == nil {
				return g == i
			}
		case uint64:
			return float64(g) == f
		case float64:
			return g == f || math.IsNaN(g) && math.IsNaN(f)
		}
		return false
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !equalValue(g[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !equalValue(gv, wv) {
				return false
			}
		}
		return true
	}
	return false
}

// toGo turns an encoding/json value into one AppendValue takes.
func toGo(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = toGo(v[i])
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			out[k] = toGo(e)
		}
		return out
	}
	return v
}

// checkValidation encodes a validation sample's wire message with each
// serializer and checks Decode accepts or rejects it as the vector says.
func checkValidation(t *testing.T, s vectorSample) {
	msg := toGo(s.Wmsg).([]any)
	// The vectors write a passthru payload (binary) as a hex string.
	for _, e := range msg {
		if d, ok := e.(map[string]any); ok && d["enc_algo"] != nil {
			if h, ok := msg[len(msg)-1].(string); ok {
				b, err := hex.DecodeString(h)
				if err != nil {
					t.Fatal(err)
				}
				msg[len(msg)-1] = b
			}
		}
	}
	for _, ser := range testSerializers {
		data, err := AppendValue(ser, nil, msg)
		if err != nil {
			t.Fatalf("%s: encode: %v", ser, err)
		}
		var m Message
		err = Decode(ser, data, &m)
		switch {
		case s.ExpectedErr == nil && err != nil:
			t.Errorf("%s: rejected valid message %q: %v", ser, data, err)
		case s.ExpectedErr != nil && err == nil:
			t.Errorf("%s: accepted invalid message %q", ser, data)
		case s.ExpectedErr != nil && !strings.Contains(err.Error(), s.ExpectedErr.Contains):
			t.Errorf("%s: error %q does not name %q", ser, err, s.ExpectedErr.Contains)
		}
	}
}

// TestVectorsTruncated decodes every strict prefix of every vector: each
// must fail with an error, none may panic.
func TestVectorsTruncated(t *testing.T) {
	for name, f := range loadVectors(t) {
		for _, s := range f.Samples {
			for _, e := range sampleEncodings(t, s) {
				t.Run(name+"/"+e.ser.String(), func(t *testing.T) {
					for n := 0; n < len(e.data); n++ {
						var m Message
						if err := Decode(e.ser, e.data[:n:n], &m); err == nil {
							t.Fatalf("prefix %d of %x decoded", n, e.data)
						}
					}
				})
			}
		}
	}
}
