package realm

import (
	"errors"
	"fmt"

	"github.com/wampd/wampd/codec"
)

// Sentinel errors of the realm, matched with errors.Is. The realm reports
// problems to clients as WAMP ERROR/ABORT messages (codec/uris.go); these
// are for the log.
var (
	// ErrEncode wraps a failure to encode a router-built message.
	ErrEncode = errors.New("realm: cannot encode message")
)

// errorArgs encodes the Arguments list [message] of a router-made ERROR in
// ser. Error replies are rare, so the small allocation is fine.
func errorArgs(ser codec.Serializer, message string) ([]byte, codec.Serializer) {
	b, err := codec.AppendValue(ser, nil, []any{message})
	if err != nil {
		return nil, ser // the error still goes out, without its human text
	}
	return b, ser
}

// wrapEncode adds the message type to an encode error.
func wrapEncode(t codec.Type, err error) error {
	return fmt.Errorf("%w %s: %w", ErrEncode, t, err)
}
