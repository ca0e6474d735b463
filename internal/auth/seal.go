package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// attempt is a sign-in in progress: what the callback needs to finish it.
// It travels in the attempt's own cookie, sealed (AES-256-GCM: encrypted,
// so the verifier and nonce stay secret, and authenticated, so nobody can
// make one up), instead of in a database row: starting a sign-in, which
// anybody can do without signing in, writes nothing.
type attempt struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	ReturnTo string `json:"r"`
	Created  int64  `json:"t"` // Unix seconds
}

// maxReturnTo keeps the cookie well under the 4 KB browsers keep.
const maxReturnTo = 1500

// sealer seals and opens attempts with a key made when the portal starts:
// a restart ends the sign-ins in progress (people start them again), and
// no key needs configuring or storing.
type sealer struct{ aead cipher.AEAD }

func newSealer() (*sealer, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal returns the cookie value of a for the cookie named name (the name
// is authenticated too, so a value cannot be moved to another attempt's
// cookie).
func (s *sealer) seal(name string, a attempt) (string, error) {
	plain, err := json.Marshal(a)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(name))), nil
}

var errBadAttempt = errors.New("the sign-in cookie is not one this portal sealed")

// open reads the attempt sealed in value for the cookie named name, and
// refuses one older than ttl (or from the future) at now.
func (s *sealer) open(name, value string, now time.Time, ttl time.Duration) (attempt, error) {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return attempt{}, errBadAttempt
	}
	plain, err := s.aead.Open(nil, raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():], []byte(name))
	if err != nil {
		return attempt{}, errBadAttempt
	}
	var a attempt
	if err := json.Unmarshal(plain, &a); err != nil {
		return attempt{}, errBadAttempt
	}
	created := time.Unix(a.Created, 0)
	if now.Sub(created) > ttl || created.After(now.Add(time.Minute)) {
		return attempt{}, errors.New("the sign-in took too long")
	}
	return a, nil
}
