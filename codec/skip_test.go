package codec

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestSkipJSONStrings moves each special byte across every position of the
// 8-byte words the string scanner reads at once, so a miss in the word test
// would show.
func TestSkipJSONStrings(t *testing.T) {
	tests := []struct {
		name   string
		insert string // placed at every offset of a 20-byte ASCII body
		want   error
	}{
		{"plain", "", nil},
		{"escaped quote", `\"`, nil},
		{"escaped backslash", `\\`, nil},
		{"unicode escape", `\u00e9`, nil},
		{"lone surrogate escape", `\ud800`, nil},
		{"utf8", "é€😀", nil},
		{"control char", "\x01", ErrSyntax},
		{"raw newline", "\n", ErrSyntax},
		{"del is fine", "\x7f", nil},
		{"bad escape", `\q`, ErrSyntax},
		{"bad unicode escape", `\u00g0`, ErrSyntax},
		{"invalid utf8", "\xff", ErrInvalidUTF8},
		{"truncated utf8", "\xe2\x82", ErrInvalidUTF8},
		{"surrogate utf8", "\xed\xa0\x80", ErrInvalidUTF8},
	}
	body := strings.Repeat("a", 20)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for off := 0; off <= len(body); off++ {
				s := `"` + body[:off] + tt.insert + body[off:] + `"`
				in := []byte(`[` + s + `, 1]`)
				c := cursor{s: JSON, b: in}
				raw, err := c.skip(0)
				if !errors.Is(err, tt.want) {
					t.Fatalf("offset %d: skip(%q) = %v, want %v", off, in, err, tt.want)
				}
				if err == nil && string(raw) != string(in) {
					t.Fatalf("offset %d: extent %q, want %q", off, raw, in)
				}
				// The URI reader shares the scanner.
				c = cursor{s: JSON, b: []byte(s)}
				if _, err := c.readStr(); !errors.Is(err, tt.want) {
					t.Fatalf("offset %d: readStr(%q) = %v, want %v", off, s, err, tt.want)
				}
			}
		})
	}
}

// TestPassthroughUTF8 pins the rule of the package doc: invalid UTF-8 in a
// MessagePack or CBOR payload string is spliced as is to a peer of the same
// serializer and refused when it would be transcoded; JSON text must be
// UTF-8 and is refused at decode.
func TestPassthroughUTF8(t *testing.T) {
	tests := []struct {
		name string
		ser  Serializer
		in   string // JSON text, or hex for binary serializers
	}{
		// [70, 1, {}, ["a\xff"]] and the same as a kwargs key.
		{"msgpack args", MsgPack, "94" + "46" + "01" + "80" + "91a261ff"},
		{"msgpack kwargs key", MsgPack, "95" + "46" + "01" + "80" + "90" + "81a1ff01"},
		{"cbor args", CBOR, "84" + "1846" + "01" + "a0" + "816261ff"},
		{"cbor kwargs key", CBOR, "85" + "1846" + "01" + "a0" + "80" + "a161ff01"},
		{"cbor chunked args", CBOR, "84" + "1846" + "01" + "a0" + "817f6161" + "61ff" + "ff"},
		{"json args", JSON, "[70, 1, {}, [\"a\xff\"]]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			if tt.ser != JSON {
				in = mustHex(t, tt.in)
			}
			var m Message
			err := Decode(tt.ser, in, &m)
			if tt.ser == JSON {
				if !errors.Is(err, ErrInvalidUTF8) {
					t.Fatalf("Decode = %v, want ErrInvalidUTF8", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			out, err := Append(tt.ser, nil, &m)
			if err != nil {
				t.Fatalf("Append same serializer: %v", err)
			}
			if !bytes.Equal(out, in) {
				t.Fatalf("spliced %x, want %x", out, in)
			}
			for _, to := range testSerializers {
				if to == tt.ser {
					continue
				}
				if _, err := Append(to, nil, &m); !errors.Is(err, ErrInvalidUTF8) {
					t.Fatalf("transcode to %s: %v, want ErrInvalidUTF8", to, err)
				}
			}
			// Building Go strings still refuses it.
			payload := m.Kwargs
			if payload == nil {
				payload = m.Args
			}
			if _, err := DecodeValue(tt.ser, payload); err == nil {
				t.Fatalf("DecodeValue(%x) accepted invalid UTF-8", payload)
			}
		})
	}
}

// TestSkipStructure checks that the skip walkers keep refusing malformed
// structure inside the payload the router splices.
func TestSkipStructure(t *testing.T) {
	tests := []struct {
		name string
		ser  Serializer
		in   string
		want error
	}{
		{"json unclosed string", JSON, `["abc`, ErrShort},
		{"json unclosed array", JSON, `[1, [2`, ErrShort},
		{"json missing colon", JSON, `[{"a" 1}]`, ErrSyntax},
		{"json non-string key", JSON, `[{1: 1}]`, ErrBadField},
		{"json trailing comma", JSON, `[{"a": 1,}]`, ErrSyntax},
		{"json bad number", JSON, `[1.]`, ErrSyntax},
		{"json bad literal", JSON, `[nul]`, ErrSyntax},
		{"msgpack short str", MsgPack, "91a461", ErrShort},
		{"msgpack short str8 head", MsgPack, "91d9", ErrShort},
		{"msgpack short int", MsgPack, "91cd00", ErrShort},
		{"msgpack int key", MsgPack, "918101c0", ErrBadField},
		{"msgpack ext", MsgPack, "91d40100", ErrUnsupported},
		{"msgpack reserved", MsgPack, "91c1", ErrSyntax},
		{"msgpack huge map", MsgPack, "91df7fffffff", ErrShort},
		{"cbor short text", CBOR, "816461", ErrShort},
		{"cbor byte key", CBOR, "81a14161f6", ErrBadField},
		{"cbor mixed chunks", CBOR, "817f6161" + "4161" + "ff", ErrSyntax},
		{"cbor unterminated", CBOR, "9f01", ErrShort},
		{"cbor simple value", CBOR, "81f0", ErrUnsupported},
		{"cbor negative overflow", CBOR, "813bffffffffffffffff", ErrBadValue},
		{"cbor lone break", CBOR, "81ff", ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			if tt.ser != JSON {
				in = mustHex(t, tt.in)
			}
			c := cursor{s: tt.ser, b: in}
			if _, err := c.skip(0); !errors.Is(err, tt.want) {
				t.Fatalf("skip(%q) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
}

// TestSkipEscapedNoAlloc: skipping escaped JSON strings and chunked CBOR
// strings checks them without building them.
func TestSkipEscapedNoAlloc(t *testing.T) {
	tests := []struct {
		ser Serializer
		in  []byte
	}{
		{JSON, []byte(`["a\"b\u00e9", {"k\n": "v\\"}]`)},
		{CBOR, mustHex(t, "817f616161626163ff")},
	}
	for _, tt := range tests {
		allocs := testing.AllocsPerRun(100, func() {
			c := cursor{s: tt.ser, b: tt.in}
			if _, err := c.skip(0); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per skip, want 0", tt.ser, allocs)
		}
	}
}

// TestValidText puts ASCII, valid and broken UTF-8 at every offset of
// strings of every length 0-24 placed anywhere in buffers whose other bytes
// are all high (0xff): the masked tail word must look at the string's
// bytes only, and agree with utf8.Valid everywhere.
func TestValidText(t *testing.T) {
	inserts := []string{"", "a", "é", "\xff", "\xc3", "€", "\xe2\x82", "😀", "\x80"}
	for size := 0; size <= 40; size++ {
		for start := 0; start <= size; start++ {
			for end := start; end <= size && end-start <= 24; end++ {
				for _, ins := range inserts {
					for at := start; at <= end; at++ {
						buf := bytes.Repeat([]byte{0xff}, size)
						for i := start; i < end; i++ {
							buf[i] = 'a' + byte(i%26)
						}
						copy(buf[at:end], ins)
						if got, want := validText(buf, start, end), utf8.Valid(buf[start:end]); got != want {
							t.Fatalf("validText(% x, %d, %d) = %v, utf8.Valid says %v", buf, start, end, got, want)
						}
					}
				}
			}
		}
	}
}

// FuzzValidText: validText agrees with utf8.Valid on any range of any buffer.
func FuzzValidText(f *testing.F) {
	f.Add([]byte("\xa7timeout\xa3com"), uint8(1), uint8(8))
	f.Add([]byte("ab\xc3\xa9cd"), uint8(0), uint8(6))
	f.Add([]byte("\xffé"), uint8(1), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, s, e uint8) {
		start, end := int(s), int(e)
		if start > end || end > len(b) {
			return
		}
		if got, want := validText(b, start, end), utf8.Valid(b[start:end]); got != want {
			t.Fatalf("validText(% x, %d, %d) = %v, utf8.Valid says %v", b, start, end, got, want)
		}
	})
}
