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
	ea, eb := a.Ext, b.Ext
	a.Ext, b.Ext = nil, nil
	if !reflect.DeepEqual(a, b) {
		return false
	}
	if a.Has&(hasExt|HasLists) == 0 {
		return true
	}
	if ea == nil || eb == nil {
		return false
	}
	if ea.PublisherAuthID != eb.PublisherAuthID || ea.PublisherAuthRole != eb.PublisherAuthRole ||
		ea.CallerAuthID != eb.CallerAuthID || ea.CallerAuthRole != eb.CallerAuthRole ||
		ea.PPTScheme != eb.PPTScheme || ea.PPTSerializer != eb.PPTSerializer ||
		ea.PPTCipher != eb.PPTCipher || ea.PPTKeyID != eb.PPTKeyID {
		return false
	}
	if a.Has&HasLists == 0 {
		return true
	}
	la := [...][]byte{ea.Exclude, ea.Eligible, ea.ExcludeAuthID, ea.ExcludeAuthRole, ea.EligibleAuthID, ea.EligibleAuthRole}
	lb := [...][]byte{eb.Exclude, eb.Eligible, eb.ExcludeAuthID, eb.ExcludeAuthRole, eb.EligibleAuthID, eb.EligibleAuthRole}
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
	return true
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
