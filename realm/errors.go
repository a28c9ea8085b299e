package realm

import (
	"errors"
	"fmt"

	"github.com/goccy/go-json"

	"github.com/wampd/wampd/codec"
)

// Sentinel errors of the realm, matched with errors.Is. The realm reports
// problems to clients as WAMP ERROR/ABORT messages (codec/uris.go); these
// are for the log.
var (
	// ErrEncode wraps a failure to encode a router-built message.
	ErrEncode = errors.New("realm: cannot encode message")
)

// errorArgs encodes the Arguments list [message] of a router-made ERROR and
// returns it with the serializer it is in. Error replies are rare, so the
// small allocation is fine.
// TODO(realm): use codec.AppendValue(ser, ...) once the codec exports it;
// until then the list is JSON and codec.Append transcodes it.
func errorArgs(_ codec.Serializer, message string) ([]byte, codec.Serializer) {
	b, err := json.Marshal([]string{message})
	if err != nil {
		return nil, codec.JSON // the error still goes out, without its text
	}
	return b, codec.JSON
}

// wrapEncode adds the message type to an encode error.
func wrapEncode(t codec.Type, err error) error {
	return fmt.Errorf("%w %s: %w", ErrEncode, t, err)
}
