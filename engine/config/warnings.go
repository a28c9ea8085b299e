package config

import (
	"fmt"
	"slices"
	"time"
)

// Warnings lists what in c is valid but likely a mistake: each line names
// the key and says why. check-config prints them after "ok" and wampd logs
// them at start.
func (c Config) Warnings() []string {
	var out []string
	asksCerts := slices.ContainsFunc(c.Listeners, func(l Listener) bool { return l.TLS.AsksClientCert() })
	for i, l := range c.Listeners {
		if l.TLS != nil && l.TLS.ClientCA != "" && !l.TLS.AsksClientCert() {
			out = append(out, fmt.Sprintf("listeners[%d].tls: client_ca is unused while client_auth is %s", i, orDefault(l.TLS.ClientAuth, ClientAuthNone)))
		}
	}
	for i, r := range c.Realms {
		w := fmt.Sprintf("realms[%d] %q", i, r.Name)
		if !r.hasWayIn() {
			out = append(out, w+": no one can join it: anonymous is off and no other authentication method is configured")
		}
		a := r.Auth
		for _, m := range r.staticMethods() {
			if m.n == 0 && (a.Dynamic == nil || !slices.Contains(a.Dynamic.Methods, m.name)) {
				out = append(out, fmt.Sprintf("%s: auth.%s has no principals", w, m.key))
			}
		}
		if a.TLS != nil && len(a.TLS.Principals) > 0 && !asksCerts {
			out = append(out, w+": auth.tls has principals but no listener asks for client certificates (tls.client_auth optional or required)")
		}
		if d := a.Dynamic; d != nil && c.Limits.HandshakeTimeout > 0 && time.Duration(d.Timeout) >= time.Duration(c.Limits.HandshakeTimeout) {
			out = append(out, fmt.Sprintf("%s: auth.dynamic.timeout %v is not below limits.handshake_timeout %v, which ends the handshake first", w, d.Timeout, c.Limits.HandshakeTimeout))
		}
		if r.Authorizing() {
			out = append(out, r.undefinedRoles(w)...)
		}
	}
	if a := c.Metrics.ConsoleAuth; a != nil && a.AuthID != "" {
		if c.Metrics.Listen == "" {
			out = append(out, "metrics.console_auth: metrics.listen is off, so there is no console")
		}
		if !slices.ContainsFunc(c.Realms, func(r Realm) bool { return r.takesTicketOf(a.AuthID) }) {
			out = append(out, fmt.Sprintf("metrics.console_auth: no realm has a ticket principal %q (auth.ticket.principals) or a dynamic authenticator for ticket: the console cannot log in", a.AuthID))
		}
	}
	return out
}

// takesTicketOf reports whether a ticket login as authid can succeed on r:
// a static ticket principal of that authid, or a dynamic authenticator
// that decides ticket logins.
func (r Realm) takesTicketOf(authid string) bool {
	a := r.Auth
	if a.Dynamic != nil && slices.Contains(a.Dynamic.Methods, "ticket") {
		return true
	}
	return a.Ticket != nil && slices.ContainsFunc(a.Ticket.Principals, func(p TicketPrincipal) bool { return p.AuthID == authid })
}

// hasWayIn reports whether anyone can join r: anonymously, as a static
// principal of any method, or through a dynamic authenticator.
func (r Realm) hasWayIn() bool {
	if _, ok := r.AnonymousRole(); ok || r.Auth.Dynamic != nil {
		return true
	}
	for _, m := range r.staticMethods() {
		if m.n > 0 {
			return true
		}
	}
	return false
}

// method is one configured static method of a realm: its name in HELLO,
// its key under auth and how many principals it has.
type method struct {
	name, key string
	n         int
}

// staticMethods lists r's configured methods with principals, in the order
// of the Auth struct.
func (r Realm) staticMethods() []method {
	a := r.Auth
	var out []method
	if a.Ticket != nil {
		out = append(out, method{MethodTicket, "ticket", len(a.Ticket.Principals)})
	}
	if a.WAMPCRA != nil {
		out = append(out, method{MethodWAMPCRA, "wampcra", len(a.WAMPCRA.Principals)})
	}
	if a.Cryptosign != nil {
		out = append(out, method{MethodCryptosign, "cryptosign", len(a.Cryptosign.Principals)})
	}
	if a.SCRAM != nil {
		out = append(out, method{MethodSCRAM, "scram", len(a.SCRAM.Principals)})
	}
	if a.TLS != nil {
		out = append(out, method{MethodTLS, "tls", len(a.TLS.Principals)})
	}
	return out
}

// undefinedRoles warns of each role given to sessions (anonymous ones and
// principals) that no roles entry defines: under authorization such a
// session may do nothing.
func (r Realm) undefinedRoles(w string) []string {
	defined := map[string]bool{}
	for _, role := range r.Roles {
		defined[role.Name] = true
	}
	var out []string
	warn := func(who, role string) {
		if !defined[role] {
			out = append(out, fmt.Sprintf("%s: %s has role %q, which no roles entry defines: it may do nothing", w, who, role))
		}
	}
	if role, ok := r.AnonymousRole(); ok {
		warn("anonymous", role)
	}
	a := r.Auth
	principal := func(key string, j int, authid string) string {
		return fmt.Sprintf("auth.%s.principals[%d] (authid %q)", key, j, authid)
	}
	if a.Ticket != nil {
		for j, p := range a.Ticket.Principals {
			warn(principal("ticket", j, p.AuthID), p.Role)
		}
	}
	if a.WAMPCRA != nil {
		for j, p := range a.WAMPCRA.Principals {
			warn(principal("wampcra", j, p.AuthID), p.Role)
		}
	}
	if a.Cryptosign != nil {
		for j, p := range a.Cryptosign.Principals {
			warn(principal("cryptosign", j, p.AuthID), p.Role)
		}
	}
	if a.SCRAM != nil {
		for j, p := range a.SCRAM.Principals {
			warn(principal("scram", j, p.AuthID), p.Role)
		}
	}
	if a.TLS != nil {
		for j, p := range a.TLS.Principals {
			warn(principal("tls", j, p.AuthID), p.Role)
		}
	}
	return out
}
