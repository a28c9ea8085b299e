package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wampd/wampd/engine/config"
)

// TestExamplesParse: every configuration shipped under examples/ passes
// check-config, and the systemd unit and Dockerfile name the binary and
// configuration the way wampd takes them.
func TestExamplesParse(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	deploy, _ := filepath.Glob("../../examples/deploy/*.yaml")
	cluster, _ := filepath.Glob("../../examples/cluster/*.yaml")
	if len(cluster) != 3 {
		t.Errorf("examples/cluster has %v, want node1.yaml .. node3.yaml", cluster)
	}
	files = append(append(files, deploy...), cluster...)
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		if _, err := config.Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	unit, err := os.ReadFile("../../examples/deploy/wampd.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ExecStart=/usr/local/bin/wampd --config /etc/wampd/wampd.yaml",
		"ExecReload=/bin/kill -HUP $MAINPID", "wampd check-config /etc/wampd/wampd.yaml"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("wampd.service lacks %q", want)
		}
	}
	docker, err := os.ReadFile("../../examples/deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docker), `ENTRYPOINT ["/usr/local/bin/wampd", "--config", "/etc/wampd/wampd.yaml"]`) {
		t.Error("Dockerfile does not start wampd with its configuration")
	}
}
