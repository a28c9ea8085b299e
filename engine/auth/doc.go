// Package auth turns a HELLO into an identity or a CHALLENGE, and an
// AUTHENTICATE into an identity or a refusal: one Authenticator per WAMP
// authmethod (anonymous, ticket, wampcra, wamp-scram, cryptosign, tls, and
// Dynamic, which asks a WAMP procedure), the method selection that honours
// the client's authmethods order (Select), the bounded worker Pool the
// heavy steps run on, and the failed-login Limiter.
//
// # Where the work runs
//
// Start and Finish may hash (argon2id, PBKDF2), verify Ed25519 signatures or
// wait on a Dynamic upstream for up to its timeout. They never run on a gnet
// event loop or a realm actor: the engine submits them to a Pool and brings
// the result back onto the connection's loop before it sends CHALLENGE,
// WELCOME or ABORT. Select and Authenticator.Accepts are cheap (no hashing,
// no I/O) and may run anywhere.
//
// What each step costs on one core of the 2-core bench machine (bench_test.go):
// Ticket.Finish with the default argon2id 35 ms (PBKDF2-SHA256 600,000
// iterations: 110 ms); Cryptosign.Finish 54 µs (an Ed25519 verify);
// WAMPCRA.Start 4 µs and Finish 0.1 µs; SCRAM.Finish 4 µs; Cryptosign.Start
// 1 µs. Dynamic waits on its upstream, up to its timeout. Authenticators are immutable after their
// constructor and safe for concurrent use; a State belongs to one handshake.
//
// # Refusals
//
// Every refusal is an error that matches (errors.Is) one of
// ErrAuthenticationFailed, ErrNotAuthorized or ErrNoAuthMethod. URI maps it
// to the ABORT reason and ClientMessage to the one fixed text the client
// sees, which never says which part was wrong (unknown authid, wrong
// secret, bad signature encoding all read the same). Error() adds a short
// reason for the router's log: a fixed phrase, never a secret, a signature
// or a client-supplied value. Unknown principals are not told apart from
// known ones: they get a challenge of the same shape (a mock one, with a
// salt derived from the authid where the method has one) and the same
// amount of hashing, and fail at Finish.
//
// # Ticket hashes
//
// Tickets are stored only as salted hashes in PHC string format, made by
// HashTicket (the `wampd hash` subcommand):
//
//	$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>
//	$pbkdf2-sha256$i=<iterations>$<salt>$<hash>
//
// salt and hash are base64 (standard alphabet, no padding, as PHC says);
// argon2id is version 0x13 (v=19), PBKDF2 uses HMAC-SHA-256. Verification
// recomputes the hash with the stored parameters and compares in constant
// time.
//
// # SCRAM credentials
//
// A wamp-scram principal is stored as its salt, KDF and cost parameters,
// StoredKey and ServerKey, never the password (NewScramCredential makes
// them, String and ParseScramCredential carry them in one line):
//
//	$wamp-scram$kdf=argon2id13,i=<iterations>,m=<memory KiB>$<salt>$<StoredKey>$<ServerKey>
//	$wamp-scram$kdf=pbkdf2,i=<iterations>$<salt>$<StoredKey>$<ServerKey>
//
// salt, StoredKey and ServerKey are base64 (standard alphabet, padded), the
// salt exactly as CHALLENGE.Details.salt carries it. Per the spec,
// SaltedPassword = KDF(SASLprep(password), UnBase64(salt)) with 32 bytes of
// output (argon2id: parallelism 1), ClientKey = HMAC(SaltedPassword,
// "Client Key"), StoredKey = SHA256(ClientKey), ServerKey =
// HMAC(SaltedPassword, "Server Key"). The router never runs the KDF during
// a login: verifying a ClientProof is two HMACs and a SHA-256.
//
// # Locks
//
// Pool.mu guards Submit against Close; Limiter.mu guards the limiter's keys.
// Neither is held while calling out (a job, an Upstream) and neither is
// taken while holding the other, so there is no lock order to keep.
package auth
