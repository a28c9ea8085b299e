package codec

import (
	"bytes"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// fuzzSeeds adds every vector message of serializer s to the corpus; a
// target left without vector seeds fails instead of fuzzing from nothing.
func fuzzSeeds(f *testing.F, s Serializer) {
	n := 0
	for _, vf := range loadVectors(f) {
		for _, sample := range vf.Samples {
			for _, e := range sampleEncodings(f, sample) {
				if e.ser == s {
					f.Add(e.data)
					n++
				}
			}
		}
	}
	if n == 0 {
		f.Fatalf("no %s test vectors to seed the corpus with", s)
	}
	for _, m := range advancedSeeds {
		f.Add(reencode(f, s, m))
	}
}

// advancedSeeds are Advanced Profile messages the vectors do not have:
// black/white lists, retention, passthru keys, disclosure, revocation.
var advancedSeeds = []string{
	`[16,1,{"exclude":[1,2],"eligible":[3],"exclude_authid":["a"],"exclude_authrole":["r"],` +
		`"eligible_authid":["b"],"eligible_authrole":["x","y"],"retain":true,"acknowledge":true},"t",["p"],{"k":1}]`,
	`[32,2,{"get_retained":true,"match":"prefix"},"com."]`,
	`[36,1,2,{"retained":true,"publisher":3,"publisher_authid":"a","publisher_authrole":"r","topic":"t"},[1]]`,
	`[48,3,{"progress":true,"ppt_scheme":"wamp","ppt_serializer":"cbor","ppt_cipher":"xsalsa20poly1305","ppt_keyid":"k"},"p",["\u0000AQID"]]`,
	`[68,4,5,{"progress":true,"caller":1,"caller_authid":"a","caller_authrole":"r"},[]]`,
	`[35,0,{"subscription":9,"reason":"revoked"}]`,
	`[67,0,{"registration":7}]`,
}

// fuzzDecode: Decode must not panic; what it accepts must re-encode and
// decode back to the same message.
func fuzzDecode(t *testing.T, s Serializer, data []byte) {
	var m Message
	if err := Decode(s, data, &m); err != nil {
		return
	}
	// Differential check: what the hand-written decoder accepts, the
	// serializer's library must find well-formed.
	if err := libraryWellFormed(s, data); err != nil {
		t.Fatalf("Decode accepted %x, the library rejects it: %v", data, err)
	}
	for _, to := range testSerializers {
		out, err := Append(to, nil, &m)
		if err != nil {
			// Only transcoding may legitimately fail (NaN or invalid
			// UTF-8 has no JSON form).
			if to == s {
				t.Fatalf("append %s of decoded %x: %v", to, data, err)
			}
			continue
		}
		if err := libraryWellFormed(to, out); err != nil {
			t.Fatalf("append %s of %x wrote %x: %v", to, data, out, err)
		}
		var m2 Message
		if err := Decode(to, out, &m2); err != nil {
			t.Fatalf("decode %s of re-encoded %x (%x): %v", to, data, out, err)
		}
		if m2.Type != m.Type || m2.ReqType != m.ReqType || m2.Request != m.Request ||
			m2.ID != m.ID || m2.ID2 != m.ID2 || m2.URI != m.URI || !optionsEqual(to, m2.Options, s, m.Options) {
			t.Fatalf("%s round trip of %x:\n got %+v\nwant %+v", to, data, m2, m)
		}
		for _, p := range [][2][]byte{{m.Args, m2.Args}, {m.Kwargs, m2.Kwargs}} {
			if (p[0] == nil) != (p[1] == nil) {
				t.Fatalf("%s round trip of %x: payload presence differs", to, data)
			}
			if p[0] == nil || cborTagged(s, p[0]) {
				continue
			}
			a, err1 := DecodeValue(s, p[0])
			if err1 != nil && to == s && s != JSON {
				// Decode does not check UTF-8 in MessagePack and CBOR
				// payloads (see the package doc), DecodeValue does: the
				// payload must then have been spliced unchanged.
				if !bytes.Equal(p[0], p[1]) {
					t.Fatalf("%s round trip of %x: payload %x spliced as %x", to, data, p[0], p[1])
				}
				continue
			}
			b, err2 := DecodeValue(to, p[1])
			if err1 != nil || err2 != nil || !deepEqual(b, a) && !jsonAmbiguous(s, to, a) {
				t.Fatalf("%s round trip of %x: payload %#v != %#v (%v, %v)", to, data, b, a, err1, err2)
			}
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	fuzzSeeds(f, JSON)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, JSON, data) })
}

func FuzzDecodeMsgPack(f *testing.F) {
	fuzzSeeds(f, MsgPack)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, MsgPack, data) })
}

func FuzzDecodeCBOR(f *testing.F) {
	fuzzSeeds(f, CBOR)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDecode(t, CBOR, data) })
}

// FuzzTranscode: any value one serializer accepts transcodes to the others
// and back to an equal value (or fails cleanly for NaN/UTF-8 in JSON).
func FuzzTranscode(f *testing.F) {
	fuzzSeeds(f, MsgPack)
	fuzzSeeds(f, CBOR)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, from := range testSerializers {
			v, err := DecodeValue(from, data)
			// Tagged CBOR may fail or differ in DecodeValue (see
			// cborTagged) but must still transcode.
			tagged := cborTagged(from, data)
			if err != nil && !tagged {
				continue
			}
			for _, to := range testSerializers {
				out, err := Transcode(from, to, nil, data)
				if err != nil {
					continue
				}
				if err := libraryWellFormed(to, out); err != nil {
					t.Fatalf("%s->%s: %x -> %x: %v", from, to, data, out, err)
				}
				got, err := DecodeValue(to, out)
				if err != nil && !(tagged && to == CBOR) {
					t.Fatalf("%s->%s: %x -> %x: %v", from, to, data, out, err)
				}
				if tagged {
					continue
				}
				if !deepEqual(got, v) && !hasFloat(v) && !jsonAmbiguous(from, to, v) {
					t.Fatalf("%s->%s: %#v != %#v", from, to, got, v)
				}
			}
		}
	})
}

// hasFloat reports floats (NaN is never equal to itself; float32 widening).
func hasFloat(v any) bool {
	switch v := v.(type) {
	case float64:
		return true
	case []any:
		for _, e := range v {
			if hasFloat(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if hasFloat(e) {
				return true
			}
		}
	}
	return false
}

// jsonAmbiguous reports the spec's one lossy case: a text string starting
// with NUL reads as binary once it went through JSON.
func jsonAmbiguous(from, to Serializer, v any) bool {
	if from != JSON && to != JSON {
		return false
	}
	switch v := v.(type) {
	case string:
		return len(v) > 0 && v[0] == 0
	case []any:
		for _, e := range v {
			if jsonAmbiguous(from, to, e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if jsonAmbiguous(from, to, e) {
				return true
			}
		}
	}
	return false
}

// cborNoTags refuses tags, to tell tagged CBOR apart.
var cborNoTags = func() cbor.DecMode {
	dm, err := cbor.DecOptions{TagsMd: cbor.TagsForbidden, MaxNestedLevels: 65535}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// cborTagged reports whether raw, encoded with s, is CBOR holding a tag.
// The cursor (Decode, Transcode) sees through tags; DecodeValue lets
// fxamacker/cbor interpret the standard ones (see value.go), so tagged
// values are not compared across serializers.
func cborTagged(s Serializer, raw []byte) bool {
	return s == CBOR && cborCheck.Wellformed(raw) == nil && cborNoTags.Wellformed(raw) != nil
}

// FuzzWalkDict: the dict walker must not panic, and what it accepts the
// serializer's library must find well-formed (the first byte picks the
// serializer).
func FuzzWalkDict(f *testing.F) {
	for _, s := range testSerializers {
		d, err := AppendValue(s, nil, map[string]any{"authmethods": []any{"anonymous"},
			"roles": map[string]any{"callee": map[string]any{"features": map[string]any{"call_canceling": true}}}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append([]byte{byte(s)}, d...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		s := Serializer(data[0]%3 + 1)
		dict := data[1:]
		err := WalkDict(s, dict, func(path []string, raw []byte) bool {
			DecodeBool(s, raw)
			IsNil(s, raw)
			return len(path) < 4
		})
		if err != nil {
			return
		}
		if err := libraryWellFormed(s, dict); err != nil {
			t.Fatalf("WalkDict accepted %x (%s), the library rejects it: %v", dict, s, err)
		}
	})
}
