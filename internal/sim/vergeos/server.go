// Package vergeos simulates the VergeOS billing API as described in
// shared/upstreams/vergeos/API.md, over HTTPS (served by the runner; the
// handler works over plain HTTP too), with deterministic data from a
// world.World.
//
// Routes: GET /api/v4/billing (fields, filter, sort, limit, offset), GET
// /api/v4/billing/{key}, POST /api/v4/billing_actions {"action":"generate"},
// GET /api/v4/system, the per-tenant tables GET /api/v4/tenants (and
// /{key}), /api/v4/tenant_stats, /api/v4/tenant_stats_history_short and
// _long (see tenants.go), and without auth GET /version.json and /health.
// Every /api route needs Basic (User/Password) or Bearer (APIKey) auth and
// counts against the per-credential hourly rate limit (Options.RateLimit).
//
// The billing table holds one record per hour ending at the clock's last
// full hour: 90 days at scale 1, about two years at scale 10, about twenty
// at scale 100. Records are computed from their index, so memory does not
// grow with the history; records made by "generate" are kept in addition.
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
	// RateLimit is the number of requests each credential may make per
	// hour before getting 429 with Retry-After; 0 turns the limit off.
	// DefaultRateLimit is the documented VergeOS limit.
	RateLimit int
}

// Server is a running simulator's handler.
type Server struct {
	opts    Options
	faults  *fault.Injector
	mux     *http.ServeMux
	table   *table
	tenants *tenantGen
	limiter *limiter
	world   *world.World
}

// New returns a simulator seeded from opts.World (nil: seed 1, scale 1).
// The history ends at the last full hour before opts.Now() at this call.
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
	if opts.Now == nil {
		opts.Now = time.Now
	}
	w := opts.World
	if w == nil {
		w = world.New(1, 1)
	}
	s := &Server{
		opts: opts, faults: fault.New(), mux: http.NewServeMux(), world: w,
		table:   &table{gen: newGenerator(w, opts.Now().Unix())},
		limiter: &limiter{perHour: opts.RateLimit, windows: map[string]*rateWindow{}},
	}
	s.tenants = newTenantGen(w, s.table.gen)
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	s.mux.HandleFunc("GET /version.json", s.handleVersion)
	s.mux.HandleFunc("/api/v4/billing", s.api(http.MethodGet, s.handleList))
	s.mux.HandleFunc("/api/v4/billing/{key}", s.api(http.MethodGet, s.handleGet))
	s.mux.HandleFunc("/api/v4/billing_actions", s.api(http.MethodPost, s.handleAction))
	s.mux.HandleFunc("/api/v4/system", s.api(http.MethodGet, s.handleSystem))
	s.mux.HandleFunc("/api/v4/tenants", s.api(http.MethodGet, s.handleTenants))
	s.mux.HandleFunc("/api/v4/tenants/{key}", s.api(http.MethodGet, s.handleTenant))
	s.mux.HandleFunc("/api/v4/tenant_stats", s.api(http.MethodGet, s.handleTenantStats))
	s.mux.HandleFunc("/api/v4/tenant_stats_history_short", s.api(http.MethodGet, s.handleHistory(false)))
	s.mux.HandleFunc("/api/v4/tenant_stats_history_long", s.api(http.MethodGet, s.handleHistory(true)))
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if s.authorize(w, r) != "" {
			s.handleNotFound(w, r)
		}
	})
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

func (s *Server) now() time.Time { return s.opts.Now() }

// RecordCount returns how many billing records exist now (hourly and generated).
func (s *Server) RecordCount() int64 {
	v := s.table.view(s.now().Unix())
	return v.total()
}

// GeneratedCount returns how many records "generate" actions have made.
func (s *Server) GeneratedCount() int { return s.table.generatedCount() }

// HistoryStart returns the start ("from") of the first hourly record.
func (s *Server) HistoryStart() time.Time { return time.Unix(s.table.gen.start, 0).UTC() }

// Generate makes a record of the usage now, as POST billing_actions does,
// and returns its $key (a hook for tests and the demo).
func (s *Server) Generate() int64 {
	key, _ := s.table.generate(s.now().Unix())
	return key
}

// cloudName is the system's name in the system check.
func (s *Server) cloudName() string {
	if len(s.world.Providers) > 0 {
		return s.world.Providers[0].ID + "-vergeos"
	}
	return "sim-vergeos"
}
