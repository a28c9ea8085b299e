package bridge_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wampd/wampd/engine"
)

const hmacKey = "signer-key-0123456789"

func startSigned(t *testing.T) *engine.Router {
	t.Helper()
	return startYAML(t, `
listeners:
  - listen: 127.0.0.1:0
    transports: [websocket]
realms:
  - name: realm1
    anonymous: true
    bridge:
      listen: 127.0.0.1:0
      principals:
        - {hmac_key: "`+hmacKey+`", authid: signer, role: anonymous}
`)
}

func sign(key, ts, nonce, body string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + nonce + body))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func signedPost(t *testing.T, rt *engine.Router, ts, nonce, sig, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+rt.BridgeAddr("realm1").String()+"/publish", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Wampd-Timestamp", ts)
	req.Header.Set("X-Wampd-Nonce", nonce)
	req.Header.Set("X-Wampd-Signature", sig)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("answer %q: %v", b, err)
	}
	return res.StatusCode, out
}

// TestHMAC: signed requests are accepted with either timestamp form and
// refused (401) with a wrong signature, a stale timestamp or a nonce used
// before.
func TestHMAC(t *testing.T) {
	rt := startSigned(t)
	body := `{"topic":"com.signed","args":[1]}`
	now := time.Now()
	unix := strconv.FormatInt(now.Unix(), 10)
	rfc := now.UTC().Format(time.RFC3339)
	stale := strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)
	for _, c := range []struct {
		name, ts, nonce, sig string
		status               int
	}{
		{"unix seconds", unix, "n1", sign(hmacKey, unix, "n1", body), http.StatusOK},
		{"RFC 3339", rfc, "n2", sign(hmacKey, rfc, "n2", body), http.StatusOK},
		{"replayed nonce", unix, "n1", sign(hmacKey, unix, "n1", body), http.StatusUnauthorized},
		{"wrong signature", unix, "n3", sign("another-key-0123456789", unix, "n3", body), http.StatusUnauthorized},
		{"signature of another body", unix, "n4", sign(hmacKey, unix, "n4", body+" "), http.StatusUnauthorized},
		{"not base64", unix, "n5", "!!", http.StatusUnauthorized},
		{"stale timestamp", stale, "n6", sign(hmacKey, stale, "n6", body), http.StatusUnauthorized},
		{"no nonce", unix, "", sign(hmacKey, unix, "", body), http.StatusUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, out := signedPost(t, rt, c.ts, c.nonce, c.sig, body)
			if status != c.status {
				t.Fatalf("status %d %v, want %d", status, out, c.status)
			}
			if status == http.StatusOK {
				if id, _ := out["id"].(float64); id < 1 {
					t.Fatalf("answer %v, want a publication id", out)
				}
			} else if out["error"] != "wamp.error.authentication_failed" {
				t.Fatalf("answer %v", out)
			}
		})
	}
	// A signer has no bearer token.
	if r := post(t, rt, "realm1", "/publish", hmacKey, "application/json", body); r.status != http.StatusUnauthorized {
		t.Fatalf("bearer with the key: %d %s", r.status, r.raw)
	}
}
