package netpoll

import "github.com/panjf2000/gnet/v2"

// Run runs fn on the connection's event loop, the goroutine that owns the
// connection's handler context and, until the session joined a realm, its
// sending side: the handshake uses it to finish on the loop what ran
// elsewhere (password hashing and signature checks on the auth pool). fn
// runs once the loop gets to it, also when the connection has closed
// meanwhile (the caller checks its own state for that); Run reports false
// when it could not be queued (the server is stopping), and fn then does
// not run.
func (c *Conn) Run(fn func()) bool {
	return c.gc.Wake(func(gnet.Conn, error) error {
		fn()
		return nil
	}) == nil
}
