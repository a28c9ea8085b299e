package realm

import (
	"bytes"

	"github.com/wampd/wampd/codec"
)

// Features the realm announces in WELCOME. Each one works end to end and is
// covered by a test in this package (and in cmd/wampd's interop tests with
// real clients, see docs/features.md); a feature is added here only then.
// The meta API features (and event history, read through it) are left
// out on a realm with the meta API off.
func (r *Realm) brokerFeatures() []string {
	f := []string{
		"pattern_based_subscription",    // broker_test: prefix and wildcard
		"publisher_exclusion",           // broker_test: exclude_me=false
		"publisher_identification",      // broker_test, broker_advanced_test: disclose_me
		"subscriber_blackwhite_listing", // broker_advanced_test: TestBlackWhiteListing
		"event_retention",               // broker_advanced_test: TestRetention*
		"payload_passthru_mode",         // broker_advanced_test: TestPPTPublish
	}
	if !r.opts.NoMetaAPI {
		f = append(f,
			"session_meta_api",        // meta_test: TestSessionMeta, TestSessionKill
			"subscription_meta_api",   // meta_test: TestSubscriptionMeta
			"subscription_revocation", // meta_test: TestRevocation
			"event_history",           // history_test
		)
	}
	return f
}

func (r *Realm) dealerFeatures() []string {
	f := []string{
		"pattern_based_registration",   // dealer_test: prefix and wildcard
		"shared_registration",          // dealer_test: roundrobin, first, last
		"caller_identification",        // dealer_test, dealer_advanced_test: disclose_me
		"progressive_call_results",     // dealer_test: progress
		"progressive_call_invocations", // dealer_advanced_test: TestProgressiveInvocation*
		"call_canceling",               // dealer_test: skip, kill, killnowait
		"call_timeout",                 // dealer_test: dealer-side timeout
		"payload_passthru_mode",        // dealer_advanced_test: TestPPTCall
	}
	if !r.opts.NoMetaAPI {
		f = append(f,
			"session_meta_api",        // meta_test: TestSessionMeta
			"registration_meta_api",   // meta_test: TestRegistrationMeta
			"registration_revocation", // meta_test: TestRevocation
			"testament_meta_api",      // meta_test: TestTestaments
		)
	}
	return f
}

// welcomeDetails builds the WELCOME details of s as a map: the source of
// the encoded templates below, and the fallback should one fail.
func (r *Realm) welcomeDetails(s *Session) map[string]any {
	d := map[string]any{
		"realm":        r.opts.Name,
		"authid":       s.AuthID,
		"authrole":     s.AuthRole,
		"authmethod":   s.AuthMethod,
		"authprovider": s.AuthProvider,
		"roles": map[string]any{
			"broker": map[string]any{"features": featureMap(r.brokerFeatures())},
			"dealer": map[string]any{"features": featureMap(r.dealerFeatures())},
		},
	}
	if s.AuthExtra != nil {
		d["authextra"] = s.AuthExtra
	}
	return d
}

// welcomeKey identifies the sessions whose WELCOME details differ only in
// authid: in practice one key per serializer and auth method.
type welcomeKey struct {
	ser                                codec.Serializer
	authRole, authMethod, authProvider string
}

// welcomeTemplate is an encoded WELCOME details dict cut around the authid
// value: prefix + encoded authid + suffix is the whole dict. Building the
// feature maps and encoding them per join was about a fifth of the router
// CPU a session opening costs; a template makes it two copies and one
// string encode.
type welcomeTemplate struct{ prefix, suffix []byte }

// authIDMark stands for the authid while a template is encoded; it is
// found again by its own encoding, so the cut needs no knowledge of any
// serializer's layout.
const authIDMark = "wampd.welcome.authid.7c1f03e9b2"

// maxWelcomeTemplates bounds the template cache: a realm with more auth
// role/method/provider combinations than this starts over (a join then
// builds its template again, as every join did before the cache).
const maxWelcomeTemplates = 32

// welcomeDict returns the encoded WELCOME details dict of s in s.ser, in
// r.welcomeBuf (valid until the next call), or nil when s has its own
// authextra or no template could be made (the caller then encodes
// welcomeDetails). Actor only.
func (r *Realm) welcomeDict(s *Session) []byte {
	if s.AuthExtra != nil {
		// Its own authextra (a wamp-scram or dynamic login, rare and
		// costlier than one encode): no template.
		return nil
	}
	k := welcomeKey{s.ser, s.AuthRole, s.AuthMethod, s.AuthProvider}
	t, ok := r.welcome[k]
	if !ok {
		if len(r.welcome) >= maxWelcomeTemplates {
			clear(r.welcome)
		}
		t = r.newWelcomeTemplate(s)
		lazyMap(&r.welcome)[k] = t // nil too: do not retry a failing key
	}
	if t == nil {
		return nil
	}
	b, err := codec.AppendValue(s.ser, append(r.welcomeBuf[:0], t.prefix...), s.AuthID)
	if err != nil {
		return nil
	}
	b = append(b, t.suffix...)
	r.welcomeBuf = b
	return b
}

// newWelcomeTemplate encodes the details of s with authIDMark as authid
// and cuts the result around the mark; nil if the mark is not found
// exactly once.
func (r *Realm) newWelcomeTemplate(s *Session) *welcomeTemplate {
	d := r.welcomeDetails(s)
	d["authid"] = authIDMark
	enc, err := codec.AppendValue(s.ser, nil, d)
	if err != nil {
		return nil
	}
	mark, err := codec.AppendValue(s.ser, nil, authIDMark)
	if err != nil || bytes.Count(enc, mark) != 1 {
		return nil
	}
	i := bytes.Index(enc, mark)
	return &welcomeTemplate{prefix: enc[:i:i], suffix: enc[i+len(mark):]}
}

func featureMap(names []string) map[string]any {
	m := make(map[string]any, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// helloFeature reports whether HELLO details announce
// roles.<role>.features.<feature> = true.
func helloFeature(hello map[string]any, role, feature string) bool {
	roles, _ := hello["roles"].(map[string]any)
	rd, _ := roles[role].(map[string]any)
	fs, _ := rd["features"].(map[string]any)
	v, _ := fs[feature].(bool)
	return v
}
