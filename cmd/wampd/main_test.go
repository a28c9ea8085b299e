package main

import (
	"io"
	"testing"
)

func TestConfigureFlags(t *testing.T) {
	tests := []struct {
		name          string
		args          []string
		metrics, dbug string
	}{
		{"defaults", nil, "", ""},
		{"debug", []string{"--debug", "127.0.0.1:6060"}, "", "127.0.0.1:6060"},
		{"metrics and debug", []string{"--metrics", "127.0.0.1:9100", "--debug", "127.0.0.1:9100"}, "127.0.0.1:9100", "127.0.0.1:9100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := configure(tt.args, io.Discard)
			if err != nil {
				t.Fatalf("configure(%q): %v", tt.args, err)
			}
			if cfg.Metrics.Listen != tt.metrics || cfg.Debug.Listen != tt.dbug {
				t.Fatalf("metrics.listen = %q, debug.listen = %q, want %q, %q", cfg.Metrics.Listen, cfg.Debug.Listen, tt.metrics, tt.dbug)
			}
		})
	}
	if _, err := configure([]string{"--debug", "nowhere"}, io.Discard); err == nil {
		t.Fatal(`configure(--debug nowhere) succeeded, want an error`)
	}
}
