package codec

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	json "github.com/goccy/go-json"
)

// Generic values (DecodeValue, AppendValue, Message.Details) are off the hot
// path: HELLO/WELCOME/ABORT details, router-built error payloads, the meta
// API, tests. So JSON goes through goccy/go-json and CBOR through
// fxamacker/cbor/v2, as DESIGN.md says; MessagePack goes through the cursor
// and writer, which sit on tinylib/msgp's Read*Bytes/Append*. The library
// routes are wrapped so that all three serializers agree:
//
//   - Acceptance: DecodeValue first validates the input with the cursor (the
//     grammar, UTF-8, depth and string-key rules of Decode), so it accepts
//     what Decode and Transcode accept (and, unlike Decode's skip of a
//     passed-through payload, refuses invalid UTF-8 in MessagePack and CBOR
//     strings, as a Go string is built from them); the library then builds
//     the values. goccy/go-json is laxer than the JSON grammar on some inputs,
//     and fxamacker/cbor accepts simple values and byte-string keys WAMP
//     does not carry.
//   - Go types out: nil, bool, int64 (uint64 above MaxInt64), float64 (JSON:
//     numbers with a fraction or exponent, or beyond 64-bit integers),
//     string, []byte, []any, map[string]any.
//   - Binary in JSON: the spec's "\u0000"+base64 string, both ways.
//   - JSON floats with an integral value keep a ".0", so they read back as
//     floats; NaN and infinities are refused (JSON has no form for them).
//   - Map keys are written sorted (goccy: by key; fxamacker: bytewise
//     lexical order of the encoded key), so output is deterministic; nil
//     slices and maps are written empty, not null.
//   - Raw values are spliced when the serializers match, transcoded (by the
//     cursor, see Transcode) otherwise.
//
// One known difference: CBOR tags. Decode, Transcode and the MessagePack and
// JSON routes see through a tag (its content is the value, the tag is
// dropped); DecodeValue(CBOR, ...) lets fxamacker/cbor interpret the
// standard ones: date/time tags 0 and 1 become RFC 3339 strings, bignums
// (2, 3) integers when they fit in 64 bits (an error otherwise), other tags
// their content. A router never interprets payloads, so this matters only to
// callers that decode tagged application data themselves.

// cborDec and cborEnc are built once and never changed: fxamacker's modes
// are immutable and safe for concurrent use.
var cborDec, cborEnc = cborModes()

func cborModes() (cbor.DecMode, cbor.UserBufferEncMode) {
	var rejected []func(*cbor.SimpleValueRegistry) error
	for sv := range 256 {
		// WAMP carries false, true, null and undefined (20..23) and no
		// other simple value; 24..31 are not well-formed anyway.
		if sv < 20 || sv > 31 {
			rejected = append(rejected, cbor.WithRejectedSimpleValue(cbor.SimpleValue(sv)))
		}
	}
	simple, err := cbor.NewSimpleValueRegistryFromDefaults(rejected...)
	if err != nil {
		panic(err)
	}
	dec, err := cbor.DecOptions{
		// The cursor has already enforced maxDepth on arrays and maps; tags
		// count as levels here, so leave room for them.
		MaxNestedLevels:       4 * maxDepth,
		MaxArrayElements:      math.MaxInt32, // counts are bounded by the input length
		MaxMapPairs:           math.MaxInt32,
		DupMapKey:             cbor.DupMapKeyQuiet, // last wins, as in JSON
		IndefLength:           cbor.IndefLengthAllowed,
		TagsMd:                cbor.TagsAllowed,
		IntDec:                cbor.IntDecConvertNone, // uint64/int64, normalised below
		BigIntDec:             cbor.BigIntDecodePointer,
		DefaultMapType:        reflect.TypeFor[map[string]any](),
		MapKeyByteString:      cbor.MapKeyByteStringForbidden,
		DefaultByteStringType: reflect.TypeFor[[]byte](),
		UTF8:                  cbor.UTF8RejectInvalid,
		UnrecognizedTagToAny:  cbor.UnrecognizedTagContentToAny,
		TimeTagToAny:          cbor.TimeTagToRFC3339Nano,
		SimpleValues:          simple,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	enc, err := cbor.EncOptions{
		Sort:          cbor.SortBytewiseLexical,
		ShortestFloat: cbor.ShortestFloat16, // shortest form that keeps the value
		NaNConvert:    cbor.NaNConvert7e00,
		InfConvert:    cbor.InfConvertFloat16,
		NilContainers: cbor.NilContainerAsEmpty,
		IndefLength:   cbor.IndefLengthForbidden,
		TagsMd:        cbor.TagsAllowed, // RawMessage may carry tags received
	}.UserBufferEncMode()
	if err != nil {
		panic(err)
	}
	return dec, enc
}

// DecodeValue decodes one value encoded with s into generic Go values:
// nil, bool, int64 (uint64 above MaxInt64), float64, string, []byte, []any
// and map[string]any. JSON strings of the form "\u0000"+base64 decode to
// []byte, as the spec says. It allocates; it is for control messages
// (HELLO details, meta API) and tests, not the hot path.
func DecodeValue(s Serializer, data []byte) (any, error) {
	if !s.valid() {
		return nil, ErrSerializer
	}
	c := cursor{s: s, b: data}
	if _, err := c.skip(0); err != nil {
		return nil, fmt.Errorf("decode %s value: %w", s, err)
	}
	if err := c.end(); err != nil {
		return nil, fmt.Errorf("decode %s value: %w", s, err)
	}
	v, err := buildValue(s, data)
	if err != nil {
		return nil, fmt.Errorf("decode %s value: %w", s, err)
	}
	return v, nil
}

// buildValue decodes data, already validated by the cursor, into generic
// values.
func buildValue(s Serializer, data []byte) (any, error) {
	switch s {
	case JSON:
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber() // keep integers exact and apart from floats
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
		}
		return normalizeJSON(v, 0)
	case CBOR:
		var v any
		if err := cborDec.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadValue, err)
		}
		return normalizeCBOR(v, 0)
	}
	c := cursor{s: s, b: data}
	return decodeValue(&c, 0)
}

// decodeDetails decodes a validated dict into Message.Details.
func decodeDetails(s Serializer, dict []byte) (map[string]any, error) {
	v, err := buildValue(s, dict)
	if err != nil {
		return nil, err
	}
	d, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: details are %T", ErrBadField, v)
	}
	return d, nil
}

// normalize walks a value a library decoded, in place, recursing into lists
// and dicts (bounded by maxDepth) and giving every other value to leaf,
// which returns it retyped the way the cursor types it.
func normalize(v any, depth int, leaf func(any) (any, error)) (any, error) {
	if depth > maxDepth {
		return nil, ErrTooDeep
	}
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			n, err := normalize(e, depth+1, leaf)
			if err != nil {
				return nil, err
			}
			v[i] = n
		}
		return v, nil
	case map[string]any:
		for k, e := range v {
			n, err := normalize(e, depth+1, leaf)
			if err != nil {
				return nil, err
			}
			v[k] = n
		}
		return v, nil
	}
	return leaf(v)
}

// normalizeJSON turns goccy's json.Number into int64, uint64 or float64 and
// "\u0000"+base64 strings into []byte, in place.
func normalizeJSON(v any, depth int) (any, error) { return normalize(v, depth, jsonLeaf) }

func jsonLeaf(v any) (any, error) {
	switch v := v.(type) {
	case json.Number:
		return jsonNumberValue(string(v))
	case string:
		if bin, ok := jsonBinary([]byte(v)); ok {
			return bin, nil
		}
		return v, nil
	case nil, bool:
		return v, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupported, v)
}

// jsonNumberValue types a JSON number the way the cursor does: an integer
// literal is int64, or uint64 above MaxInt64; anything else (fraction,
// exponent, beyond 64 bits) is float64.
func jsonNumberValue(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return v, nil
		}
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			return v, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return nil, ErrSyntax
	}
	return f, nil
}

// normalizeCBOR turns fxamacker's uint64 into int64 where it fits and
// bignums into int64/uint64, in place.
func normalizeCBOR(v any, depth int) (any, error) { return normalize(v, depth, cborLeaf) }

func cborLeaf(v any) (any, error) {
	switch v := v.(type) {
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), nil
		}
		return v, nil
	case *big.Int:
		switch {
		case v.IsInt64():
			return v.Int64(), nil
		case v.IsUint64():
			return v.Uint64(), nil
		}
		return nil, fmt.Errorf("%w: integer %s beyond 64 bits", ErrBadValue, v)
	case nil, bool, int64, float64, string, []byte:
		return v, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupported, v)
}

// Raw is a value already encoded with Ser. AppendValue splices it when the
// serializers match and transcodes it otherwise, so a router can put a
// received payload inside a value it builds (meta events, say).
type Raw struct {
	Ser Serializer
	B   []byte
}

// AppendValue encodes the generic value v with s and appends it to dst.
// It knows nil, bool, the integer and float types, string, []byte, Raw,
// []any, []string, []uint64, []int64, map[string]any and map[string]string;
// map keys are written sorted so the output is deterministic. Strings must
// be valid UTF-8. On error dst is returned unchanged (as to its length).
func AppendValue(s Serializer, dst []byte, v any) ([]byte, error) {
	if !s.valid() {
		return dst, ErrSerializer
	}
	out, err := appendGeneric(s, dst, v, 0)
	if err != nil {
		return dst, fmt.Errorf("encode %s value: %w", s, err)
	}
	return out, nil
}

// appendGeneric is AppendValue at a given nesting depth (Details sit at
// depth 1 inside a message).
func appendGeneric(s Serializer, dst []byte, v any, depth int) ([]byte, error) {
	switch s {
	case JSON:
		p, err := prepareValue(JSON, v, depth)
		if err != nil {
			return dst, err
		}
		b, err := json.MarshalWithOption(p, json.DisableHTMLEscape())
		if err != nil {
			return dst, fmt.Errorf("%w: %w", ErrUnsupported, err)
		}
		return append(dst, b...), nil
	case CBOR:
		p, err := prepareValue(CBOR, v, depth)
		if err != nil {
			return dst, err
		}
		buf := bytes.NewBuffer(dst) // appends in place when dst has room
		if err := cborEnc.MarshalToBuffer(p, buf); err != nil {
			return dst, fmt.Errorf("%w: %w", ErrUnsupported, err)
		}
		return buf.Bytes(), nil
	}
	w := writer{s: s, b: dst}
	if err := appendValue(&w, v, depth); err != nil {
		return dst, err
	}
	return w.b, nil
}

// prepareValue checks v (types, depth, UTF-8) and rewrites what the library
// for s would encode differently from the codec's rules: []byte and
// integral floats for JSON, Raw for both, nil containers for JSON.
func prepareValue(s Serializer, v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, ErrTooDeep
	}
	switch v := v.(type) {
	case nil, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v, nil
	case float32:
		return prepareFloat(s, float64(v))
	case float64:
		return prepareFloat(s, v)
	case string:
		if !utf8.ValidString(v) {
			return nil, ErrInvalidUTF8
		}
		return v, nil
	case []byte:
		if s == JSON {
			// goccy writes the NUL as \u0000.
			return "\x00" + base64.StdEncoding.EncodeToString(v), nil
		}
		return v, nil
	case Raw:
		if !v.Ser.valid() {
			return nil, ErrSerializer
		}
		raw := v.B
		if v.Ser != s {
			var err error
			if raw, err = Transcode(v.Ser, s, nil, v.B); err != nil {
				return nil, err
			}
		}
		if s == JSON {
			return json.RawMessage(raw), nil
		}
		return cbor.RawMessage(raw), nil
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			p, err := prepareValue(s, e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case []string:
		for _, e := range v {
			if !utf8.ValidString(e) {
				return nil, ErrInvalidUTF8
			}
		}
		return nonNil(v), nil
	case []uint64:
		return nonNil(v), nil
	case []int64:
		return nonNil(v), nil
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if !utf8.ValidString(k) {
				return nil, ErrInvalidUTF8
			}
			p, err := prepareValue(s, e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = p
		}
		return out, nil
	case map[string]string:
		for k, e := range v {
			if !utf8.ValidString(k) || !utf8.ValidString(e) {
				return nil, ErrInvalidUTF8
			}
		}
		if v == nil {
			return map[string]string{}, nil
		}
		return v, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnsupported, v)
}

// prepareFloat keeps a JSON float a float (2.0, not 2) and refuses what JSON
// cannot write.
func prepareFloat(s Serializer, f float64) (any, error) {
	if s != JSON {
		return f, nil
	}
	b, err := appendJSONFloat(nil, f)
	if err != nil {
		return nil, err
	}
	return json.Number(b), nil
}

// nonNil returns an empty slice for nil, so JSON writes [] and not null.
func nonNil[E any](v []E) []E {
	if v == nil {
		return []E{}
	}
	return v
}

// decodeValue is the MessagePack route of DecodeValue (and the cursor's
// generic decoder): tinylib/msgp's ReadIntfBytes would return float32,
// msgp.Extension and non-string keys, which WAMP values never hold.
func decodeValue(c *cursor, depth int) (any, error) {
	if depth > maxDepth {
		return nil, ErrTooDeep
	}
	k, err := c.peek()
	if err != nil {
		return nil, err
	}
	switch k {
	case kNil:
		return nil, c.readNil()
	case kBool:
		return c.readBool()
	case kUint:
		v, err := c.readUint()
		if v > math.MaxInt64 {
			return v, err
		}
		return int64(v), err
	case kInt:
		return c.readInt()
	case kFloat:
		return c.readFloat()
	case kString:
		v, err := c.readStr()
		if err != nil {
			return nil, err
		}
		if c.s == JSON {
			if bin, ok := jsonBinary(v); ok {
				return bin, nil
			}
		}
		return string(v), nil
	case kBinary:
		v, err := c.readBin()
		return slices.Clone(v), err
	case kArray:
		it, err := c.arrayBegin()
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, max(it.n, 0))
		for {
			ok, err := c.more(&it)
			if err != nil {
				return nil, err
			}
			if !ok {
				return out, nil
			}
			v, err := decodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	case kMap:
		out := map[string]any{}
		err := c.eachEntry(func(key []byte) error {
			v, err := decodeValue(c, depth+1)
			out[string(key)] = v
			return err
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, ErrUnsupported
}

// appendValue is the MessagePack route of AppendValue, on the writer over
// tinylib/msgp's Append* functions (msgp.AppendIntf would write map keys in
// random order).
func appendValue(w *writer, v any, depth int) error {
	if depth > maxDepth {
		return ErrTooDeep
	}
	switch v := v.(type) {
	case nil:
		w.null()
	case bool:
		w.bool(v)
	case int:
		w.int(int64(v))
	case int8:
		w.int(int64(v))
	case int16:
		w.int(int64(v))
	case int32:
		w.int(int64(v))
	case int64:
		w.int(v)
	case uint:
		w.uint(uint64(v))
	case uint8:
		w.uint(uint64(v))
	case uint16:
		w.uint(uint64(v))
	case uint32:
		w.uint(uint64(v))
	case uint64:
		w.uint(v)
	case float32:
		return w.float(float64(v))
	case float64:
		return w.float(v)
	case string:
		if !utf8.ValidString(v) {
			return ErrInvalidUTF8
		}
		return w.str(v)
	case []byte:
		w.bin(v)
	case Raw:
		return appendRaw(w, v.Ser, v.B)
	case []any:
		w.arrayStart(len(v))
		for i, e := range v {
			w.elem(i)
			if err := appendValue(w, e, depth+1); err != nil {
				return err
			}
		}
		w.arrayEnd()
	case []string:
		w.arrayStart(len(v))
		for i, e := range v {
			w.elem(i)
			if !utf8.ValidString(e) {
				return ErrInvalidUTF8
			}
			if err := w.str(e); err != nil {
				return err
			}
		}
		w.arrayEnd()
	case []uint64:
		w.arrayStart(len(v))
		for i, e := range v {
			w.elem(i)
			w.uint(e)
		}
		w.arrayEnd()
	case []int64:
		w.arrayStart(len(v))
		for i, e := range v {
			w.elem(i)
			w.int(e)
		}
		w.arrayEnd()
	case map[string]any:
		keys := sortedKeys(v)
		w.mapStart(len(keys))
		for i, k := range keys {
			if !utf8.ValidString(k) {
				return ErrInvalidUTF8
			}
			if err := w.key(i, k); err != nil {
				return err
			}
			if err := appendValue(w, v[k], depth+1); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		w.mapEnd()
	case map[string]string:
		keys := sortedKeys(v)
		w.mapStart(len(keys))
		for i, k := range keys {
			if !utf8.ValidString(k) || !utf8.ValidString(v[k]) {
				return ErrInvalidUTF8
			}
			if err := w.key(i, k); err != nil {
				return err
			}
			if err := w.str(v[k]); err != nil {
				return err
			}
		}
		w.mapEnd()
	default:
		return fmt.Errorf("%w: %T", ErrUnsupported, v)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
