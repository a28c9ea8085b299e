package cluster

import (
	"net/url"
	"strings"
)

// redactURLs is list, NATS's comma-separated server URLs, with the
// password of any user:password@ replaced, for logs and errors.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}
