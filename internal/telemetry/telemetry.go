// Package telemetry gives operators the portal's health as Prometheus
// metrics, on a listener of its own (PORTAL_METRICS_ADDR): /metrics on
// the main address is the ARGO metrics page, and the operators' numbers
// need no sign-in but should not face the internet.
//
// Counters and histograms are kept as things happen (sync runs, HTTP
// answers, failed sign-ins); what the database knows (the last successful
// sync of each upstream, the outbox items by kind and state, the
// database's size) is read when Prometheus scrapes, so it is never stale.
package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accounting-portal/portal/internal/portal"
)

// Store is what the scrape reads from the database; *cache.DB implements it.
type Store interface {
	SourceStatuses(ctx context.Context, upstreams []string) (map[string]portal.SourceStatus, error)
	OutboxStats(ctx context.Context) ([]portal.OutboxStat, error)
}

// Recorder records sync runs; *cache.DB implements it (syncer.Recorder).
type Recorder interface {
	StartSyncRun(ctx context.Context, upstream string) (int64, error)
	FinishSyncRun(ctx context.Context, id int64, rows int64, errText string) error
}

// Telemetry is the portal's metrics.
type Telemetry struct {
	reg   *prometheus.Registry
	store Store
	// Upstreams are the configured upstreams, whose sync age is reported.
	upstreams []string
	dbPath    string
	now       func() time.Time

	syncRuns     *prometheus.CounterVec
	syncFailures *prometheus.CounterVec
	syncRows     *prometheus.CounterVec
	syncDuration *prometheus.HistogramVec
	httpDuration *prometheus.HistogramVec
	signIns      prometheus.Counter

	mu      sync.Mutex
	running map[int64]run
}

type run struct {
	upstream string
	started  time.Time
}

// New returns the metrics of a portal whose database file is dbPath and
// whose configured upstreams are upstreams. now is the clock (nil: time.Now).
func New(store Store, upstreams []string, dbPath string, now func() time.Time) *Telemetry {
	if now == nil {
		now = time.Now
	}
	t := &Telemetry{reg: prometheus.NewRegistry(), store: store, upstreams: upstreams, dbPath: dbPath, now: now, running: map[int64]run{}}
	t.syncRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_sync_runs_total",
		Help: "Sync runs finished, per upstream."}, []string{"upstream"})
	t.syncFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_sync_failures_total",
		Help: "Sync runs that failed, per upstream."}, []string{"upstream"})
	t.syncRows = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portal_sync_rows_total",
		Help: "Rows written by sync runs, per upstream."}, []string{"upstream"})
	t.syncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portal_sync_duration_seconds",
		Help: "How long sync runs took, per upstream.", Buckets: []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800}}, []string{"upstream"})
	t.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portal_http_request_duration_seconds",
		Help: "How long HTTP answers took, by route pattern, method and status.", Buckets: prometheus.DefBuckets}, []string{"route", "method", "status"})
	t.signIns = prometheus.NewCounter(prometheus.CounterOpts{Name: "portal_signin_failures_total",
		Help: "Sign-ins that were started here and then failed (refused by the provider, or an answer that did not verify)."})
	for _, u := range upstreams {
		// Known upstreams start at zero, so a rate() has a baseline.
		t.syncRuns.WithLabelValues(u)
		t.syncFailures.WithLabelValues(u)
		t.syncRows.WithLabelValues(u)
	}
	t.reg.MustRegister(t.syncRuns, t.syncFailures, t.syncRows, t.syncDuration, t.httpDuration, t.signIns, &scrape{t: t},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return t
}

// Registry is the registry the metrics are in (tests gather it).
func (t *Telemetry) Registry() *prometheus.Registry { return t.reg }

// Handler serves the metrics in Prometheus' text format.
func (t *Telemetry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(t.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	return mux
}

// ObserveHTTP records one HTTP answer (handlers.Deps.Observe). An unknown
// route (a 404 of no route) is labelled by no path, so a scan of random
// URLs cannot make new series.
func (t *Telemetry) ObserveHTTP(route, method string, status int, took time.Duration) {
	if route == "" {
		route = "(none)"
	}
	t.httpDuration.WithLabelValues(route, method, strconv.Itoa(status)).Observe(took.Seconds())
}

// SignInFailed counts a failed sign-in (auth.Config.SignInFailed).
func (t *Telemetry) SignInFailed() { t.signIns.Inc() }

// Recorder wraps the recorder of sync runs so that each run is counted.
func (t *Telemetry) Recorder(next Recorder) Recorder { return &recorder{t: t, next: next} }

type recorder struct {
	t    *Telemetry
	next Recorder
}

func (r *recorder) StartSyncRun(ctx context.Context, upstream string) (int64, error) {
	id, err := r.next.StartSyncRun(ctx, upstream)
	if err == nil {
		r.t.mu.Lock()
		r.t.running[id] = run{upstream: upstream, started: r.t.now()}
		r.t.mu.Unlock()
	}
	return id, err
}

func (r *recorder) FinishSyncRun(ctx context.Context, id int64, rows int64, errText string) error {
	err := r.next.FinishSyncRun(ctx, id, rows, errText)
	r.t.mu.Lock()
	started, ok := r.t.running[id]
	delete(r.t.running, id)
	r.t.mu.Unlock()
	if ok {
		u := started.upstream
		r.t.syncRuns.WithLabelValues(u).Inc()
		r.t.syncRows.WithLabelValues(u).Add(float64(max(rows, 0)))
		r.t.syncDuration.WithLabelValues(u).Observe(r.t.now().Sub(started.started).Seconds())
		if errText != "" {
			r.t.syncFailures.WithLabelValues(u).Inc()
		}
	}
	return err
}

// openStates are the outbox states of items not yet settled, whose age
// tells whether deliveries keep up.
var openStates = map[string]bool{portal.OutboxQueued: true, portal.OutboxSending: true, portal.OutboxVerify: true, portal.OutboxUncertain: true}

// scrape reads what the database knows, at each scrape.
type scrape struct{ t *Telemetry }

var (
	descSyncAge = prometheus.NewDesc("portal_sync_last_success_age_seconds",
		"Seconds since the last successful sync of each configured upstream (+Inf: none yet).", []string{"upstream"}, nil)
	descSyncLast = prometheus.NewDesc("portal_sync_last_success_timestamp_seconds",
		"When the last successful sync of each upstream finished (Unix seconds; absent: none yet).", []string{"upstream"}, nil)
	descOutbox = prometheus.NewDesc("portal_outbox_items",
		"Outbox items by kind and state (the mail queue is a kind too).", []string{"kind", "state"}, nil)
	descOutboxAge = prometheus.NewDesc("portal_outbox_oldest_open_age_seconds",
		"Age of the oldest outbox item of each kind not yet settled (queued, sending, verify or uncertain); 0 when there is none.", []string{"kind"}, nil)
	descDBSize = prometheus.NewDesc("portal_database_size_bytes",
		"Size of the SQLite database: the file and its write-ahead log.", nil, nil)
	descScrapeErr = prometheus.NewDesc("portal_telemetry_read_errors",
		"1 when this scrape could not read the database.", nil, nil)
)

func (s *scrape) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSyncAge, descSyncLast, descOutbox, descOutboxAge, descDBSize, descScrapeErr} {
		ch <- d
	}
}

func (s *scrape) Collect(ch chan<- prometheus.Metric) {
	t := s.t
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := t.now()
	failed := 0.0
	if st, err := t.store.SourceStatuses(ctx, t.upstreams); err != nil {
		failed = 1
	} else {
		for _, u := range t.upstreams {
			age := math.Inf(1)
			if last := st[u].DataAsOf(); !last.IsZero() {
				age = max(now.Sub(last).Seconds(), 0)
				ch <- prometheus.MustNewConstMetric(descSyncLast, prometheus.GaugeValue, float64(last.Unix()), u)
			}
			ch <- prometheus.MustNewConstMetric(descSyncAge, prometheus.GaugeValue, age, u)
		}
	}
	if stats, err := t.store.OutboxStats(ctx); err != nil {
		failed = 1
	} else {
		oldest := map[string]float64{}
		for _, k := range portal.OutboxKinds {
			oldest[k] = 0
		}
		for _, st := range stats {
			ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(st.Items), st.Kind, st.State)
			if openStates[st.State] && !st.Oldest.IsZero() {
				oldest[st.Kind] = max(oldest[st.Kind], now.Sub(st.Oldest).Seconds())
			}
		}
		for k, age := range oldest {
			ch <- prometheus.MustNewConstMetric(descOutboxAge, prometheus.GaugeValue, age, k)
		}
	}
	var size int64
	for _, p := range []string{t.dbPath, t.dbPath + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			size += fi.Size()
		}
	}
	ch <- prometheus.MustNewConstMetric(descDBSize, prometheus.GaugeValue, float64(size))
	ch <- prometheus.MustNewConstMetric(descScrapeErr, prometheus.GaugeValue, failed)
}

// Serve serves the metrics on ln until ctx ends.
func (t *Telemetry) Serve(ctx context.Context, ln net.Listener, log *slog.Logger) error {
	srv := &http.Server{Handler: t.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
