package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Summary is a short human description of c, printed by check-config. It
// counts principals and never prints a secret.
func (c Config) Summary() string {
	var b strings.Builder
	for _, l := range c.Listeners {
		addr := l.Listen
		if l.Unix != "" {
			addr = "unix:" + l.Unix
		}
		fmt.Fprintf(&b, "listener %s: %s", addr, strings.Join(l.Transports, "+"))
		if l.Has(TransportWebSocket) {
			fmt.Fprintf(&b, " (ws path %s)", l.Path())
		}
		if perm := l.permSummary(); perm != "" {
			fmt.Fprintf(&b, " (%s)", perm)
		}
		if t := l.TLS; t != nil {
			fmt.Fprintf(&b, " (tls %s+, cert %s", orDefault(t.MinVersion, TLS12), t.Cert)
			if t.AsksClientCert() {
				fmt.Fprintf(&b, ", client certificates %s", t.ClientAuth)
			}
			b.WriteByte(')')
		}
		if len(l.Origins) > 0 {
			fmt.Fprintf(&b, " (origins %s)", strings.Join(l.Origins, " "))
		}
		b.WriteByte('\n')
	}
	for _, r := range c.Realms {
		_, anon := r.AnonymousRole()
		fmt.Fprintf(&b, "realm %s: anonymous=%t meta_api=%t", r.Name, anon, r.MetaAPIOn())
		for _, h := range r.History {
			fmt.Fprintf(&b, " history=%s(%s, %d per topic)", h.Topic, orDefault(h.Match, "exact"), h.Limit)
		}
		b.WriteByte('\n')
		r.authSummary(&b)
		if br := r.Bridge; br != nil {
			fmt.Fprintf(&b, "  bridge: http://%s%s (%d principals, %d webhooks, %d forward_events, %d forward_calls, max_body=%v call_timeout=%v)\n",
				br.Listen, br.PathPrefix, len(br.Principals), len(br.Webhooks), len(br.ForwardEvents), len(br.ForwardCalls), br.MaxBody, br.CallTimeout)
		}
	}
	fmt.Fprintf(&b, "limits: max_message_size=%v outbound_queue=%v outbound_policy=%s max_sessions=%s handshake_timeout=%v memory_limit=%s\n",
		c.Limits.MaxMessageSize, c.Limits.OutboundQueue, c.Limits.OutboundPolicy, bound(c.Limits.MaxSessions), c.Limits.HandshakeTimeout,
		orDefault(sizeOrZero(c.Limits.MemoryLimit), "runtime default"))
	if f := c.Limits.FlowControl.WithDefaults(); f.Enabled {
		fmt.Fprintf(&b, "flow control: high_water=%v low_water=%v stall=%v\n", f.HighWater, f.LowWater, f.Stall)
	}
	if c.Limits.OutboundDelay > 0 {
		fmt.Fprintf(&b, "outbound_delay: %v\n", c.Limits.OutboundDelay)
	}
	fmt.Fprintf(&b, "session limits: max_sessions_per_realm=%s max_sessions_per_authid=%s max_sessions_per_address=%s\n",
		bound(c.Limits.MaxSessionsPerRealm), bound(c.Limits.MaxSessionsPerAuthID), bound(c.Limits.MaxSessionsPerAddress))
	fmt.Fprintf(&b, "login limits: login_failures_per_address=%s login_failures_per_authid=%s login_failure_window=%v\n",
		bound(c.Limits.LoginFailuresPerAddress), bound(c.Limits.LoginFailuresPerAuthID), c.Limits.LoginFailureWindow)
	fmt.Fprintf(&b, "log: format=%s level=%s\n", c.Log.Format, c.Log.Level)
	if c.Metrics.Listen != "" {
		fmt.Fprintf(&b, "metrics: http://%s/metrics\n", c.Metrics.Listen)
		login := "joins anonymously"
		if a := c.Metrics.ConsoleAuth; a != nil {
			login = fmt.Sprintf("asks for the ticket of %q", a.AuthID)
		}
		fmt.Fprintf(&b, "console: http://%s/console/ (%s)\n", c.Metrics.Listen, login)
	} else {
		b.WriteString("metrics: off\n")
	}
	if c.Debug.Listen != "" {
		fmt.Fprintf(&b, "debug: http://%s/debug/pprof/ http://%s/debug/gc\n", c.Debug.Listen, c.Debug.Listen)
	}
	loops := "auto (GOMAXPROCS-1, at least 1)"
	if c.Tuning.EventLoops > 0 {
		loops = strconv.Itoa(c.Tuning.EventLoops)
	}
	fmt.Fprintf(&b, "tuning: event_loops=%s\n", loops)
	if cl := c.Cluster; cl != nil {
		fmt.Fprintf(&b, "cluster %s: node %s, registration replicas %d, ", cl.Name, cl.Node, cl.ReplicasOrDefault())
		if e := cl.NATS.Embedded; e != nil {
			fmt.Fprintf(&b, "embedded NATS on %s, routes on %s to %s", e.Listen, e.ClusterListen, strings.Join(cl.Peers(), " "))
			if e.TLS != nil {
				b.WriteString(" (tls)")
			}
		} else {
			fmt.Fprintf(&b, "NATS at %s", cl.NATS.URL)
			if cl.NATS.Credentials != "" {
				b.WriteString(" (credentials file)")
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// authSummary writes r's authentication and authorization lines, if it has
// any beyond the anonymous shorthand: methods with their principal counts,
// roles with their rule counts.
func (r Realm) authSummary(b *strings.Builder) {
	a := r.Auth
	var parts []string
	if role, ok := r.AnonymousRole(); ok && a.Anonymous != nil {
		parts = append(parts, "anonymous(role "+role+")")
	}
	for _, m := range r.staticMethods() {
		parts = append(parts, fmt.Sprintf("%s(%d %s)", m.name, m.n, plural(m.n, "principal")))
	}
	if d := a.Dynamic; d != nil {
		at := ""
		if d.Realm != "" {
			at = " on " + d.Realm
		}
		parts = append(parts, fmt.Sprintf("dynamic(%s%s for %s, timeout %v)", d.Procedure, at, strings.Join(d.Methods, "+"), d.Timeout))
	}
	if len(parts) > 0 {
		fmt.Fprintf(b, "  auth: %s\n", strings.Join(parts, " "))
	}
	if !r.Authorizing() {
		return
	}
	parts = parts[:0]
	for _, role := range r.Roles {
		s := fmt.Sprintf("%s(%d %s", role.Name, len(role.Permissions), plural(len(role.Permissions), "permission"))
		if role.Authorizer != "" {
			s += fmt.Sprintf(", authorizer %s cached %v", role.Authorizer, role.CacheTTL)
		}
		parts = append(parts, s+")")
	}
	fmt.Fprintf(b, "  roles (deny by default): %s\n", orDefault(strings.Join(parts, " "), "none"))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// bound formats a limit whose 0 means none.
func bound(n int) string {
	if n > 0 {
		return strconv.Itoa(n)
	}
	return "unlimited"
}

func sizeOrZero(s Size) string {
	if s > 0 {
		return s.String()
	}
	return ""
}

// permSummary lists the unix socket options that are set ("mode 0660,
// group wampd"), for Summary.
func (l Listener) permSummary() string {
	var parts []string
	for _, p := range [...][2]string{{"mode", l.Mode}, {"owner", l.Owner}, {"group", l.Group}} {
		if p[1] != "" {
			parts = append(parts, p[0]+" "+p[1])
		}
	}
	return strings.Join(parts, ", ")
}
