package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wampd/wampd/codec"
)

// fakeUpstream answers by authid, recording the calls.
type fakeUpstream struct {
	mu      sync.Mutex
	calls   []map[string]any
	answer  func(realm, authid string, details map[string]any) (map[string]any, error)
	blocked chan struct{} // when set, Authenticate waits for ctx
}

func (f *fakeUpstream) Authenticate(ctx context.Context, realm, authid string, details map[string]any) (map[string]any, error) {
	f.mu.Lock()
	f.calls = append(f.calls, details)
	f.mu.Unlock()
	if f.blocked != nil {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.answer(realm, authid, details)
}

func TestDynamicTicket(t *testing.T) {
	up := &fakeUpstream{answer: func(realm, authid string, d map[string]any) (map[string]any, error) {
		if realm != "secure" {
			return nil, errors.New("wrong realm")
		}
		switch d["ticket"] {
		case "good":
			return map[string]any{"role": "user"}, nil
		case "admin":
			return map[string]any{"authrole": "admin", "authid": "the-admin", "extra": map[string]any{"k": "v"}}, nil
		case "denied":
			return nil, FromURI(codec.ErrNotAuthorized)
		case "norole":
			return map[string]any{}, nil
		}
		return nil, FromURI(codec.ErrAuthenticationFailed)
	}}
	d, err := NewDynamic(MethodTicket, up, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ticket   string
		kind     error
		id, role string
	}{
		{"good", nil, "joe", "user"},
		{"admin", nil, "the-admin", "admin"},
		{"bad", ErrAuthenticationFailed, "", ""},
		{"denied", ErrNotAuthorized, "", ""},
		{"norole", ErrNotAuthorized, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.ticket, func(t *testing.T) {
			h := &Hello{Realm: "secure", AuthID: "joe", Session: 42, RemoteAddr: "127.0.0.1:5000", AuthExtra: map[string]any{"x": 1}}
			_, ch, st := mustStart(t, d, h)
			if ch.Method != MethodTicket {
				t.Fatalf("challenge %+v", ch)
			}
			id, err := d.Finish(bg, st, tt.ticket, nil)
			if tt.kind != nil {
				wantRefusal(t, err, tt.kind)
				return
			}
			if err != nil || id.AuthID != tt.id || id.AuthRole != tt.role || id.AuthProvider != "dynamic" || id.AuthMethod != "ticket" {
				t.Fatalf("Finish = %+v, %v", id, err)
			}
		})
	}
	last := up.calls[len(up.calls)-1]
	if last["authmethod"] != "ticket" || last["authid"] != "joe" || last["session"] != uint64(42) ||
		last["transport"].(map[string]any)["peer"] != "127.0.0.1:5000" || last["authextra"].(map[string]any)["x"] != 1 {
		t.Fatalf("details %v", last)
	}
}

func TestDynamicWAMPCRA(t *testing.T) {
	up := &fakeUpstream{answer: func(_, authid string, d map[string]any) (map[string]any, error) {
		switch authid {
		case "crauser":
			return map[string]any{"secret": "cra-secret-1", "role": "user"}, nil
		case "crasalted": // Crossbar.io's convention: the derived key, with its parameters
			return map[string]any{"secret": craVectorDerivedKey, "role": "user", "salt": "salt123", "iterations": float64(1000), "keylen": uint64(32)}, nil
		case "badsalt":
			return map[string]any{"secret": "x", "role": "user", "salt": "s", "iterations": -5}, nil
		}
		return nil, FromURI(codec.ErrAuthenticationFailed)
	}}
	d, _ := NewDynamic(MethodWAMPCRA, up, 0)
	for _, tt := range []struct {
		authid, secret string
		ok             bool
	}{
		{"crauser", "cra-secret-1", true},
		{"crauser", "cra-secret-2", false},
		{"crasalted", "cra-secret-2", true},
		{"crasalted", "cra-secret-1", false},
	} {
		_, ch, st := mustStart(t, d, &Hello{AuthID: tt.authid})
		id, err := d.Finish(bg, st, craSign(t, tt.secret, ch), nil)
		if tt.ok != (err == nil) {
			t.Fatalf("%s with %s: %v", tt.authid, tt.secret, err)
		}
		if tt.ok && (id.AuthID != tt.authid || id.AuthRole != "user" || id.AuthProvider != "dynamic") {
			t.Fatalf("identity %+v", id)
		}
	}
	for _, authid := range []string{"nobody", "badsalt"} {
		if _, _, _, err := d.Start(bg, &Hello{AuthID: authid}); !errors.Is(err, ErrAuthenticationFailed) {
			t.Fatalf("%s: Start = %v", authid, err)
		}
	}
}

func TestDynamicCryptosign(t *testing.T) {
	user := keyFromSeed(t, csTestSeed)
	_, other, _ := ed25519.GenerateKey(nil)
	up := &fakeUpstream{answer: func(_, authid string, d map[string]any) (map[string]any, error) {
		pk, _ := d["authextra"].(map[string]any)["pubkey"].(string)
		if authid == "" && pk == csTestPubKey {
			return map[string]any{"authid": "csuser", "role": "user", "pubkeys": []any{csTestPubKey}}, nil
		}
		return map[string]any{"role": "user", "pubkey": csTestPubKey}, nil
	}}
	d, _ := NewDynamic(MethodCryptosign, up, 0)
	for _, tt := range []struct {
		name, authid string
		announce     ed25519.PrivateKey
		ok           bool
	}{
		{"authid from the upstream", "", user, true},
		{"authid from HELLO", "csuser", user, true},
		{"key not in the answer", "csuser", other, false},
		{"no authid anywhere", "", other, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &Hello{AuthID: tt.authid, AuthExtra: map[string]any{"pubkey": hex.EncodeToString(tt.announce.Public().(ed25519.PublicKey))}}
			id, ch, st, err := d.Start(bg, h)
			if err == nil && id == nil {
				_, err = d.Finish(bg, st, csSign(t, tt.announce, ch, nil), nil)
			}
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestDynamicTimeout(t *testing.T) {
	up := &fakeUpstream{blocked: make(chan struct{})}
	d, _ := NewDynamic(MethodWAMPCRA, up, 20*time.Millisecond)
	start := time.Now()
	_, _, _, err := d.Start(bg, &Hello{AuthID: "crauser"})
	wantRefusal(t, err, ErrAuthenticationFailed)
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("timeout took %v", el)
	}
	// The caller's context (a closed connection) ends the wait too.
	d, _ = NewDynamic(MethodWAMPCRA, up, time.Hour)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, _, _, err := d.Start(ctx, &Hello{AuthID: "crauser"}); !errors.Is(err, ErrAuthenticationFailed) {
		t.Fatalf("canceled: %v", err)
	}
	if _, err := NewDynamic(MethodSCRAM, up, 0); !errors.Is(err, ErrConfig) {
		t.Fatalf("dynamic scram: %v", err)
	}
	if _, err := NewDynamic(MethodTicket, nil, 0); !errors.Is(err, ErrConfig) {
		t.Fatalf("nil upstream: %v", err)
	}
}
