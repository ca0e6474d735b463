package amie

import (
	"crypto/subtle"
	"net/http"
	"strconv"
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

// errorJSON is an error answer.
type errorJSON struct {
	Error string `json:"error"`
}

// writeError answers status with the body {"error": msg}.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorJSON{msg})
}

// writeJSON answers status with v as JSON, on one line.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body := append(marshal(v), '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
