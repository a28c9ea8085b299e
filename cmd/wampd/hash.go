package main

import (
	"bufio"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/wampd/wampd/engine/auth"
)

// hashSecret is `wampd hash`: it reads a secret (a ticket, or a wamp-scram
// password) from standard input, one line, and prints what the
// configuration stores instead of it: a ticket principal's `ticket:` hash
// string, or a wamp-scram principal's kdf, iterations, memory, salt,
// stored_key and server_key. The secret is never echoed or logged.
func hashSecret(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wampd hash", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scram := fs.Bool("scram", false, "print a wamp-scram credential (argon2id) instead of a ticket hash")
	pbkdf2 := fs.Bool("pbkdf2", false, "use PBKDF2-SHA256 instead of argon2id")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: wampd hash [--scram] [--pbkdf2] < secret
  Reads one line (the secret) from standard input and prints what a
  ticket principal's "ticket:" holds (default), or a wamp-scram
  principal's credential keys (--scram). The secret itself is never
  stored, printed or logged.

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "wampd hash: the secret is read from standard input, not from the command line (where ps and shell history would keep it)")
		fs.Usage()
		return exitUsage
	}
	secret, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintln(stderr, "wampd hash: reading the secret:", err)
		return exitFailed
	}
	secret = strings.TrimRight(secret, "\r\n")
	if secret == "" {
		fmt.Fprintln(stderr, "wampd hash: empty secret on standard input")
		return exitUsage
	}
	if *scram {
		p := auth.DefaultScramParams
		if *pbkdf2 {
			p = auth.ScramParams{KDF: auth.KDFPBKDF2, Iterations: auth.DefaultScramPBKDF2Iterations}
		}
		c, err := auth.NewScramCredential(secret, p)
		if err != nil {
			fmt.Fprintln(stderr, "wampd hash:", err)
			return exitFailed
		}
		kdf := "argon2id"
		if c.KDF == auth.KDFPBKDF2 {
			kdf = "pbkdf2"
		}
		b64 := base64.StdEncoding.EncodeToString
		fmt.Fprintf(stdout, "kdf: %s\niterations: %d\n", kdf, c.Iterations)
		if c.MemoryKiB > 0 {
			fmt.Fprintf(stdout, "memory: %d\n", c.MemoryKiB)
		}
		fmt.Fprintf(stdout, "salt: %s\nstored_key: %s\nserver_key: %s\n", b64(c.Salt), b64(c.StoredKey), b64(c.ServerKey))
		return exitOK
	}
	p := auth.DefaultHashParams
	if *pbkdf2 {
		p = auth.HashParams{KDF: auth.KDFPBKDF2SHA256, Iterations: auth.DefaultPBKDF2Iterations}
	}
	h, err := auth.HashTicket(secret, p)
	if err != nil {
		fmt.Fprintln(stderr, "wampd hash:", err)
		return exitFailed
	}
	fmt.Fprintln(stdout, h)
	return exitOK
}
