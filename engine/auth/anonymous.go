package auth

import (
	"context"
)

// DefaultAnonymousRole is the authrole of anonymous sessions when none is
// configured.
const DefaultAnonymousRole = "anonymous"

// Anonymous is the anonymous method: every HELLO that asks for it (or asks
// for nothing) is welcomed at once under a random authid and one authrole.
// A realm that refuses anonymous sessions simply does not offer it.
type Anonymous struct {
	role string
}

// NewAnonymous returns the anonymous method with authrole role
// (DefaultAnonymousRole when "").
func NewAnonymous(role string) *Anonymous {
	if role == "" {
		role = DefaultAnonymousRole
	}
	return &Anonymous{role: role}
}

// Method returns MethodAnonymous.
func (a *Anonymous) Method() string { return MethodAnonymous }

// Accepts every HELLO.
func (a *Anonymous) Accepts(*Hello) bool { return true }

// Start welcomes h under h.AnonymousAuthID (a random one when empty); the
// authid the client asked for is not granted, as nothing proves it.
func (a *Anonymous) Start(_ context.Context, h *Hello) (*Identity, *Challenge, State, error) {
	authid := h.AnonymousAuthID
	if authid == "" {
		authid = randomAuthID()
	}
	return &Identity{AuthID: authid, AuthRole: a.role, AuthMethod: MethodAnonymous, AuthProvider: ProviderStatic}, nil, nil, nil
}

// Finish is never reached: anonymous sends no challenge.
func (a *Anonymous) Finish(context.Context, State, string, map[string]any) (Identity, error) {
	return Identity{}, failed("anonymous sends no challenge")
}

// authIDAlphabet spells random authids (as the engine's own).
const authIDAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAuthID returns 24 random characters of authIDAlphabet.
func randomAuthID() string {
	raw := randomBytes(24)
	for i, b := range raw {
		raw[i] = authIDAlphabet[int(b)%len(authIDAlphabet)]
	}
	return string(raw)
}
