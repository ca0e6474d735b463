package handlers

import "net/http"

// discard is a ResponseWriter that counts and drops the body, so a
// benchmark measures the handler's memory, not a buffer of the answer.
type discard struct {
	h http.Header
	n int64
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }
func (d *discard) WriteHeader(int)             {}
