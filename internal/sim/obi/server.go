// Package obi simulates the Open Brain Institute accounting service as
// described in shared/upstreams/obi/API.md, with deterministic data from a
// world.World.
//
// The simulator keeps the service's double-entry ledger (one SYS account,
// VLAB accounts, PROJ accounts each with an RSV child), prices with tiers,
// discounts, reservations, usage events applied by the consumer rules of
// API.md §7, chargers, job reports and open longrun jobs, and answers with
// the service's exact messages, envelopes and status codes, so that the
// portal's client and the real Python SDK work against it unchanged.
//
// Seeded data (see Directory for the names): one system account, every
// world virtual lab and project, prices for every subtype, discounts, and
// ~90 days of charged jobs per project. The finished history is generated
// on demand from the seed (never stored), so large scales stay small in
// memory; jobs still open when the history ends, and every job made
// through the API, are stored.
package obi

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// Version values /version answers with unless Options say otherwise.
const (
	DefaultAppVersion = "2026.06.2"
	DefaultCommitSHA  = "5d6a9f7e369c9f649ac4d313edfcfbd8e8b4eb4f"
)

// Options configure a simulator.
type Options struct {
	// World seeds the accounts, prices and history; nil gives an empty
	// service (no accounts, no prices), as a fresh deployment is.
	World *world.World
	// Now is the simulator's clock; nil means time.Now.
	Now func() time.Time
	// HistoryDays is how many days of charged jobs to seed; 0 means 90.
	HistoryDays int
	// ChargeEvery is how often the chargers run by themselves, checked at
	// each request against the simulated clock; 0 means every 600 s (the
	// service's CHARGE_*_LOOP_SLEEP), negative means only when RunChargers
	// is called.
	ChargeEvery time.Duration
	// Live makes small jobs happen as simulated time passes (a few per
	// project per hour, deterministic for the seed and clock), and keeps
	// the seeded open longrun jobs alive until their planned end, so a
	// demo's balances move. Off by default.
	Live bool
	// LiveInterval is the step of Live mode; 0 means 5 minutes.
	LiveInterval time.Duration
	// NewID returns the id of each new job (the service uses uuid4); nil
	// means deterministic UUIDs from the world's seed. Tests use it to
	// reproduce the service tests' mocked ids.
	NewID func() string
	// AppVersion and CommitSHA are what /version answers.
	AppVersion, CommitSHA string
}

// Server is a running simulator's handler. It is safe for concurrent use.
type Server struct {
	opts   Options
	faults *fault.Injector
	routes []route

	mu      sync.Mutex
	offset  time.Duration
	w       *world.World
	led     *ledger
	book    *priceBook
	jobs    *jobStore
	hist    *history
	usage   *usageQueue
	idSeq   int64
	charged time.Time // last automatic charger run
	live    *liveState
}

// New returns a simulator seeded from opts.World.
func New(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HistoryDays <= 0 {
		opts.HistoryDays = 90
	}
	if opts.ChargeEvery == 0 {
		opts.ChargeEvery = 600 * time.Second
	}
	if opts.LiveInterval <= 0 {
		opts.LiveInterval = 5 * time.Minute
	}
	if opts.AppVersion == "" {
		opts.AppVersion = DefaultAppVersion
	}
	if opts.CommitSHA == "" {
		opts.CommitSHA = DefaultCommitSHA
	}
	s := &Server{opts: opts, faults: fault.New(), w: opts.World, led: newLedger(), book: &priceBook{},
		jobs: newJobStore(), usage: newUsageQueue()}
	if s.w == nil {
		// Ids of jobs made through the API still need a deterministic source.
		s.w = world.New(0, 1)
	}
	s.routes = s.routeTable()
	now := s.now()
	s.charged = now
	if opts.World != nil {
		s.seed(now)
	}
	if opts.Live {
		s.live = newLiveState(s, now)
	}
	return s
}

// ServeHTTP serves the API with faults applied.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.faults.Wrap(http.HandlerFunc(s.serve)).ServeHTTP(w, r)
}

// Faults returns the fault injector.
func (s *Server) Faults() *fault.Injector { return s.faults }

// maxBody bounds a request body; the service has no limit of its own, but
// no valid request comes near it.
const maxBody = 8 << 20

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if cors(w, r) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeInternal(w)
		return
	}
	// The answer is built under the lock and written after it, so a slow
	// client never holds up the others.
	buf := &bufferedWriter{header: w.Header(), status: http.StatusOK}
	s.mu.Lock()
	now := s.now()
	s.catchUp(now)
	s.dispatch(buf, &call{w: buf, r: r, body: body, now: now, vd: validator{now: now}})
	s.mu.Unlock()
	w.WriteHeader(buf.status)
	w.Write(buf.body.Bytes())
}

// cors answers like the service's CORSMiddleware (every origin, with
// credentials); it reports whether r was a preflight it answered.
func cors(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Add("Vary", "Origin")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Max-Age", "600")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("OK"))
	return true
}

// bufferedWriter keeps an answer in memory until the lock is released.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}

// now is the simulated clock: Options.Now plus Advance, in microseconds
// like the service's PostgreSQL timestamps.
func (s *Server) now() time.Time {
	return s.opts.Now().Add(s.offset).UTC().Truncate(time.Microsecond)
}

// catchUp does what the service's background loops would have done up to
// now: Live mode's jobs, then the chargers when their interval has passed.
func (s *Server) catchUp(now time.Time) {
	if s.live != nil {
		s.live.advance(now)
	}
	if s.opts.ChargeEvery > 0 && now.Sub(s.charged) >= s.opts.ChargeEvery {
		s.runChargers(now)
	}
}

// newJobID returns the id of a new job.
func (s *Server) newJobID() string {
	if s.opts.NewID != nil {
		return s.opts.NewID()
	}
	s.idSeq++
	return s.w.UUID("obi/api-job", s.idSeq)
}
