// Package vergeos simulates the VergeOS billing API as described in
// shared/upstreams/vergeos/API.md, over HTTPS, with deterministic data from
// a world.World.
package vergeos

import (
	"net/http"
	"time"

	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// Default credentials of the simulator.
const (
	DefaultUser     = "admin"
	DefaultPassword = "sim-vergeos-password"
	DefaultAPIKey   = "sim-vergeos-api-key"
)

// Options configure a simulator.
type Options struct {
	World *world.World
	// Now is the simulator's clock; nil means time.Now.
	Now func() time.Time
	// User, Password (Basic) and APIKey (Bearer); empty means the defaults.
	User, Password, APIKey string
}

// Server is a running simulator's handler.
type Server struct {
	opts   Options
	faults *fault.Injector
	mux    *http.ServeMux
}

// New returns a simulator seeded from opts.World.
func New(opts Options) *Server {
	if opts.User == "" {
		opts.User = DefaultUser
	}
	if opts.Password == "" {
		opts.Password = DefaultPassword
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

// User returns the Basic-auth user.
func (s *Server) User() string { return s.opts.User }

// Password returns the Basic-auth password.
func (s *Server) Password() string { return s.opts.Password }

// APIKey returns the Bearer API key.
func (s *Server) APIKey() string { return s.opts.APIKey }
