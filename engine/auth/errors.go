package auth

import (
	"errors"

	"github.com/wampd/wampd/codec"
)

// Refusals, matched with errors.Is. Each maps to one ABORT reason (URI).
var (
	// ErrAuthenticationFailed: the client did not prove the identity it
	// claimed (wrong or malformed secret, signature or proof, unknown
	// principal, expired or mismatched channel binding).
	ErrAuthenticationFailed = errors.New("auth: authentication failed")
	// ErrNotAuthorized: the identity is known, but may not join (a Dynamic
	// upstream said so, or the principal has no role on the realm).
	ErrNotAuthorized = errors.New("auth: not authorized")
	// ErrNoAuthMethod: none of the client's authmethods is offered by the
	// realm, or none of them applies to this HELLO.
	ErrNoAuthMethod = errors.New("auth: no acceptable authentication method")
)

// Configuration and format errors, for constructors, HashTicket and the
// credential parsers (never sent to a client).
var (
	// ErrConfig wraps every invalid authenticator configuration.
	ErrConfig = errors.New("auth: invalid configuration")
	// ErrHashFormat: a ticket hash or SCRAM credential string is malformed
	// or has parameters out of range.
	ErrHashFormat = errors.New("auth: malformed hash string")
)

// refusal is a refusal with the reason the router logs. reason is a fixed
// phrase: never a secret, a signature or a client-supplied value.
type refusal struct {
	kind   error
	reason string
}

func (r *refusal) Error() string { return r.kind.Error() + ": " + r.reason }
func (r *refusal) Unwrap() error { return r.kind }

// deny returns a refusal of kind (one of the three sentinels) for reason.
func deny(kind error, reason string) error { return &refusal{kind: kind, reason: reason} }

// failed is the common refusal: deny(ErrAuthenticationFailed, reason).
func failed(reason string) error { return deny(ErrAuthenticationFailed, reason) }

// URI is the ABORT reason for a refusal: wamp.error.not_authorized,
// wamp.error.no_auth_method, or wamp.error.authentication_failed for every
// other error (an unexpected one must not let a client in or say more).
func URI(err error) codec.URI {
	switch {
	case errors.Is(err, ErrNotAuthorized):
		return codec.ErrNotAuthorized
	case errors.Is(err, ErrNoAuthMethod):
		return codec.ErrNoAuthMethod
	default:
		return codec.ErrAuthenticationFailed
	}
}

// ClientMessage is the one text a client is told with the ABORT for err: a
// fixed sentence per URI, with no hint of which part was wrong.
func ClientMessage(err error) string {
	switch URI(err) {
	case codec.ErrNotAuthorized:
		return "not authorized"
	case codec.ErrNoAuthMethod:
		return "no acceptable authentication method"
	default:
		return "authentication failed"
	}
}

// FromURI turns the error URI a Dynamic upstream answered with into the
// matching refusal, for Upstream implementations: wamp.error.not_authorized
// and wamp.error.no_auth_method keep their meaning, anything else is an
// authentication failure.
func FromURI(uri string) error {
	switch uri {
	case codec.ErrNotAuthorized:
		return deny(ErrNotAuthorized, "denied by the dynamic authenticator")
	case codec.ErrNoAuthMethod:
		return deny(ErrNoAuthMethod, "refused by the dynamic authenticator")
	default:
		return failed("refused by the dynamic authenticator")
	}
}
