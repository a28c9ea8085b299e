package config

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Size is a byte count; the YAML accepts an int or a string with a unit
// ("16MiB", "512KB", "1GiB").
type Size int64

// String formats s with the largest binary unit that divides it.
func (s Size) String() string {
	for _, u := range [...]struct {
		name string
		n    Size
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if s >= u.n && s%u.n == 0 {
			return strconv.FormatInt(int64(s/u.n), 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}

// MarshalYAML writes s in its unit form, so a dumped config reads back.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// UnmarshalText reads a size written as ParseSize accepts it.
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	*s = v
	return err
}

func (Size) want() string { return "a size" }

// Duration is a time.Duration written as a Go duration string ("10s").
type Duration time.Duration

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes d as a duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration (want e.g. \"10s\", \"500ms\")", b)
	}
	*d = Duration(v)
	return nil
}

func (Duration) want() string { return "a duration" }

// Secret is a configuration value that must never be printed (a ticket
// hash, a WAMP-CRA secret, SCRAM keys): its String and GoString are
// "[redacted]", so %v of a principal or a whole Config shows none of it,
// and no error or Summary line quotes one. string(s) is the value.
type Secret string

// String hides the secret.
func (Secret) String() string { return "[redacted]" }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return `"[redacted]"` }

// ParseSize parses a byte count: a plain integer, or a number with one of
// the units B, KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of
// 1024), case-insensitive ("16MiB", "512 kb").
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("%q is not a size (want e.g. 65536, \"64KiB\", \"16MiB\")", s)
	}
	var mult int64
	switch strings.ToLower(unit) {
	case "", "b":
		mult = 1
	case "kb":
		mult = 1000
	case "kib":
		mult = 1 << 10
	case "mb":
		mult = 1000 * 1000
	case "mib":
		mult = 1 << 20
	case "gb":
		mult = 1000 * 1000 * 1000
	case "gib":
		mult = 1 << 30
	default:
		return 0, fmt.Errorf("%q has an unknown unit %q (want B, KB, KiB, MB, MiB, GB or GiB)", s, unit)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return Size(n * mult), nil
}

// ParseLevel parses a log level name (debug, info, warn, error).
func ParseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("%q is not a log level (want debug, info, warn or error)", s)
	}
	return l, nil
}

// ParseMode parses a unix socket's permission bits written in octal
// ("0660", "660", "0o660"); "" is 0, leaving the bits as created.
func ParseMode(s string) (os.FileMode, error) {
	if s == "" {
		return 0, nil
	}
	m, err := strconv.ParseUint(strings.TrimPrefix(s, "0o"), 8, 32)
	if err != nil || m > 0o777 {
		return 0, fmt.Errorf("%q is not a permission mode (want octal bits up to 0777, e.g. \"0660\")", s)
	}
	return os.FileMode(m), nil
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// ParsePublicKey decodes an Ed25519 public key written as 64 hex
// characters (cryptosign principals' pubkeys).
func ParsePublicKey(s string) ([]byte, error) {
	if len(s) != 2*ed25519PublicKeySize {
		return nil, fmt.Errorf("want %d hex characters (%d bytes), got %d characters", 2*ed25519PublicKeySize, ed25519PublicKeySize, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not hexadecimal")
	}
	return b, nil
}

// ed25519PublicKeySize is crypto/ed25519.PublicKeySize, without importing
// the signature code into the configuration.
const ed25519PublicKeySize = 32

// ParseFingerprint decodes a certificate's SHA-256 fingerprint: 64 hex
// characters, optionally with colons between the bytes (as openssl x509
// -fingerprint -sha256 prints it).
func ParseFingerprint(s string) ([]byte, error) {
	if strings.Contains(s, ":") {
		s = strings.ReplaceAll(s, ":", "")
	}
	if len(s) != 2*sha256.Size {
		return nil, fmt.Errorf("want %d hex characters (SHA-256), got %d", 2*sha256.Size, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("not hexadecimal")
	}
	return b, nil
}

// decodeBase64 decodes standard base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}
