package bridge

import (
	"errors"
	"net/http"

	"github.com/wampd/wampd/codec"
)

// Sentinel errors of the bridge, matched with errors.Is.
var (
	// ErrConfig wraps a bridge configuration the engine cannot serve (a
	// token hash that does not parse).
	ErrConfig = errors.New("bridge: invalid configuration")
	// ErrClosed is a request cut short because its session ended (a kill)
	// or the bridge is stopping.
	ErrClosed = errors.New("bridge: session closed")
)

// Error URIs of the bridge's own answers, those no WAMP peer gave: a path
// the bridge does not serve and a method it does not take. The others are
// the spec's (codec's constants).
const (
	ErrNotFound         codec.URI = "wampd.bridge.not_found"
	ErrMethodNotAllowed codec.URI = "wampd.bridge.method_not_allowed"
)

// statusOf is the HTTP status of a WAMP error answered to a request.
func statusOf(uri string) int {
	switch codec.URI(uri) {
	case codec.ErrNoSuchProcedure:
		return http.StatusNotFound
	case codec.ErrNotAuthorized, codec.ErrAuthorizationFailed:
		return http.StatusForbidden
	case codec.ErrTimeout, codec.ErrCanceled: // the bridge cancels only on its timeout
		return http.StatusGatewayTimeout
	case codec.ErrInvalidArgument, codec.ErrInvalidURI, codec.ErrOptionNotAllowed, codec.ErrProtocolViolation:
		return http.StatusBadRequest
	case codec.ErrPayloadSizeExceeded:
		return http.StatusRequestEntityTooLarge
	case codec.ErrLimitExceeded:
		return http.StatusTooManyRequests
	case codec.ErrSystemShutdown:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway // an application's error, or a callee gone
}
