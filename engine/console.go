package engine

import (
	"github.com/wampd/wampd/engine/config"
	"github.com/wampd/wampd/engine/console"
)

// consoleSource is what the web console reads of rt besides the meta API:
// the realm names, the WebSocket URL the page joins at, and the per-realm
// message counters of its rate chart. Atomic loads, at request time.
func (rt *Router) consoleSource() console.Source {
	var login string
	if a := rt.cfg.Metrics.ConsoleAuth; a != nil {
		login = a.AuthID
	}
	return console.Source{
		Login: login,
		Realms: func() []string {
			names := make([]string, 0, len(rt.realms))
			for _, r := range rt.realms {
				names = append(names, r.Name())
			}
			return names
		},
		WebSocket: func() string {
			for _, e := range rt.Endpoints() {
				if e.Transport == config.TransportWebSocket {
					return e.URL
				}
			}
			return ""
		},
		Counters: func() map[string]console.Counters {
			out := make(map[string]console.Counters, len(rt.realms))
			for _, r := range rt.realms {
				st := r.Stats()
				out[r.Name()] = console.Counters{
					In:        rt.h.realms[r.Name()].messages.Load(),
					Published: st.Published,
					Delivered: st.Delivered,
					Calls:     st.Calls,
				}
			}
			return out
		},
	}
}
