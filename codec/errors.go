package codec

import "errors"

// Sentinel errors of the codec, matched with errors.Is.
var (
	ErrShort         = errors.New("codec: message too short")
	ErrNotArray      = errors.New("codec: message is not an array")
	ErrUnknownType   = errors.New("codec: unknown message type")
	ErrBadField      = errors.New("codec: field has the wrong type")
	ErrTrailing      = errors.New("codec: trailing bytes after message")
	ErrSerializer    = errors.New("codec: unknown serializer")
	ErrTooDeep       = errors.New("codec: value nested too deeply")
	ErrInvalidUTF8   = errors.New("codec: invalid UTF-8 in string")
	ErrTooManyFields = errors.New("codec: too many fields for message type")
)
