package console

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func serve(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Handle(mux, Source{
		Realms:    func() []string { return []string{"realm1", "realm2"} },
		WebSocket: func() string { return "ws://127.0.0.1:8080/ws" },
		Counters: func() map[string]Counters {
			return map[string]Counters{"realm1": {In: 10, Published: 2, Delivered: 6, Calls: 1}}
		},
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestFiles fetches the page and each file it loads: all embedded, none
// from another host.
func TestFiles(t *testing.T) {
	srv := serve(t)
	for _, tc := range []struct {
		path, typ, has string
	}{
		{"/console/", "text/html", `<script src="console.js"`},
		{"/console/wamp.js", "javascript", `"wamp.2.json"`},
		{"/console/console.js", "javascript", "wamp.session.kill"},
		{"/console/console.css", "text/css", "canvas"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := get(t, srv.URL+tc.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, tc.typ) {
				t.Errorf("Content-Type %q, want %s", ct, tc.typ)
			}
			if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
				t.Errorf("no self-only Content-Security-Policy: %q", resp.Header.Get("Content-Security-Policy"))
			}
			if !strings.Contains(body, tc.has) {
				t.Errorf("body lacks %q", tc.has)
			}
			if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
				t.Errorf("body names an outside URL")
			}
		})
	}
	// /console redirects to /console/; an unknown file is 404.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(srv.URL + "/console")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 3 || resp.Header.Get("Location") != "/console/" {
		t.Errorf("GET /console = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := get(t, srv.URL+"/console/nope.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /console/nope.js = %d, want 404", resp.StatusCode)
	}
}

func TestAPI(t *testing.T) {
	srv := serve(t)
	resp, body := get(t, srv.URL+"/console/api/realms")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("realms: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var realms realmsReply
	if err := json.Unmarshal([]byte(body), &realms); err != nil {
		t.Fatalf("realms: %v: %s", err, body)
	}
	if strings.Join(realms.Realms, ",") != "realm1,realm2" || realms.WebSocket != "ws://127.0.0.1:8080/ws" {
		t.Errorf("realms = %+v", realms)
	}
	resp, body = get(t, srv.URL+"/console/api/stats")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stats: %d", resp.StatusCode)
	}
	var stats statsReply
	if err := json.Unmarshal([]byte(body), &stats); err != nil {
		t.Fatalf("stats: %v: %s", err, body)
	}
	if realms.Login != nil {
		t.Errorf("login %+v without Source.Login", realms.Login)
	}
	if stats.Time == 0 || stats.Realms["realm1"] != (Counters{In: 10, Published: 2, Delivered: 6, Calls: 1}) {
		t.Errorf("stats = %s", body)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/console/api/stats", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /console/api/stats = %d, want 405", resp.StatusCode)
	}
}

// TestAPILogin: with Source.Login the realms answer tells the page to ask
// for that principal's ticket.
func TestAPILogin(t *testing.T) {
	mux := http.NewServeMux()
	Handle(mux, Source{Login: "admin"})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	_, body := get(t, srv.URL+"/console/api/realms")
	if !strings.Contains(body, `"login":{"method":"ticket","authid":"admin"}`) || !strings.Contains(body, `"realms":[]`) {
		t.Errorf("realms = %s", body)
	}
}
