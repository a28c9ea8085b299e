package engine

import "errors"

// Sentinel errors of the engine, matched with errors.Is.
var (
	// ErrInvalidConfig wraps every configuration problem (see ConfigError).
	ErrInvalidConfig = errors.New("engine: invalid configuration")
	// ErrProtocol is returned to netpoll when a client breaks the session
	// handshake; the connection is closed after the ABORT it was sent.
	ErrProtocol = errors.New("engine: protocol violation")
	// ErrRejected is returned to netpoll when a HELLO was answered with ABORT
	// (unknown realm, no usable auth method, session limit, shutdown).
	ErrRejected = errors.New("engine: session rejected")
	// ErrNotStarted is returned by Shutdown on a router that never started.
	ErrNotStarted = errors.New("engine: router not started")
)
