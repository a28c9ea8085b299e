package engine

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/wampd/wampd/netpoll"
)

// parseMode parses a unix socket's permission bits written in octal
// ("0660", "660", "0o660"); "" is 0, leaving the bits as created.
func parseMode(s string) (os.FileMode, error) {
	if s == "" {
		return 0, nil
	}
	m, err := strconv.ParseUint(strings.TrimPrefix(s, "0o"), 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("%q is not a permission mode (want octal bits up to 0777, e.g. \"0660\")", s)
	}
	return os.FileMode(m), nil
}

// unixPerm is what netpoll applies to the listener's socket file; Parse
// already checked Mode.
func (l Listener) unixPerm() netpoll.UnixPerm {
	mode, _ := parseMode(l.Mode)
	return netpoll.UnixPerm{Mode: mode, Owner: l.Owner, Group: l.Group}
}

// permSummary lists the unix socket options that are set ("mode 0660,
// group wampd"), for Config.Summary.
func (l Listener) permSummary() string {
	var parts []string
	for _, p := range [...][2]string{{"mode", l.Mode}, {"owner", l.Owner}, {"group", l.Group}} {
		if p[1] != "" {
			parts = append(parts, p[0]+" "+p[1])
		}
	}
	return strings.Join(parts, ", ")
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
