// Package argo simulates the ARGO Accounting Service REST API as described
// in shared/upstreams/argo/API.md, over HTTPS, with deterministic data from
// a world.World.
package argo

import (
	"net/http"
	"time"

	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// Default credentials of the simulator.
const (
	DefaultToken         = "sim-argo-admin-token"
	DefaultReadOnlyToken = "sim-argo-reader-token"
)

// Options configure a simulator.
type Options struct {
	World *world.World
	// Now is the simulator's clock; nil means time.Now.
	Now func() time.Time
	// Token may read and write everything; ReadOnlyToken may read
	// everything and gets 403 on writes. Empty means the defaults.
	Token, ReadOnlyToken string
}

// Server is a running simulator's handler.
type Server struct {
	opts   Options
	faults *fault.Injector
	mux    *http.ServeMux
}

// New returns a simulator seeded from opts.World.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.ReadOnlyToken == "" {
		opts.ReadOnlyToken = DefaultReadOnlyToken
	}
	s := &Server{opts: opts, faults: fault.New(), mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	return s
}

// ServeHTTP serves the API with faults applied.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.faults.Wrap(s.mux).ServeHTTP(w, r)
}

// Faults returns the fault injector.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Token returns the read-write bearer token.
func (s *Server) Token() string { return s.opts.Token }

// ReadOnlyToken returns the read-only bearer token.
func (s *Server) ReadOnlyToken() string { return s.opts.ReadOnlyToken }
