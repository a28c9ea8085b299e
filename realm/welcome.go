package realm

// Features the realm announces in WELCOME. Each one works end to end and is
// covered by a test in this package; a feature is added here only then.
func brokerFeatures() []string {
	return []string{
		"pattern_based_subscription", // broker_test: prefix and wildcard
		"publisher_exclusion",        // broker_test: exclude_me=false
		"publisher_identification",   // broker_test: disclose_me
	}
}

func dealerFeatures() []string {
	return []string{
		"pattern_based_registration", // dealer_test: prefix and wildcard
		"shared_registration",        // dealer_test: roundrobin, first, last
		"caller_identification",      // dealer_test: disclose_me
		"progressive_call_results",   // dealer_test: progress
		"call_canceling",             // dealer_test: skip, kill, killnowait
		"call_timeout",               // dealer_test: dealer-side timeout
	}
}

// welcomeDetails builds the WELCOME details of s. Joins are rare, so the
// maps are built per join (they cost nothing on the hot path).
func (r *Realm) welcomeDetails(s *Session) map[string]any {
	return map[string]any{
		"realm":        r.opts.Name,
		"authid":       s.AuthID,
		"authrole":     s.AuthRole,
		"authmethod":   s.AuthMethod,
		"authprovider": s.AuthProvider,
		"roles": map[string]any{
			"broker": map[string]any{"features": featureMap(brokerFeatures())},
			"dealer": map[string]any{"features": featureMap(dealerFeatures())},
		},
	}
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
