package engine

import "fmt"

// Warnings lists what in c is valid but likely a mistake: each line names
// the key and says why. check-config prints them after "ok" and wampd logs
// them at start.
func (c Config) Warnings() []string {
	var out []string
	for i, r := range c.Realms {
		// Anonymous is the one authentication method wampd has today; the
		// security issue (#10) adds the others, and with them this check
		// learns to count them.
		if !r.Anonymous {
			out = append(out, fmt.Sprintf("realms[%d] %q: no one can join it: anonymous is off and no other authentication method is configured", i, r.Name))
		}
	}
	return out
}
