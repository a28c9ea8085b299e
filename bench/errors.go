package bench

import "errors"

// Sentinel errors of the load generator, matched with errors.Is.
var (
	ErrBadURL          = errors.New("bench: unsupported target URL")
	ErrHandshake       = errors.New("bench: transport handshake failed")
	ErrFrame           = errors.New("bench: malformed transport frame")
	ErrTooLarge        = errors.New("bench: message larger than the negotiated maximum")
	ErrAborted         = errors.New("bench: session aborted by the router")
	ErrClosed          = errors.New("bench: connection closed")
	ErrTimeout         = errors.New("bench: timed out")
	ErrUnknownScenario = errors.New("bench: unknown scenario")
	ErrConfig          = errors.New("bench: invalid configuration")
	ErrPayload         = errors.New("bench: malformed benchmark payload")
	ErrSetup           = errors.New("bench: scenario setup failed")
)
