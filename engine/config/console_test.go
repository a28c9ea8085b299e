package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestConsoleAuth: metrics.console_auth names the ticket principal the web
// console logs in as; without an authid it is an error, and a principal no
// realm knows (or no console at all) is a warning.
func TestConsoleAuth(t *testing.T) {
	ok, err := Parse([]byte(`
realms:
  - name: r
    auth:
      ticket:
        principals: [{authid: admin, role: admin, ticket: "` + ticketHash + `"}]
metrics:
  listen: 127.0.0.1:9100
  console_auth: {authid: admin}
`))
	if err != nil {
		t.Fatal(err)
	}
	if ok.Metrics.ConsoleAuth == nil || ok.Metrics.ConsoleAuth.AuthID != "admin" {
		t.Fatalf("console_auth = %+v", ok.Metrics.ConsoleAuth)
	}
	for _, w := range ok.Warnings() {
		if strings.Contains(w, "console_auth") {
			t.Errorf("unexpected warning %q", w)
		}
	}
	if s := ok.Summary(); !strings.Contains(s, `console: http://127.0.0.1:9100/console/ (asks for the ticket of "admin")`) {
		t.Errorf("summary lacks the console line:\n%s", s)
	}

	_, err = Parse([]byte("metrics:\n  listen: 127.0.0.1:9100\n  console_auth: {}\n"))
	if err == nil || !strings.Contains(err.Error(), "metrics.console_auth.authid is required") {
		t.Errorf("console_auth without authid: %v", err)
	}

	lost, err := Parse([]byte("metrics:\n  console_auth: {authid: nobody}\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"metrics.console_auth: metrics.listen is off, so there is no console",
		`metrics.console_auth: no realm has a ticket principal "nobody" (auth.ticket.principals) or a dynamic authenticator for ticket: the console cannot log in`,
	}
	if got := lost.Warnings(); !reflect.DeepEqual(got, want) {
		t.Errorf("Warnings() = %q, want %q", got, want)
	}
}
