package portal

import (
	"crypto/rand"
	"encoding/base64"
	"time"
)

// Session is a signed-in browser session: the user as the identity
// provider described them at sign-in, the session's CSRF token and its
// one-time message. internal/cache stores it (only a hash of the cookie
// value); internal/auth reads it on each request.
type Session struct {
	User      User
	CSRFToken string
	IDToken   string
	Flash     string
	Created   time.Time
	LastSeen  time.Time
	Expires   time.Time
}

// NewToken returns 32 random bytes, base64url-encoded: a session's cookie
// value and CSRF token, a sign-in's state and nonce.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
