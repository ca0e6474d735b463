package amie

import (
	"crypto/subtle"
	"net/http"
	"strconv"

	"github.com/accounting-portal/portal/internal/jsonbytes"
)

// api wraps an endpoint: it answers a wrong method with 405 and refused
// credentials with 401, both as {"error": ...} so amieclient can read them
// (API.md §6).
func (s *Server) api(method string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			writeError(w, http.StatusMethodNotAllowed, "Method "+r.Method+" not allowed on "+r.URL.Path)
			return
		}
		site, key := r.Header.Get("XA-SITE"), r.Header.Get("XA-API-KEY")
		if site == "" || key == "" {
			writeError(w, http.StatusUnauthorized, "Missing XA-SITE or XA-API-KEY header")
			return
		}
		siteOK := subtle.ConstantTimeCompare([]byte(site), []byte(s.opts.Site)) == 1
		keyOK := subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.APIKey)) == 1
		if !siteOK || !keyOK {
			writeError(w, http.StatusUnauthorized, "Invalid XA-API-KEY for site "+site)
			return
		}
		h(w, r)
	}
}

// writeError answers status with the body {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	b := []byte(`{"error":`)
	b = jsonbytes.AppendString(b, msg)
	b = append(b, '}', '\n')
	writeJSON(w, status, b)
}

// writeJSON answers status with an already encoded JSON body.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
