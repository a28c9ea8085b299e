package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse: no input makes Parse panic; what it accepts, Validate
// accepts too; every problem it reports is an *Error with a line (and a
// column, except YAML syntax errors, for which yaml.v3 gives none).
func FuzzParse(f *testing.F) {
	f.Add(DefaultYAML)
	f.Add([]byte(secureYAML))
	if b, err := os.ReadFile("../../examples/advanced.yaml"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"listeners:\n  - listen: 127.0.0.1:1\n    transports: [websocket]\n  - lisen: 127.0.0.1:2\n",
		"realms:\n  - name: r\n    auth:\n      ticket:\n        principals: [{authid: a, role: user, ticket: hunter2}]\n",
		"realms:\n  - name: r\n    roles:\n      - name: user\n        permissions:\n          - {uri: a., match: prefix, allow: {call: true}}\n",
		"log:\n  format: text\n\tlevel: info\n",
		"a: &x {b: 1}\nlimits: *x\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data)
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("Parse accepted what Validate refuses: %v\n%s", verr, data)
			}
			_ = cfg.Summary()
			_ = cfg.Warnings()
			return
		}
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v does not match ErrInvalid", err)
		}
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap()
		}
		for _, e := range errs {
			var ce *Error
			if !errors.As(e, &ce) {
				t.Fatalf("%T %v is not an *Error", e, e)
			}
			syntax := strings.HasPrefix(ce.Msg, "YAML")
			if (ce.Line == 0 || ce.Column == 0) && !syntax {
				t.Fatalf("error without a position: %v\n%q", ce, data)
			}
		}
	})
}
