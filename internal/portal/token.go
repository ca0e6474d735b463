package portal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
)

// Personal access tokens open the JSON API (/api/v1/) for scripts. A token
// acts as the person who made it, with the roles they had at their last
// sign-in (never more), and only within its scope.

// Token scopes: a read token only reads; a write token also writes what
// the person may write through the forms.
const (
	ScopeRead      = "read"
	ScopeReadWrite = "read write"
)

// TokenPrefix starts every token's secret, so that a token pasted where it
// should not be (a repository, a log) can be found by secret scanners.
const TokenPrefix = "pap_"

// MaxTokenLife is the longest a token may live: every token expires.
const MaxTokenLife = 366 * 24 * time.Hour

// APIToken is a token as listed: never its secret, which is shown once
// when it is made and stored only as a hash.
type APIToken struct {
	ID        int64
	Hint      string // the secret's first characters ("pap_AbCd")
	Subject   string // whose token it is
	OwnerName string // their name at their last sign-in
	Name      string
	Scope     string
	Created   time.Time
	CreatedBy string // the subject who made it (the owner, or an operator's command)
	Expires   time.Time
	LastUsed  time.Time // zero: never used
	Revoked   time.Time // zero: not revoked
	RevokedBy string
}

// Active reports whether the token opens the API at now.
func (t APIToken) Active(now time.Time) bool { return t.Revoked.IsZero() && now.Before(t.Expires) }

// CanWrite reports whether the token's scope allows writes.
func (t APIToken) CanWrite() bool { return t.Scope == ScopeReadWrite }

// NewAPIToken is a token to store: the owner, its name, scope and end.
type NewAPIToken struct {
	Subject, Name, Scope, CreatedBy string
	Expires                         time.Time
}

// NewTokenSecret returns a new secret: the prefix and 256 random bits,
// base64url-encoded.
func NewTokenSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// TokenHash is what is stored of a secret: its SHA-256. A 256-bit random
// secret needs no slow hash (nothing to guess), and a lookup by hash
// compares no secret byte by byte, so it leaks no timing.
func TokenHash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// TokenHint is the part of a secret kept to tell tokens apart.
func TokenHint(secret string) string {
	if len(secret) > len(TokenPrefix)+4 {
		return secret[:len(TokenPrefix)+4]
	}
	return secret
}

// LooksLikeToken reports whether s has the shape of a secret, so that a
// malformed one is refused without a lookup.
func LooksLikeToken(s string) bool {
	rest, ok := strings.CutPrefix(s, TokenPrefix)
	if !ok || len(rest) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}
