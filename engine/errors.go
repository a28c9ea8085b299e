package engine

import (
	"errors"

	"github.com/wampd/wampd/engine/config"
)

// Sentinel errors of the engine, matched with errors.Is.
var (
	// ErrInvalidConfig is what New returns, wrapped, for an invalid
	// configuration: config's own sentinel (see config.Error).
	ErrInvalidConfig = config.ErrInvalid
	// ErrProtocol is returned to netpoll when a client breaks the session
	// handshake; the connection is closed after the ABORT it was sent.
	ErrProtocol = errors.New("engine: protocol violation")
	// ErrRejected is returned to netpoll when a HELLO was answered with ABORT
	// (unknown realm, no usable auth method, session limit, shutdown).
	ErrRejected = errors.New("engine: session rejected")
	// ErrNotStarted is returned by Shutdown on a router that never started.
	ErrNotStarted = errors.New("engine: router not started")
	// ErrNoRealm is returned by JoinLocal for a realm the router does not serve.
	ErrNoRealm = errors.New("engine: no such realm")
	// ErrShuttingDown is returned by JoinLocal once Shutdown began.
	ErrShuttingDown = errors.New("engine: router is shutting down")
)
