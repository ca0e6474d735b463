// Package amie simulates the ACCESS AMIE Usage API as described in
// shared/upstreams/amie/API.md, with deterministic data from a world.World.
//
// The simulator is a strict server that real clients (the Python amieclient
// 0.6.1 and the portal's own client) can use unchanged:
//
//   - POST usage/ (also usage) validates each record synchronously and
//     answers exactly 200 with {"Message", "ValidationFailedRecords"};
//     envelope problems are 400 {"error"}, bodies over Options.MaxBody 413.
//   - Accepted records are queued and processed once Options.ProcessDelay
//     has passed on the simulator's clock (evaluated lazily on every read, or
//     at once with ProcessNow) into loaded or failed. Failures get a
//     FailedRecordID and stay listed in GET usage/failed until cleared by
//     DELETE usage/failed/{ids}.
//   - GET usage/status answers per resource for a processing-time window.
//   - LocalRecordID is unique per (usage type, resource): a resend of an
//     identical record is accepted as "already received" and not counted
//     again; a changed record with the same key replaces the earlier one.
//
// A history of compute records (Options.HistoryDays before the clock's
// current day, plus today up to now) is generated from the world and kept
// as per-resource, per-day aggregates plus an index of its failures, so
// millions of records cost no heap object each. See history.go.
package amie

import (
	"net/http"
	"sync"
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

// Defaults of the tunable options.
const (
	// DefaultMaxBody is the largest accepted POST body: 768 KiB, the limit
	// amieclient keeps to (API.md §7).
	DefaultMaxBody = 768 << 10
	// DefaultProcessDelay is how long a queued record waits before it is processed.
	DefaultProcessDelay = 5 * time.Second
	// DefaultHistoryDays is the length of the generated history.
	DefaultHistoryDays = 90
)

// Options configure a simulator.
type Options struct {
	// World is the shared cast the data is seeded from; nil means world.New(0, 1).
	World *world.World
	// Now is the simulator's clock; nil means time.Now.
	Now func() time.Time
	// Site and APIKey are the accepted XA-SITE and XA-API-KEY; empty means the defaults.
	Site, APIKey string
	// MaxBody is the largest accepted POST body in bytes; 0 means DefaultMaxBody.
	MaxBody int64
	// ProcessDelay is how long after receipt a queued record is processed;
	// 0 means DefaultProcessDelay, a negative value means at once.
	ProcessDelay time.Duration
	// HistoryDays is how many whole days of generated history precede the
	// current day; 0 means DefaultHistoryDays, a negative value means none.
	HistoryDays int
	// Extra adds projects, resources and users beyond the world's, e.g. the
	// ones the amieclient capture uses (TG-ABC123, jdoe, ...).
	Extra Cast
}

// Cast lists extra names the simulator accepts. Every extra user is a
// member of every extra project.
type Cast struct {
	Projects  []string // LocalProjectIDs
	Resources []string
	Users     []string
}

// Server is a running simulator's handler.
type Server struct {
	opts   Options
	faults *fault.Injector
	mux    *http.ServeMux
	cast   *cast
	hist   *history

	mu sync.Mutex
	st *store
}

// New returns a simulator seeded from opts.World (world.New(0, 1) when nil).
func New(opts Options) *Server {
	if opts.Site == "" {
		opts.Site = DefaultSite
	}
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if opts.World == nil {
		opts.World = world.New(0, 1)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.ProcessDelay == 0 {
		opts.ProcessDelay = DefaultProcessDelay
	}
	if opts.HistoryDays == 0 {
		opts.HistoryDays = DefaultHistoryDays
	}
	s := &Server{opts: opts, faults: fault.New(), mux: http.NewServeMux()}
	s.cast = newCast(opts.World, opts.Extra)
	s.hist = newHistory(opts.World, s.cast, max(opts.HistoryDays, 0), opts.Now())
	s.cast.setAllocations(s.hist)
	s.st = newStore(s.cast, s.hist)
	s.routes()
	return s
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok"}`))
	})
	s.mux.HandleFunc(BasePath+"/usage/{$}", s.api(http.MethodPost, s.handleSend))
	s.mux.HandleFunc(BasePath+"/usage", s.api(http.MethodPost, s.handleSend))
	s.mux.HandleFunc(BasePath+"/usage/failed", s.api(http.MethodGet, s.handleFailed))
	s.mux.HandleFunc(BasePath+"/usage/failed/{ids}", s.api(http.MethodDelete, s.handleClear))
	s.mux.HandleFunc(BasePath+"/usage/status", s.api(http.MethodGet, s.handleStatus))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not found: "+r.URL.Path)
	})
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

// ProcessNow processes every queued record at once, as if its delay had
// passed; records processed early are stamped with the current clock.
func (s *Server) ProcessNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.process(s.opts.Now().UnixNano(), true)
}

// advance processes the records whose delay has passed; callers hold s.mu.
func (s *Server) advance() int64 {
	now := s.opts.Now().UnixNano()
	s.st.process(now, false)
	return now
}
