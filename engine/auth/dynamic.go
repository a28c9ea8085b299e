package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Upstream authenticates on behalf of a realm: the engine implements it by
// calling the WAMP procedure the realm names (registered by a trusted
// session), with the arguments Crossbar.io passes: (realm, authid, details).
//
// details carries authmethod, authid, authextra (the HELLO's), session, the
// transport ({"peer": address, "channel_type": "tls"|"tcp"}) and, for
// ticket, the ticket itself. The answer is the procedure's result as a dict
// (a bare string result is the role: the implementation turns it into
// {"role": s}); an error result should come back through FromURI so that
// wamp.error.not_authorized keeps its meaning. Authenticate must return when
// ctx is done.
type Upstream interface {
	Authenticate(ctx context.Context, realm, authid string, details map[string]any) (map[string]any, error)
}

// DefaultDynamicTimeout bounds an upstream call when none is configured.
const DefaultDynamicTimeout = 5 * time.Second

// Dynamic is one authmethod whose principals an Upstream knows, as
// Crossbar.io's dynamic authenticators:
//   - ticket: the upstream gets the ticket at AUTHENTICATE and answers the
//     role (it checks the ticket itself);
//   - wampcra: at HELLO it answers secret and role (and salt, iterations,
//     keylen for a salted secret, whose "secret" is then the derived key,
//     DeriveCRAKey's output, as in Crossbar.io); the router checks the
//     signature;
//   - cryptosign: at HELLO it answers the principal's public keys ("pubkey"
//     a hex string, or "pubkeys" a list) and role; the router checks the
//     HELLO's pubkey is one of them and verifies the signature.
//
// Every answer may also carry "authid" (the identity granted, instead of
// the HELLO's) and "extra" (a dict for WELCOME authextra); "role" may be
// spelled "authrole". The authprovider is "dynamic".
type Dynamic struct {
	method  string
	up      Upstream
	timeout time.Duration
	now     func() time.Time
}

// NewDynamic returns the dynamic authenticator for method (MethodTicket,
// MethodWAMPCRA or MethodCryptosign) asking up, each call bounded by timeout
// (DefaultDynamicTimeout when 0).
func NewDynamic(method string, up Upstream, timeout time.Duration) (*Dynamic, error) {
	switch method {
	case MethodTicket, MethodWAMPCRA, MethodCryptosign:
	default:
		return nil, fmt.Errorf("%w: no dynamic authenticator for %q (ticket, wampcra, cryptosign)", ErrConfig, method)
	}
	if up == nil {
		return nil, fmt.Errorf("%w: dynamic %s authenticator without upstream", ErrConfig, method)
	}
	if timeout <= 0 {
		timeout = DefaultDynamicTimeout
	}
	return &Dynamic{method: method, up: up, timeout: timeout, now: time.Now}, nil
}

// dynTicketState is the HELLO a dynamic ticket will be checked for.
type dynTicketState struct{ h Hello }

func (*dynTicketState) authMethod() string { return MethodTicket }

// Method is the authmethod d stands for.
func (d *Dynamic) Method() string { return d.method }

// Accepts what the static method of the same name accepts.
func (d *Dynamic) Accepts(h *Hello) bool {
	switch d.method {
	case MethodCryptosign:
		return hasPubKey(h)
	default:
		return h.AuthID != ""
	}
}

// Start asks the upstream at once for wampcra and cryptosign (their
// challenge needs the secret or keys); ticket challenges first and asks at
// Finish, when it has the ticket.
func (d *Dynamic) Start(ctx context.Context, h *Hello) (*Identity, *Challenge, State, error) {
	if !d.Accepts(h) {
		return nil, nil, nil, failed("dynamic: HELLO lacks what the method needs")
	}
	switch d.method {
	case MethodTicket:
		hc := *h
		return nil, &Challenge{Method: MethodTicket, Extra: map[string]any{}}, &dynTicketState{h: hc}, nil
	case MethodWAMPCRA:
		ans, id, err := d.ask(ctx, h, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		p, err := dynCRAPrincipal(ans)
		if err != nil {
			return nil, nil, nil, err
		}
		p.role = id.AuthRole
		ch, st := craChallenge(h, id, p, d.now())
		st.known = true
		return nil, ch, st, nil
	default: // MethodCryptosign
		s, _, _ := str(h.AuthExtra, "pubkey")
		key, _ := parsePubKey(s)
		ans, id, err := d.ask(ctx, h, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		keys, err := dynPubKeys(ans)
		if err != nil {
			return nil, nil, nil, err
		}
		_, known := keys[key]
		return csChallenge(h, key, id, known, nil)
	}
}

// Finish asks the upstream with the ticket (ticket), or checks the
// signature against what Start was told (wampcra, cryptosign).
func (d *Dynamic) Finish(ctx context.Context, pending State, signature string, _ map[string]any) (Identity, error) {
	switch st := pending.(type) {
	case *dynTicketState:
		if d.method != MethodTicket {
			break
		}
		_, id, err := d.ask(ctx, &st.h, map[string]any{"ticket": signature})
		return id, err
	case *craState:
		if d.method == MethodWAMPCRA {
			return craFinish(st, signature)
		}
	case *csState:
		if d.method == MethodCryptosign {
			return csFinish(st, signature)
		}
	}
	return Identity{}, failed("state of another method")
}

// ask calls the upstream for h with the details Crossbar.io passes (plus
// add) and reads the identity of its answer.
func (d *Dynamic) ask(ctx context.Context, h *Hello, add map[string]any) (map[string]any, Identity, error) {
	channel := "tcp"
	if h.TLS != nil {
		channel = "tls"
	}
	details := map[string]any{
		"authmethod": d.method,
		"authid":     h.AuthID,
		"authextra":  h.AuthExtra,
		"session":    h.Session,
		"transport":  map[string]any{"peer": h.RemoteAddr, "channel_type": channel},
	}
	for k, v := range add {
		details[k] = v
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	ans, err := d.up.Authenticate(ctx, h.Realm, h.AuthID, details)
	switch {
	case err == nil:
	case errors.Is(err, ErrNotAuthorized) || errors.Is(err, ErrNoAuthMethod) || errors.Is(err, ErrAuthenticationFailed):
		return nil, Identity{}, err
	case errors.Is(err, context.DeadlineExceeded):
		return nil, Identity{}, failed("dynamic authenticator timed out")
	default:
		return nil, Identity{}, failed("dynamic authenticator failed")
	}
	id := Identity{AuthID: h.AuthID, AuthMethod: d.method, AuthProvider: ProviderDynamic}
	var ok bool
	role, present, _ := str(ans, "role")
	if !present {
		role, _, _ = str(ans, "authrole")
	}
	if role == "" {
		return nil, Identity{}, deny(ErrNotAuthorized, "dynamic authenticator answered no role")
	}
	id.AuthRole = role
	if a, present, isStr := str(ans, "authid"); present {
		if !isStr || a == "" {
			return nil, Identity{}, failed("dynamic authenticator answered a bad authid")
		}
		id.AuthID = a
	}
	if id.AuthExtra, _, ok = dict(ans, "extra"); !ok {
		return nil, Identity{}, failed("dynamic authenticator answered a bad extra")
	}
	if id.AuthID == "" {
		return nil, Identity{}, failed("dynamic authenticator answered no authid")
	}
	return ans, id, nil
}

// dynCRAPrincipal reads a wampcra answer: secret, and salt, iterations,
// keylen when salted.
func dynCRAPrincipal(ans map[string]any) (craPrincipal, error) {
	secret, _, ok := str(ans, "secret")
	if !ok || secret == "" {
		return craPrincipal{}, failed("dynamic wampcra answer without secret")
	}
	p := craPrincipal{key: []byte(secret)}
	salt, present, ok := str(ans, "salt")
	if !ok {
		return craPrincipal{}, failed("dynamic wampcra answer with a bad salt")
	}
	if present && salt != "" {
		p.salt, p.iterations, p.klen = salt, DefaultCRAIterations, DefaultCRAKeyLen
		if n, present, ok := integer(ans, "iterations"); !ok || (present && n < 1) {
			return craPrincipal{}, failed("dynamic wampcra answer with bad iterations")
		} else if present {
			p.iterations = n
		}
		if n, present, ok := integer(ans, "keylen"); !ok || (present && n < 1) {
			return craPrincipal{}, failed("dynamic wampcra answer with a bad keylen")
		} else if present {
			p.klen = n
		}
	}
	return p, nil
}

// dynPubKeys reads a cryptosign answer's keys: "pubkey" and/or "pubkeys".
func dynPubKeys(ans map[string]any) (map[[32]byte]struct{}, error) {
	var all []string
	if one, present, ok := str(ans, "pubkey"); !ok {
		return nil, failed("dynamic cryptosign answer with a bad pubkey")
	} else if present {
		all = append(all, one)
	}
	l, _, ok := strList(ans, "pubkeys")
	if !ok {
		return nil, failed("dynamic cryptosign answer with bad pubkeys")
	}
	all = append(all, l...)
	keys := make(map[[32]byte]struct{}, len(all))
	for _, s := range all {
		k, ok := parsePubKey(s)
		if !ok {
			return nil, failed("dynamic cryptosign answer with a bad pubkey")
		}
		keys[k] = struct{}{}
	}
	if len(keys) == 0 {
		return nil, failed("dynamic cryptosign answer without pubkey")
	}
	return keys, nil
}
