package main

import (
	"net/http"
	"time"
)

// newServer is the HTTP server the pages are measured on, set up as the
// portal's own (internal/app.Run).
func newServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute}
}
