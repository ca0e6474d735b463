// Package amie simulates the ACCESS AMIE Usage API as described in
// shared/upstreams/amie/API.md, with deterministic data from a world.World.
package amie

import (
	"net/http"
	"time"

	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// Default credentials and the path prefix of the API.
const (
	DefaultSite   = "SIMSITE"
	DefaultAPIKey = "sim-amie-api-key"
	BasePath      = "/api/v1"
)

// Options configure a simulator.
type Options struct {
	World *world.World
	// Now is the simulator's clock; nil means time.Now.
	Now func() time.Time
	// Site and APIKey are the accepted XA-SITE and XA-API-KEY; empty means the defaults.
	Site, APIKey string
}

// Server is a running simulator's handler.
type Server struct {
	opts   Options
	faults *fault.Injector
	mux    *http.ServeMux
}

// New returns a simulator seeded from opts.World.
func New(opts Options) *Server {
	if opts.Site == "" {
		opts.Site = DefaultSite
	}
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
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

// Site returns the accepted XA-SITE value.
func (s *Server) Site() string { return s.opts.Site }

// APIKey returns the accepted XA-API-KEY value.
func (s *Server) APIKey() string { return s.opts.APIKey }
