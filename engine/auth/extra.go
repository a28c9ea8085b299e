package auth

import (
	"crypto/rand"
	"encoding/base64"
	"math"
)

// Readers of decoded dicts (HELLO authextra, AUTHENTICATE extra, a Dynamic
// upstream's answer). A key that is absent and a key whose value is null
// read the same.

// str returns m[key] when it is a string; present is false when the key is
// absent or null, ok is false when it is there but not a string.
func str(m map[string]any, key string) (s string, present, ok bool) {
	v, found := m[key]
	if !found || v == nil {
		return "", false, true
	}
	s, ok = v.(string)
	return s, true, ok
}

// integer returns m[key] as an int when it is an integral number of any Go
// numeric type (JSON decoders give float64, MessagePack and CBOR the sized
// integer types) within [0, MaxInt32].
func integer(m map[string]any, key string) (n int, present, ok bool) {
	v, found := m[key]
	if !found || v == nil {
		return 0, false, true
	}
	var f float64
	switch x := v.(type) {
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case float32:
		f = float64(x)
	case float64:
		f = x
	default:
		return 0, true, false
	}
	if f < 0 || f > math.MaxInt32 || f != math.Trunc(f) {
		return 0, true, false
	}
	return int(f), true, true
}

// strList returns m[key] as a list of strings ([]string or []any of
// strings).
func strList(m map[string]any, key string) (l []string, present, ok bool) {
	v, found := m[key]
	if !found || v == nil {
		return nil, false, true
	}
	switch x := v.(type) {
	case []string:
		return x, true, true
	case []any:
		l = make([]string, 0, len(x))
		for _, e := range x {
			s, isStr := e.(string)
			if !isStr {
				return nil, true, false
			}
			l = append(l, s)
		}
		return l, true, true
	}
	return nil, true, false
}

// dict returns m[key] when it is a dict.
func dict(m map[string]any, key string) (d map[string]any, present, ok bool) {
	v, found := m[key]
	if !found || v == nil {
		return nil, false, true
	}
	d, ok = v.(map[string]any)
	return d, true, ok
}

// randomBytes returns n bytes from crypto/rand (which never fails on the
// platforms Go supports).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// decodeBase64 decodes standard base64, padded or not (clients differ).
func decodeBase64(s string) ([]byte, error) {
	if len(s)%4 == 0 {
		return base64.StdEncoding.Strict().DecodeString(s)
	}
	return base64.RawStdEncoding.Strict().DecodeString(s)
}
