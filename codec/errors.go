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

	// ErrSyntax reports malformed encoding (bad JSON token, reserved CBOR
	// or MessagePack byte, ...).
	ErrSyntax = errors.New("codec: malformed encoding")
	// ErrBadValue reports an option whose type is right but whose value is
	// not allowed (an unknown match policy, an id above 2^53, ...).
	ErrBadValue = errors.New("codec: field has an invalid value")
	// ErrUnsupported reports a value the codec cannot carry: a MessagePack
	// extension, a CBOR simple value, NaN in JSON, a Go type AppendValue
	// does not know.
	ErrUnsupported = errors.New("codec: unsupported value")
)
