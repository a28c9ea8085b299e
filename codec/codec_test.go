package codec

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	gojson "github.com/goccy/go-json"
	"github.com/tinylib/msgp/msgp"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeErrors(t *testing.T) {
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	tests := []struct {
		name string
		ser  Serializer
		in   string // JSON text, or hex for binary serializers
		want error
	}{
		{"empty", JSON, ``, ErrShort},
		{"not array", JSON, `{"a":1}`, ErrNotArray},
		{"empty array", JSON, `[]`, ErrShort},
		{"unknown type", JSON, `[7, 1]`, ErrUnknownType},
		{"type not int", JSON, `["48"]`, ErrBadField},
		{"too few fields", JSON, `[48, 1, {}]`, ErrShort},
		{"too many fields", JSON, `[48, 1, {}, "a", [], {}, 1]`, ErrTooManyFields},
		{"negative id", JSON, `[48, -1, {}, "a"]`, ErrBadField},
		{"float id", JSON, `[48, 1.5, {}, "a"]`, ErrBadField},
		{"id above 2^53", JSON, `[48, 9007199254740993, {}, "a"]`, ErrBadValue},
		{"uri not string", JSON, `[48, 1, {}, 5]`, ErrBadField},
		{"dict not map", JSON, `[48, 1, [], "a"]`, ErrBadField},
		{"args not list", JSON, `[48, 1, {}, "a", {}]`, ErrBadField},
		{"args plain string", JSON, `[48, 1, {}, "a", "x"]`, ErrBadField},
		{"kwargs not dict", JSON, `[48, 1, {}, "a", [], []]`, ErrBadField},
		{"trailing bytes", JSON, `[48, 1, {}, "a"] x`, ErrTrailing},
		{"trailing comma", JSON, `[48, 1, {}, "a",]`, ErrSyntax},
		{"missing comma", JSON, `[48, 1 {}, "a"]`, ErrSyntax},
		{"bad literal", JSON, `[16, 1, {"acknowledge": tru}, "a"]`, ErrSyntax},
		{"non-string key", JSON, `[48, 1, {1: 2}, "a"]`, ErrBadField},
		{"too deep", JSON, `[48, 1, {}, "a", ` + deep + `]`, ErrTooDeep},
		{"invalid utf8", JSON, "[48, 1, {}, \"a\xff\"]", ErrInvalidUTF8},
		{"control char", JSON, "[48, 1, {}, \"a\x01\"]", ErrSyntax},
		{"bad escape", JSON, `[48, 1, {}, "a\q"]`, ErrSyntax},
		{"bad option type", JSON, `[16, 1, {"acknowledge": 1}, "a"]`, ErrBadField},
		{"bad match", JSON, `[32, 1, {"match": "regex"}, "a"]`, ErrBadValue},
		{"negative timeout", JSON, `[48, 1, {"timeout": -5}, "a"]`, ErrBadValue},
		{"number beyond float64 in a dict", JSON, `[36, 0, 0, {"": [{"": 1e700}]}]`, ErrUnsupported},
		{"number beyond float64 in args", JSON, `[36, 0, 0, {}, [-` + strings.Repeat("9", 310) + `]]`, ErrUnsupported},
		{"bad request type", JSON, `[8, 7, 1, {}, "e"]`, ErrUnknownType},
		{"msgpack ext", MsgPack, "9430" + "01" + "d40100" + "a161", ErrUnsupported},
		{"msgpack short", MsgPack, "9430", ErrShort},
		{"msgpack reserved byte", MsgPack, "c1", ErrSyntax},
		{"msgpack str key required", MsgPack, "943001" + "810102" + "a161", ErrBadField},
		{"msgpack invalid utf8", MsgPack, "94300180" + "a1ff", ErrInvalidUTF8},
		{"msgpack trailing", MsgPack, "9430018" + "0a16100", ErrTrailing},
		{"msgpack huge count", MsgPack, "dd7fffffff", ErrShort},
		{"cbor not array", CBOR, "a0", ErrNotArray},
		{"cbor simple value", CBOR, "841830" + "01" + "a0" + "f0", ErrUnsupported},
		{"cbor reserved ai", CBOR, "841830" + "1c" + "a06161", ErrSyntax},
		{"cbor huge string", CBOR, "8418300" + "1a07b7fffffffffffffff", ErrShort},
		{"cbor trailing", CBOR, "841830" + "01a06161" + "00", ErrTrailing},
		// HELLO [1, "r", {"publisher": 1(9)}]: an epoch tag on an id.
		{"cbor tagged option", CBOR, "8301" + "6172" + "a1" + "697075626c6973686572" + "c109", ErrBadField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			if tt.ser != JSON {
				in = mustHex(t, tt.in)
			}
			var m Message
			err := Decode(tt.ser, in, &m)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode(%q) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

func TestDecodeFields(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{"escaped uri", `[32, 5, {}, "com.a\u00e9\"b"]`,
			Message{Type: Subscribe, Request: 5, URI: "com.aé\"b", Dict: []byte(`{}`)}},
		{"options", `[48, 7, {"receive_progress": true, "timeout": 250, "disclose_me": false, "x": [1, {"y": null}]}, "p", [1], {"k": 2.5}]`,
			Message{Type: Call, Request: 7, URI: "p", Options: Options{
				Has: HasReceiveProgress | HasTimeout | HasDiscloseMe, ReceiveProgress: true, Timeout: 250},
				Dict:   []byte(`{"receive_progress": true, "timeout": 250, "disclose_me": false, "x": [1, {"y": null}]}`),
				Args:   []byte(`[1]`),
				Kwargs: []byte(`{"k": 2.5}`)}},
		{"event details", `[36, 1, 2, {"publisher": 9, "topic": "a.b", "trustlevel": 1}, []]`,
			Message{Type: Event, ID: 1, ID2: 2, Options: Options{
				Has: HasPublisher | HasTopic, Publisher: 9, Topic: "a.b"},
				Dict: []byte(`{"publisher": 9, "topic": "a.b", "trustlevel": 1}`), Args: []byte(`[]`)}},
		{"register policies", `[64, 3, {"match": "wildcard", "invoke": "roundrobin"}, "a..c"]`,
			Message{Type: Register, Request: 3, URI: "a..c", Options: Options{
				Has: HasMatch | HasInvoke, Match: MatchWildcard, Invoke: InvokeRoundRobin},
				Dict: []byte(`{"match": "wildcard", "invoke": "roundrobin"}`)}},
		{"error", `[8, 48, 9, {}, "wamp.error.no_such_procedure"]`,
			Message{Type: Error, ReqType: Call, Request: 9, URI: ErrNoSuchProcedure, Dict: []byte(`{}`)}},
		{"whitespace", " [ 35 ,\n 4 ] \n",
			Message{Type: Unsubscribed, Request: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			if err := Decode(JSON, []byte(tt.in), &m); err != nil {
				t.Fatal(err)
			}
			tt.want.PayloadSer = JSON
			if !messagesEqual(&m, &tt.want) {
				t.Fatalf("got  %+v\nwant %+v", m, tt.want)
			}
		})
	}
}

// messagesEqual compares two messages field by field (raw bytes by value).
func messagesEqual(a, b *Message) bool {
	return a.Type == b.Type && a.ReqType == b.ReqType && a.Request == b.Request &&
		a.ID == b.ID && a.ID2 == b.ID2 && a.URI == b.URI && optionsEqual(a.PayloadSer, a.Options, b.PayloadSer, b.Options) &&
		bytes.Equal(a.Dict, b.Dict) && bytes.Equal(a.Args, b.Args) &&
		bytes.Equal(a.Kwargs, b.Kwargs) && a.PayloadSer == b.PayloadSer
}

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string // JSON
	}{
		{"options dict", Message{Type: Event, ID: 1, ID2: 2, Options: Options{
			Has: HasPublisher | HasTopic, Publisher: 7, Topic: "a.\"b"}},
			`[36,1,2,{"publisher":7,"topic":"a.\"b"}]`},
		{"empty dict", Message{Type: Subscribed, Request: 1, ID: 2}, `[33,1,2]`},
		{"empty options", Message{Type: Yield, Request: 1}, `[70,1,{}]`},
		{"kwargs without args", Message{Type: Result, Request: 1, PayloadSer: JSON,
			Kwargs: []byte(`{"a":1}`)}, `[50,1,{},[],{"a":1}]`},
		{"details", Message{Type: Welcome, ID: 9, Details: map[string]any{
			"roles": map[string]any{"broker": map[string]any{}}, "authid": "x"}},
			`[2,9,{"authid":"x","roles":{"broker":{}}}]`},
		{"spliced dict", Message{Type: Call, Request: 1, URI: "p", PayloadSer: JSON,
			Dict: []byte(`{"x": 1}`), Args: []byte(`[1, 2]`)}, `[48,1,{"x": 1},"p",[1, 2]]`},
		{"transcoded payload", Message{Type: Call, Request: 1, URI: "p", PayloadSer: MsgPack,
			Args: mustHex(t, "92a161c403010203")}, `[48,1,{},"p",["a","\u0000AQID"]]`},
		{"all options", Message{Type: Call, Request: 1, URI: "p", Options: Options{
			Has: hasAll, Acknowledge: true, ExcludeMe: false, DiscloseMe: true, ReceiveProgress: true,
			Progress: true, Retain: true, GetRetained: true, Retained: true, Match: MatchPrefix,
			Invoke: InvokeLast, Timeout: 5, Publisher: 1, Caller: 2, Subscription: 3, Registration: 4,
			Topic: "t", Procedure: "p", Mode: "kill", Reason: "r", Message: "m", DiscloseCaller: true,
			Ext: &OptionsExt{PublisherAuthID: "pa", PublisherAuthRole: "pr", CallerAuthID: "ca", CallerAuthRole: "cr",
				PPTScheme: "x_s", PPTSerializer: "cbor", PPTCipher: "xsalsa20poly1305", PPTKeyID: "k"}}},
			`[48,1,{"acknowledge":true,"exclude_me":false,"disclose_me":true,"receive_progress":true,` +
				`"progress":true,"retain":true,"get_retained":true,"retained":true,"match":"prefix",` +
				`"invoke":"last","timeout":5,"publisher":1,"caller":2,"subscription":3,"registration":4,` +
				`"topic":"t","procedure":"p","mode":"kill","reason":"r","message":"m",` +
				`"publisher_authid":"pa","publisher_authrole":"pr","caller_authid":"ca","caller_authrole":"cr",` +
				`"ppt_scheme":"x_s","ppt_serializer":"cbor","ppt_cipher":"xsalsa20poly1305","ppt_keyid":"k","disclose_caller":true},"p"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Append(JSON, nil, &tt.m)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			// The binary serializers must produce well-formed output that
			// decodes to the same message.
			for _, s := range testSerializers {
				out, err := Append(s, nil, &tt.m)
				if err != nil {
					t.Fatalf("%s: %v", s, err)
				}
				assertWellFormed(t, s, out)
				var m Message
				if err := Decode(s, out, &m); err != nil {
					t.Fatalf("%s: decode %x: %v", s, out, err)
				}
				if m.Type != tt.m.Type || m.Request != tt.m.Request || m.URI != tt.m.URI ||
					(tt.m.Details == nil && !optionsEqual(s, m.Options, tt.m.PayloadSer, tt.m.Options)) {
					t.Fatalf("%s: round trip %+v", s, m)
				}
			}
		})
	}
}

// assertWellFormed checks out with an independent implementation.
func assertWellFormed(t testing.TB, s Serializer, out []byte) {
	t.Helper()
	if err := libraryWellFormed(s, out); err != nil {
		t.Fatalf("%s %x: %v", s, out, err)
	}
}

// cborCheck checks CBOR well-formedness with fxamacker/cbor, with nesting
// and size limits above the codec's own (tags count as levels there).
var cborCheck = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		MaxNestedLevels:  65535,
		MaxArrayElements: math.MaxInt32,
		MaxMapPairs:      math.MaxInt32,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// libraryWellFormed asks the serializer's library whether data is one
// well-formed value: goccy/go-json's Valid, msgp.Skip, fxamacker's
// Wellformed.
func libraryWellFormed(s Serializer, data []byte) error {
	switch s {
	case JSON:
		if !gojson.Valid(data) {
			return errors.New("goccy/go-json: invalid JSON")
		}
	case MsgPack:
		rest, err := msgp.Skip(data)
		if err != nil {
			return err
		}
		if len(rest) != 0 {
			return errors.New("msgp: trailing bytes")
		}
	case CBOR:
		return cborCheck.Wellformed(data)
	}
	return nil
}

func TestAppendErrors(t *testing.T) {
	tests := []struct {
		name string
		s    Serializer
		m    Message
		want error
	}{
		{"bad serializer", 9, Message{Type: Call}, ErrSerializer},
		{"bad type", JSON, Message{Type: 7}, ErrUnknownType},
		{"payload without serializer", JSON, Message{Type: Yield, Args: []byte{0x90}}, ErrSerializer},
		{"invalid utf8 uri", JSON, Message{Type: Subscribe, URI: "a\xff"}, ErrInvalidUTF8},
		{"broken payload", JSON, Message{Type: Yield, PayloadSer: MsgPack, Args: []byte{0x92, 0x01}}, ErrShort},
		{"nan to json", JSON, Message{Type: Yield, PayloadSer: CBOR, Args: []byte{0x81, 0xf9, 0x7e, 0x00}}, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Append(tt.s, []byte("x"), &tt.m)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if string(out) != "x" {
				t.Fatalf("dst changed on error: %q", out)
			}
		})
	}
}

// TestBinaryRoundTrip carries a byte string msgpack -> JSON -> CBOR.
func TestBinaryRoundTrip(t *testing.T) {
	bin := []byte{0x10, 0xe3, 0xff, 0x90, 0x53, 0x07, 0x5c, 0x52, 0x6f, 0x5f, 0xc0, 0x6d, 0x4f, 0xe3, 0x7c, 0xdb, 0x00}
	mp := msgp.AppendArrayHeader(nil, 1)
	mp = msgp.AppendBytes(mp, bin)
	js, err := Transcode(MsgPack, JSON, nil, mp)
	if err != nil {
		t.Fatal(err)
	}
	if want := `["\u0000EOP/kFMHXFJvX8BtT+N82wA="]`; string(js) != want {
		t.Fatalf("JSON = %s, want %s", js, want)
	}
	cb, err := Transcode(JSON, CBOR, nil, js)
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	if err := cbor.Unmarshal(cb, &got); err != nil {
		t.Fatal(err)
	}
	if b, ok := got[0].([]byte); !ok || !bytes.Equal(b, bin) {
		t.Fatalf("CBOR carries %#v, want bytes %x", got[0], bin)
	}
	back, err := Transcode(CBOR, MsgPack, nil, cb)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back, mp) {
		t.Fatalf("msgpack %x, want %x", back, mp)
	}
}

func TestValueRoundTrip(t *testing.T) {
	v := map[string]any{
		"s": "héllo\n", "i": int64(-42), "u": int64(7), "big": uint64(1 << 63), "f": 1.5,
		"whole": 2.0, "t": true, "n": nil, "b": []byte{0, 1, 2},
		"l": []any{int64(1), "x", []any{}, map[string]any{}},
	}
	for _, from := range testSerializers {
		enc, err := AppendValue(from, nil, v)
		if err != nil {
			t.Fatal(err)
		}
		assertWellFormed(t, from, enc)
		for _, to := range testSerializers {
			t.Run(from.String()+"-"+to.String(), func(t *testing.T) {
				tr, err := Transcode(from, to, nil, enc)
				if err != nil {
					t.Fatal(err)
				}
				assertWellFormed(t, to, tr)
				got, err := DecodeValue(to, tr)
				if err != nil {
					t.Fatal(err)
				}
				if !deepEqual(got, v) {
					t.Fatalf("got %#v\nwant %#v", got, v)
				}
			})
		}
	}
}

// deepEqual compares generic values, []byte by content.
func deepEqual(a, b any) bool {
	switch bv := b.(type) {
	case float64:
		av, ok := a.(float64)
		return ok && (av == bv || math.IsNaN(av) && math.IsNaN(bv))
	case []byte:
		av, ok := a.([]byte)
		return ok && bytes.Equal(av, bv)
	case []any:
		av, ok := a.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range bv {
			if !deepEqual(av[i], bv[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		av, ok := a.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k := range bv {
			if !deepEqual(av[k], bv[k]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// TestDecodeValue pins the Go types and the acceptance rules DecodeValue
// keeps on top of the libraries (see value.go).
func TestDecodeValue(t *testing.T) {
	tests := []struct {
		name string
		ser  Serializer
		in   string // JSON text, or hex for binary serializers
		want any
		err  error
	}{
		{"json ints", JSON, `[1, -2, 9223372036854775808, -0, 1.0, 1e2, 18446744073709551616]`,
			[]any{int64(1), int64(-2), uint64(1 << 63), int64(0), 1.0, 100.0, 18446744073709551616.0}, nil},
		{"json binary", JSON, `{"b": "\u0000AQI=", "s": "\u0000not base64!"}`,
			map[string]any{"b": []byte{1, 2}, "s": "\x00not base64!"}, nil},
		{"json escapes", JSON, `"a\u00e9\ud83d\ude00\n"`, "aé😀\n", nil},
		{"json trailing", JSON, `{} x`, nil, ErrTrailing},
		{"json trailing comma", JSON, `[1,]`, nil, ErrSyntax},
		{"json leading zero", JSON, `[01]`, nil, ErrSyntax},
		{"json invalid utf8", JSON, "\"a\xff\"", nil, ErrInvalidUTF8},
		{"json too deep", JSON, strings.Repeat("[", 70) + strings.Repeat("]", 70), nil, ErrTooDeep},
		{"cbor ints", CBOR, "83" + "01" + "20" + "1b8000000000000000", []any{int64(1), int64(-1), uint64(1 << 63)}, nil},
		{"cbor half float", CBOR, "f93e00", 1.5, nil},
		{"cbor bytes", CBOR, "a1616242" + "0102", map[string]any{"b": []byte{1, 2}}, nil},
		{"cbor indefinite", CBOR, "9f" + "7f616161" + "62ff" + "ff", []any{"ab"}, nil},
		{"cbor unknown tag", CBOR, "d9d9f7" + "83010203", []any{int64(1), int64(2), int64(3)}, nil},
		{"cbor epoch tag", CBOR, "c11a514b67b0", "2013-03-21T20:04:00Z", nil},
		{"cbor bignum tag", CBOR, "c24101", int64(1), nil},
		{"cbor simple value", CBOR, "e0", nil, ErrUnsupported},
		{"cbor byte key", CBOR, "a14161" + "01", nil, ErrBadField},
		{"cbor negative overflow", CBOR, "3bffffffffffffffff", nil, ErrBadValue},
		{"cbor trailing", CBOR, "0101", nil, ErrTrailing},
		{"msgpack float32", MsgPack, "ca3fc00000", 1.5, nil},
		{"msgpack bin", MsgPack, "c4020102", []byte{1, 2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			if tt.ser != JSON {
				in = mustHex(t, tt.in)
			}
			got, err := DecodeValue(tt.ser, in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !deepEqual(got, tt.want) {
				t.Fatalf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestAppendValueForms pins the output forms AppendValue keeps on top of the
// libraries: sorted keys, floats that stay floats, binary in JSON, empty
// (not null) nil containers, Raw splicing and transcoding, no HTML escaping.
func TestAppendValueForms(t *testing.T) {
	tests := []struct {
		name string
		ser  Serializer
		v    any
		want string // JSON text, or hex for binary serializers
	}{
		{"json sorted", JSON, map[string]any{"b": 1, "a": []any{true, nil}}, `{"a":[true,null],"b":1}`},
		{"json float", JSON, []any{2.0, 1.5, float32(0.5), 1e21}, `[2.0,1.5,0.5,1e+21]`},
		{"json binary", JSON, []byte{1, 2}, `"\u0000AQI="`},
		{"json nil containers", JSON, map[string]any{"l": []any(nil), "m": map[string]any(nil),
			"s": []string(nil), "u": []uint64(nil)}, `{"l":[],"m":{},"s":[],"u":[]}`},
		{"json no html escape", JSON, "<a&b>", `"<a&b>"`},
		{"json control", JSON, "a\x01\"\\", `"a\u0001\"\\"`},
		{"json raw", JSON, []any{Raw{JSON, []byte(`{"x":1}`)}, Raw{MsgPack, mustHex(t, "c40101")}},
			`[{"x":1},"\u0000AQ=="]`},
		{"cbor sorted", CBOR, map[string]any{"bb": 1, "a": 2, "c": 3}, "a3" + "616102" + "616303" + "62626201"},
		{"cbor shortest float", CBOR, []any{1.5, 0.1}, "82" + "f93e00" + "fb3fb999999999999a"},
		{"cbor nil containers", CBOR, []any{[]any(nil), map[string]any(nil), []byte(nil)}, "83" + "80" + "a0" + "40"},
		{"cbor raw", CBOR, []any{Raw{CBOR, mustHex(t, "d9d9f701")}, Raw{JSON, []byte(`"\u0000AQ=="`)}},
			"82" + "d9d9f701" + "4101"},
		{"msgpack sorted", MsgPack, map[string]any{"b": 1, "a": 2}, "82" + "a16102" + "a16201"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendValue(tt.ser, nil, tt.v)
			if err != nil {
				t.Fatal(err)
			}
			want := []byte(tt.want)
			if tt.ser != JSON {
				want = mustHex(t, tt.want)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}
}

func TestAppendValueErrors(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want error
	}{
		{"invalid utf8", []any{"a\xff"}, ErrInvalidUTF8},
		{"invalid utf8 key", map[string]any{"\xff": 1}, ErrInvalidUTF8},
		{"unsupported type", []any{struct{}{}}, ErrUnsupported},
		{"too deep", deepList(70), ErrTooDeep},
		{"bad raw", Raw{9, []byte{0}}, ErrSerializer},
	}
	for _, tt := range tests {
		for _, s := range testSerializers {
			t.Run(tt.name+"/"+s.String(), func(t *testing.T) {
				out, err := AppendValue(s, []byte("x"), tt.v)
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				if string(out) != "x" {
					t.Fatalf("dst changed on error: %q", out)
				}
			})
		}
	}
	if _, err := AppendValue(JSON, nil, math.NaN()); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("NaN to JSON: err = %v, want ErrUnsupported", err)
	}
}

func deepList(n int) any {
	var v any = []any{}
	for range n {
		v = []any{v}
	}
	return v
}

// TestJSONReadInt pins what an integer option (timeout) accepts in JSON:
// integers that fit int64; floats and integers beyond 64 bits are the wrong
// kind, a uint64 beyond int64 a bad value.
func TestJSONReadInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  error
		end  int // cursor position after a successful read
	}{
		{"1000", 1000, nil, 4},
		{" \t7,", 7, nil, 3},
		{"-5]", -5, nil, 2},
		{"-0", 0, nil, 2},
		{"0", 0, nil, 1},
		{"9223372036854775807", math.MaxInt64, nil, 19},
		{"-9223372036854775808", math.MinInt64, nil, 20},
		{"9223372036854775808", 0, ErrBadValue, 0},
		{"18446744073709551615", 0, ErrBadValue, 0},
		{"18446744073709551616", 0, ErrBadField, 0},
		{"-9223372036854775809", 0, ErrBadField, 0},
		{"1.5", 0, ErrBadField, 0},
		{"1e3", 0, ErrBadField, 0},
		{`"7"`, 0, ErrBadField, 0},
		{"[1]", 0, ErrBadField, 0},
		{"true", 0, ErrBadField, 0},
		{"null", 0, ErrBadField, 0},
		{"x", 0, ErrSyntax, 0},
		{"-", 0, ErrShort, 0},
		{"-x", 0, ErrSyntax, 0},
		{"", 0, ErrShort, 0},
		{"  ", 0, ErrShort, 0},
	}
	for _, tc := range tests {
		c := cursor{s: JSON, b: []byte(tc.in)}
		v, err := c.readInt()
		if !errors.Is(err, tc.err) || v != tc.want || (err == nil && c.p != tc.end) {
			t.Errorf("readInt(%q) = %d, %v at %d; want %d, %v at %d", tc.in, v, err, c.p, tc.want, tc.err, tc.end)
		}
	}
}

// TestDecodeCBORTags: tags on the message, on payloads and on options the
// router does not read are seen through; a tag on an option it reads is an
// error naming the key (TestDecodeErrors).
func TestDecodeCBORTags(t *testing.T) {
	// 55799([16, 1, {"x": 1(9), "acknowledge": true}, "t", [0("z")]])
	in := mustHex(t, "d9d9f7"+"8510"+"01"+"a2"+"6178"+"c109"+"6b61636b6e6f776c65646765"+"f5"+"6174"+"81"+"c0617a")
	var m Message
	if err := Decode(CBOR, in, &m); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if m.Type != Publish || m.Request != 1 || m.URI != "t" || !m.Options.Acknowledge {
		t.Fatalf("Decode = %+v", m)
	}
	if got := fmt.Sprintf("%x", m.Args); got != "81c0617a" {
		t.Fatalf("Args = %s, want the tagged payload unchanged", got)
	}
	bad := mustHex(t, "8301"+"6172"+"a1"+"697075626c6973686572"+"c109")
	if err := Decode(CBOR, bad, &m); err == nil || !strings.Contains(err.Error(), `"publisher"`) {
		t.Fatalf("Decode of a tagged publisher = %v, want an error naming the key", err)
	}
}
