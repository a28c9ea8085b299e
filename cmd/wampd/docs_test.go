package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wampd/wampd/engine/config"
)

// fencedBlocks returns the contents of the ``` blocks of md (whose opening
// fence starts with open, e.g. "```yaml") between the headings from and to
// ("" for the end of the file).
func fencedBlocks(t *testing.T, md, from, to, open string) []string {
	t.Helper()
	i := strings.Index(md, from)
	if i < 0 {
		t.Fatalf("no %q heading", from)
	}
	md = md[i+len(from):]
	if to != "" {
		if j := strings.Index(md, to); j >= 0 {
			md = md[:j]
		}
	}
	var out []string
	for {
		i := strings.Index(md, "\n"+open+"\n")
		if i < 0 {
			return out
		}
		md = md[i+len(open)+2:]
		j := strings.Index(md, "\n```\n")
		if j < 0 {
			t.Fatalf("unclosed %s block", open)
		}
		out = append(out, md[:j+1])
		md = md[j+5:]
	}
}

func readDoc(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeShowsTheWholeDefault: the README's configuration block is the
// embedded default, key for key and comment for comment.
func TestReadmeShowsTheWholeDefault(t *testing.T) {
	blocks := fencedBlocks(t, readDoc(t, "README.md"), "\n## Configuration\n", "\n## ", "```yaml")
	if len(blocks) != 1 {
		t.Fatalf("%d yaml blocks under ## Configuration, want 1", len(blocks))
	}
	def := string(config.DefaultYAML)
	def = def[strings.Index(def, "listeners:"):] // after the file's header comment
	if blocks[0] != def {
		t.Errorf("README's default configuration differs from engine/config/default.yaml:\n%s\nwant\n%s", blocks[0], def)
	}
}

// TestConfigurationDocTranscripts runs the check-config transcripts of
// docs/configuration.md: each "$ cat FILE" writes the lines after it, each
// "$ wampd check-config FILE" must print exactly the lines after it. The
// example file of the document is wampd.yaml.
func TestConfigurationDocTranscripts(t *testing.T) {
	doc := readDoc(t, "docs/configuration.md")
	examples := fencedBlocks(t, doc, "\n## Example\n", "\n## ", "```yaml")
	if len(examples) != 1 {
		t.Fatalf("%d yaml blocks under ## Example, want 1", len(examples))
	}
	t.Chdir(t.TempDir()) // the transcripts name files relative to where they run
	if err := os.WriteFile("wampd.yaml", []byte(examples[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	transcripts := fencedBlocks(t, doc, "\n## check-config\n", "", "```")
	if len(transcripts) < 4 {
		t.Fatalf("%d transcripts under ## check-config, want at least 4", len(transcripts))
	}
	ran := 0
	for _, tr := range transcripts {
		var cmd []string
		var body strings.Builder
		flush := func() {
			switch {
			case cmd == nil:
			case cmd[0] == "cat":
				if err := os.WriteFile(cmd[1], []byte(body.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			case cmd[0] == "wampd":
				var out bytes.Buffer
				run(context.Background(), cmd[1:], &out, &out)
				if got := out.String(); got != body.String() {
					t.Errorf("$ %s\nprints\n%s\nthe document says\n%s", strings.Join(cmd, " "), got, body.String())
				}
				ran++
			default:
				t.Fatalf("transcript command %q: want cat or wampd", cmd)
			}
			body.Reset()
		}
		for line := range strings.Lines(tr) {
			if c, ok := strings.CutPrefix(line, "$ "); ok {
				flush()
				cmd = strings.Fields(c)
				continue
			}
			body.WriteString(line)
		}
		flush()
	}
	if ran < 4 {
		t.Fatalf("ran %d check-config transcripts, want at least 4", ran)
	}
}
