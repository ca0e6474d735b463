package vergeos

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// DefaultRateLimit is the documented limit: 1000 requests per hour per API key.
const DefaultRateLimit = 1000

// authorize checks the Authorization header (Basic with the user and
// password, or Bearer with the API key) and the rate limit, and returns
// the credential's identity, or answers 401/429 itself and returns "".
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) string {
	cred, ok := s.credential(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="VergeOS"`)
		msg := "Login required"
		if r.Header.Get("Authorization") != "" {
			msg = "Authentication failed: invalid credentials"
		}
		writeErr(w, http.StatusUnauthorized, msg)
		return ""
	}
	if wait, ok := s.limiter.allow(cred, s.now().Unix()); !ok {
		w.Header().Set("Retry-After", strconv.FormatInt(wait, 10))
		writeErr(w, http.StatusTooManyRequests, fmt.Sprintf("Rate limit exceeded: at most %d requests per hour; retry in %d seconds", s.limiter.perHour, wait))
		return ""
	}
	return cred
}

// credential returns an identity for a valid Authorization header.
func (s *Server) credential(h string) (string, bool) {
	scheme, value, _ := strings.Cut(strings.TrimSpace(h), " ")
	value = strings.TrimSpace(value)
	switch strings.ToLower(scheme) {
	case "bearer":
		if eq(value, s.opts.APIKey) {
			return "key:" + s.opts.APIKey, true
		}
	case "basic":
		r := http.Request{Header: http.Header{"Authorization": {"Basic " + value}}}
		user, pass, ok := r.BasicAuth()
		if ok && eq(user, s.opts.User) && eq(pass, s.opts.Password) {
			return "user:" + user, true
		}
	}
	return "", false
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// limiter counts requests per credential in hour-long windows that start
// with a credential's first request; perHour 0 turns it off.
type limiter struct {
	perHour int
	mu      sync.Mutex
	windows map[string]*rateWindow
}

type rateWindow struct {
	start int64
	n     int
}

// allow counts one request at now and reports whether it is within the
// limit; when it is not, wait is the seconds until the window ends.
func (l *limiter) allow(cred string, now int64) (wait int64, ok bool) {
	if l.perHour <= 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.windows[cred]
	if w == nil || now >= w.start+hour || now < w.start {
		w = &rateWindow{start: now}
		l.windows[cred] = w
	}
	if w.n >= l.perHour {
		return max(1, w.start+hour-now), false
	}
	w.n++
	return 0, true
}
