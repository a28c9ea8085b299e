package codec

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestWalkDict(t *testing.T) {
	dict := map[string]any{
		"agent":       "x",
		"authmethods": []any{"ticket", "anonymous"},
		"roles": map[string]any{
			"caller": map[string]any{"features": map[string]any{"call_canceling": true}},
			"callee": map[string]any{},
		},
	}
	for _, s := range testSerializers {
		t.Run(s.String(), func(t *testing.T) {
			raw, err := AppendValue(s, nil, dict)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			err = WalkDict(s, raw, func(path []string, v []byte) bool {
				val, err := DecodeValue(s, v)
				if err != nil {
					t.Fatalf("%v: %v", path, err)
				}
				if _, isMap := val.(map[string]any); isMap {
					got = append(got, strings.Join(path, "."))
				} else {
					got = append(got, fmt.Sprintf("%s=%v", strings.Join(path, "."), val))
				}
				return path[len(path)-1] != "callee" // enter every map but callee's
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			want := []string{"agent=x", "authmethods=[ticket anonymous]", "roles", "roles.callee",
				"roles.caller", "roles.caller.features", "roles.caller.features.call_canceling=true"}
			if !slices.Equal(got, want) {
				t.Errorf("visited %q\nwant    %q", got, want)
			}
		})
	}
}

func TestWalkDictRejects(t *testing.T) {
	list, _ := AppendValue(JSON, nil, []any{1})
	m, _ := AppendValue(MsgPack, nil, map[string]any{"a": 1})
	for _, tc := range []struct {
		name string
		s    Serializer
		b    []byte
		want error
	}{
		{"not a map", JSON, list, ErrBadField},
		{"trailing bytes", MsgPack, append(m, 0x01), ErrTrailing},
		{"truncated", MsgPack, m[:len(m)-1], ErrShort},
		{"bad serializer", Serializer(0), m, ErrSerializer},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := WalkDict(tc.s, tc.b, func([]string, []byte) bool { return true })
			if !errors.Is(err, tc.want) {
				t.Errorf("WalkDict = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeLeanLeavesDetailsRaw(t *testing.T) {
	for _, s := range testSerializers {
		data, err := Append(s, nil, &Message{Type: Hello, URI: "realm1", Details: map[string]any{"authmethods": []any{"anonymous"}}})
		if err != nil {
			t.Fatal(err)
		}
		var full, lean Message
		if err := Decode(s, data, &full); err != nil {
			t.Fatal(err)
		}
		if err := DecodeLean(s, data, &lean); err != nil {
			t.Fatal(err)
		}
		if lean.Details != nil || full.Details == nil {
			t.Errorf("%s: Details lean %v, full %v", s, lean.Details, full.Details)
		}
		if lean.URI != full.URI || string(lean.Dict) != string(full.Dict) {
			t.Errorf("%s: lean %+v differs from full %+v beyond Details", s, lean, full)
		}
	}
}

func TestDecodeBool(t *testing.T) {
	for _, s := range testSerializers {
		for _, tc := range []struct {
			v      any
			want   bool
			wantOK bool
		}{{true, true, true}, {false, false, true}, {int64(1), false, false}, {"true", false, false}, {nil, false, false}} {
			raw, err := AppendValue(s, nil, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if v, ok := DecodeBool(s, raw); v != tc.want || ok != tc.wantOK {
				t.Errorf("%s DecodeBool(%v) = %v, %v; want %v, %v", s, tc.v, v, ok, tc.want, tc.wantOK)
			}
		}
		if _, ok := DecodeBool(s, nil); ok {
			t.Errorf("%s DecodeBool(empty) ok", s)
		}
	}
}
