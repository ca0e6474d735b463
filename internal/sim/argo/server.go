// Package argo simulates the ARGO Accounting Service REST API as described
// in shared/upstreams/argo/API.md, over HTTPS, with deterministic data from
// a world.World.
//
// It serves the union of the 1.7.0 and 1.8 routes under /accounting-system
// (or one era's, see Options.Version) with the server's paging envelope,
// error bodies and quirks, so that both the portal's client and the
// official Python library (argo-acc-library) work against it unchanged.
// Metrics are generated on demand from (installation, index), so the
// volume can grow to millions without being held in memory; metrics POSTed
// to it are stored in addition and show in every later read.
package argo

import (
	"net/http"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// Default credentials of the simulator.
const (
	DefaultToken         = "sim-argo-admin-token"
	DefaultReadOnlyToken = "sim-argo-reader-token"
)

// Server eras (Options.Version).
const (
	// VersionUnion serves every route of both eras and every key either era
	// sends: external_id and capacities (1.8) and a null unit_of_access (1.7.0).
	VersionUnion = ""
	// Version170 is server 1.7.0: GET /projects lists projects, no
	// /admin/projects, no external_id nor capacities, unit_of_access null when unset.
	Version170 = "1.7.0"
	// Version181 is server 1.8.1: GET /projects is gone (404), projects are
	// listed at /admin/projects, an unset unit_of_access is omitted.
	Version181 = "1.8.1"
)

// Options configure a simulator.
type Options struct {
	World *world.World
	// Now is the simulator's clock; nil means time.Now. The generated
	// metrics end at midnight UTC of the day Now gives when New runs.
	Now func() time.Time
	// Token may read and write everything; ReadOnlyToken may read
	// everything and gets 403 on writes. Empty means the defaults.
	Token, ReadOnlyToken string
	// Version selects the era: VersionUnion (default), Version170 or Version181.
	Version string
	// Days is the length of every generated series in days; 0 means 365.
	Days int
}

// Server is a running simulator's handler.
type Server struct {
	opts   Options
	faults *fault.Injector
	mux    *http.ServeMux

	mu   sync.RWMutex // guards data: the handlers of writes hold it alone
	data *dataset
}

// New returns a simulator seeded from opts.World (world.New(1, 1) if nil).
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.ReadOnlyToken == "" {
		opts.ReadOnlyToken = DefaultReadOnlyToken
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.World == nil {
		opts.World = world.New(1, 1)
	}
	s := &Server{opts: opts, faults: fault.New(), mux: http.NewServeMux()}
	s.data = newDataset(opts.World, opts.Now(), opts.Days)
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	s.routes()
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

// Version returns the era the simulator serves (VersionUnion is "").
func (s *Server) Version() string { return s.opts.Version }
