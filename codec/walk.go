package codec

import "fmt"

// maxWalkDepth is how deep WalkDict enters nested maps; deeper ones are
// still passed to fn, whole.
const maxWalkDepth = 8

// WalkDict visits the entries of the encoded map dict (in serializer s,
// such as Message.Dict after DecodeLean) depth first, without building Go
// values: fn gets the keys from the top down to the entry (path, valid only
// during the call; its strings alias dict) and the entry's encoded value,
// to read with DecodeValue. When fn returns true and the value is a map,
// its entries are visited next. Keys must be strings.
func WalkDict(s Serializer, dict []byte, fn func(path []string, raw []byte) (enter bool)) error {
	if !s.valid() {
		return ErrSerializer
	}
	var stack [maxWalkDepth]string
	c := cursor{s: s, b: dict}
	if err := walkMap(&c, stack[:0], fn); err != nil {
		return fmt.Errorf("walk %s dict: %w", s, err)
	}
	if err := c.end(); err != nil {
		return fmt.Errorf("walk %s dict: %w", s, err)
	}
	return nil
}

func walkMap(c *cursor, path []string, fn func([]string, []byte) bool) error {
	return c.eachEntry(func(k []byte) error {
		raw, err := c.skip(len(path) + 1)
		if err != nil {
			return err
		}
		p := append(path, str(k)) // within stack's capacity: no allocation
		if !fn(p, raw) || len(p) == maxWalkDepth {
			return nil
		}
		sub := cursor{s: c.s, b: raw}
		if k, err := sub.peek(); err != nil || k != kMap {
			return nil
		}
		return walkMap(&sub, p, fn)
	})
}

// DecodeBool reads raw, one encoded value, as a bool: ok is false when it
// is anything else. It is the cheap read of a feature flag that WalkDict
// found (DecodeValue goes through the serializer's library).
func DecodeBool(s Serializer, raw []byte) (v, ok bool) {
	if !s.valid() {
		return false, false
	}
	c := cursor{s: s, b: raw}
	if k, err := c.peek(); err != nil || k != kBool {
		return false, false
	}
	v, err := c.readBool()
	if err != nil || c.end() != nil {
		return false, false
	}
	return v, true
}

// IsNil reports whether raw starts with the encoded nil (JSON null).
func IsNil(s Serializer, raw []byte) bool {
	if !s.valid() {
		return false
	}
	c := cursor{s: s, b: raw}
	k, err := c.peek()
	return err == nil && k == kNil
}
