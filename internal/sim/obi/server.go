// Package obi simulates the Open Brain Institute accounting service as
// described in shared/upstreams/obi/API.md, with deterministic data from a
// world.World.
package obi

import (
	"net/http"
	"time"

	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// Options configure a simulator.
type Options struct {
	World *world.World
	// Now is the simulator's clock; nil means time.Now.
	Now func() time.Time
}

// Server is a running simulator's handler.
type Server struct {
	opts   Options
	faults *fault.Injector
	mux    *http.ServeMux
}

// New returns a simulator seeded from opts.World.
func New(opts Options) *Server {
	s := &Server{opts: opts, faults: fault.New(), mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"OK"}`))
	})
	return s
}

// ServeHTTP serves the API with faults applied.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.faults.Wrap(s.mux).ServeHTTP(w, r)
}

// Faults returns the fault injector.
func (s *Server) Faults() *fault.Injector { return s.faults }
