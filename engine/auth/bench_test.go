package auth

import (
	"strconv"
	"sync"
	"testing"
)

// The verify step of each method, as the Pool runs it per AUTHENTICATE.
// Ticket runs the KDF with the default costs (that is the point: it bounds
// the logins per second a core can check); the others never run a KDF.

func benchTicket(b *testing.B, p HashParams) {
	h, err := HashTicket("ticket-secret-1", p)
	if err != nil {
		b.Fatal(err)
	}
	tk, err := NewTicket(map[string]TicketPrincipal{"ticketuser": {AuthRole: "user", Hash: h}})
	if err != nil {
		b.Fatal(err)
	}
	_, _, st := mustStart(b, tk, &Hello{AuthID: "ticketuser"})
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := tk.Finish(bg, st, "ticket-secret-1", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyTicket_Argon2id_m19456_t2(b *testing.B) { benchTicket(b, DefaultHashParams) }

func BenchmarkVerifyTicket_PBKDF2_i600000(b *testing.B) {
	benchTicket(b, HashParams{KDF: KDFPBKDF2SHA256, Iterations: DefaultPBKDF2Iterations})
}

func BenchmarkVerifyWAMPCRA_Salted(b *testing.B) {
	w := newTestCRA(b)
	_, ch, st := mustStart(b, w, &Hello{AuthID: "crasalted"})
	sig := craSign(b, "cra-secret-2", ch)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := w.Finish(bg, st, sig, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStartWAMPCRA(b *testing.B) {
	w := newTestCRA(b)
	h := &Hello{AuthID: "crasalted", Session: 3251278072152162}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := w.Start(bg, h); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifySCRAM(b *testing.B) {
	s := newTestSCRAM(b)
	_, ch, st := mustStart(b, s, &Hello{AuthID: "scramuser", AuthExtra: map[string]any{"nonce": scramVecCNonce}})
	sig, extra, _ := scramClient(b, "scramuser", scramTestPassword, scramVecCNonce, ch, "", nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Finish(bg, st, sig, extra); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCryptosign(b *testing.B) {
	c, _, _ := newTestCryptosign(b, nil)
	_, ch, st := mustStart(b, c, &Hello{AuthExtra: map[string]any{"pubkey": csTestPubKey}})
	sig := csSign(b, keyFromSeed(b, csTestSeed), ch, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Finish(bg, st, sig, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStartCryptosign(b *testing.B) {
	c, _, _ := newTestCryptosign(b, nil)
	h := &Hello{AuthExtra: map[string]any{"pubkey": csTestPubKey}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := c.Start(bg, h); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLimiterAllow_Unknown is the common case: a key that never
// failed (no entry, no allocation).
func BenchmarkLimiterAllow_Unknown(b *testing.B) {
	l := NewLimiter(0, 0, 0)
	for i := range 1000 {
		l.Fail("10.0.0." + strconv.Itoa(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if !l.Allow("192.168.1.1") {
			b.Fatal("refused")
		}
	}
}

func BenchmarkLimiterFail_AtBound(b *testing.B) {
	l := NewLimiter(0, 0, 1000)
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Fail(keys[i%len(keys)])
		i++
	}
}

func BenchmarkPoolSubmit(b *testing.B) {
	p := NewPool(1, 1024)
	defer p.Close()
	var wg sync.WaitGroup
	job := func() { wg.Done() }
	b.ReportAllocs()
	for b.Loop() {
		wg.Add(1)
		for !p.Submit(job) {
			wg.Done()
			wg.Add(1)
		}
	}
	wg.Wait() // drain before the timer stops
}
