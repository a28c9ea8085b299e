package codec

import (
	"reflect"
	"slices"
	"testing"
)

// optionsEqual compares two decoded Options: the scalar fields by value and
// the raw black/white lists by their decoded elements (a list decoded from
// JSON and one from CBOR hold the same ids in other bytes).
func optionsEqual(sa Serializer, a Options, sb Serializer, b Options) bool {
	la := [...][]byte{a.Exclude, a.Eligible, a.ExcludeAuthID, a.ExcludeAuthRole, a.EligibleAuthID, a.EligibleAuthRole}
	lb := [...][]byte{b.Exclude, b.Eligible, b.ExcludeAuthID, b.ExcludeAuthRole, b.EligibleAuthID, b.EligibleAuthRole}
	for i := range la {
		if (la[i] == nil) != (lb[i] == nil) {
			return false
		}
		if la[i] == nil {
			continue
		}
		if i < 2 {
			x, err1 := IDList(sa, la[i], nil)
			y, err2 := IDList(sb, lb[i], nil)
			if err1 != nil || err2 != nil || !slices.Equal(x, y) {
				return false
			}
			continue
		}
		x, err1 := StringList(sa, la[i], nil)
		y, err2 := StringList(sb, lb[i], nil)
		if err1 != nil || err2 != nil || !slices.Equal(x, y) {
			return false
		}
	}
	a.Exclude, a.Eligible, a.ExcludeAuthID, a.ExcludeAuthRole, a.EligibleAuthID, a.EligibleAuthRole = nil, nil, nil, nil, nil, nil
	b.Exclude, b.Eligible, b.ExcludeAuthID, b.ExcludeAuthRole, b.EligibleAuthID, b.EligibleAuthRole = nil, nil, nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

// reencode turns a JSON message into serializer s through the generic
// values (binary "\u0000" strings become byte strings).
func reencode(t testing.TB, s Serializer, jsonMsg string) []byte {
	t.Helper()
	v, err := DecodeValue(JSON, []byte(jsonMsg))
	if err != nil {
		t.Fatal(err)
	}
	out, err := AppendValue(s, nil, v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
