// Package chromium finds the headless browser the page tests drive (the
// bench report's and the web console's): Debian's chromium, which `make
// deps` installs, or another Chromium-family browser on PATH.
package chromium

import (
	"errors"
	"os"
	"os/exec"
)

// ErrNotFound says no Chromium-family browser is installed. The tests that
// need one fail with it rather than skip: `make deps` installs it, so a
// missing browser is a broken setup.
var ErrNotFound = errors.New("chromium: no chromium installed: run `make deps` (it installs Debian's chromium for the page tests)")

// Path returns the browser's executable.
func Path() (string, error) {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNotFound
}
