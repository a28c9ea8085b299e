package auth

import (
	"context"
	"fmt"
	"sort"
)

// TicketPrincipal is a ticket principal of the configuration: its authrole
// and the PHC hash of its ticket (HashTicket).
type TicketPrincipal struct {
	AuthRole string
	Hash     string
}

// Ticket is the ticket method with static principals: CHALLENGE "ticket"
// with an empty extra, then the ticket in AUTHENTICATE's signature, checked
// against the principal's salted hash.
type Ticket struct {
	principals map[string]ticketPrincipal
	// dummy stands for unknown authids: same parameters as a real hash, so
	// an unknown authid costs the same hashing as a wrong ticket.
	dummy ticketHash
}

type ticketPrincipal struct {
	role string
	hash ticketHash
}

// ticketState is Ticket's State: the authid the ticket is for.
type ticketState struct{ authid string }

func (ticketState) authMethod() string { return MethodTicket }

// NewTicket returns the ticket method over principals (by authid). Every
// hash is parsed and bounded here, so a bad one fails at configuration load.
func NewTicket(principals map[string]TicketPrincipal) (*Ticket, error) {
	t := &Ticket{principals: make(map[string]ticketPrincipal, len(principals))}
	ids := make([]string, 0, len(principals))
	for id := range principals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := principals[id]
		if id == "" || p.AuthRole == "" {
			return nil, fmt.Errorf("%w: ticket principal %q needs an authid and a role", ErrConfig, id)
		}
		h, err := parseTicketHash(p.Hash)
		if err != nil {
			return nil, fmt.Errorf("ticket principal %q: %w", id, err)
		}
		t.principals[id] = ticketPrincipal{role: p.AuthRole, hash: h}
	}
	if len(ids) > 0 {
		t.dummy = t.principals[ids[0]].hash
	} else {
		t.dummy, _ = DefaultHashParams.normalize()
	}
	t.dummy.salt = randomBytes(saltLen)
	t.dummy.hash = randomBytes(hashLen)
	return t, nil
}

// Method returns MethodTicket.
func (t *Ticket) Method() string { return MethodTicket }

// Accepts a HELLO with an authid (the spec requires one for ticket).
func (t *Ticket) Accepts(h *Hello) bool { return h.AuthID != "" }

// Start challenges every authid alike, known or not.
func (t *Ticket) Start(_ context.Context, h *Hello) (*Identity, *Challenge, State, error) {
	if h.AuthID == "" {
		return nil, nil, nil, failed("ticket without authid")
	}
	return nil, &Challenge{Method: MethodTicket, Extra: map[string]any{}}, ticketState{authid: h.AuthID}, nil
}

// Finish verifies the ticket (signature) against the principal's hash; an
// unknown authid is hashed against a dummy and fails the same way.
func (t *Ticket) Finish(_ context.Context, pending State, signature string, _ map[string]any) (Identity, error) {
	st, ok := pending.(ticketState)
	if !ok {
		return Identity{}, failed("state of another method")
	}
	p, known := t.principals[st.authid]
	if !known {
		t.dummy.verify(signature)
		return Identity{}, failed("unknown authid")
	}
	if !p.hash.verify(signature) {
		return Identity{}, failed("wrong ticket")
	}
	return Identity{AuthID: st.authid, AuthRole: p.role, AuthMethod: MethodTicket, AuthProvider: ProviderStatic}, nil
}
