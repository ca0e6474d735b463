package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/clients/argo"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"golang.org/x/sync/errgroup"
)

// The ARGO sync. Each run:
//
//  1. reads every project, provider, metric definition and installation
//     and upserts them in one transaction;
//  2. reads each project's metrics page by page (a few projects at once)
//     and upserts them by id in batched transactions: everything the first
//     time and once every FullEvery, otherwise a trailing window that
//     starts Lookback before the newest metric the last runs read, so
//     metrics that arrive late are caught without re-reading years;
//  3. only when all of that succeeded, removes in one transaction what the
//     run did not see: entities gone from ARGO (their metrics with them)
//     and, inside each window read, metrics gone from ARGO.
//
// A run that fails at any point has written only complete upserts of
// what ARGO said, and removed nothing: the last good data stays.

// ArgoSource is what the ARGO sync reads; *argo.Client implements it.
type ArgoSource interface {
	Projects(ctx context.Context) ([]argo.Project, error)
	Providers(ctx context.Context) ([]argo.Provider, error)
	MetricDefinitions(ctx context.Context) ([]argo.MetricDefinition, error)
	Installations(ctx context.Context) ([]argo.Installation, error)
	ProjectInstallations(ctx context.Context, projectID string) ([]argo.Installation, error)
	EachProjectMetric(ctx context.Context, projectID string, f argo.MetricFilter, fn func(page []argo.Metric) error) error
}

// ArgoStore is where the ARGO sync writes; *cache.DB implements it.
type ArgoStore interface {
	BeginArgoSync(ctx context.Context) (metrics.SyncState, error)
	UpsertArgoEntities(ctx context.Context, gen int64, e metrics.Entities) (int64, error)
	UpsertArgoMetrics(ctx context.Context, gen int64, defs []metrics.Definition, ms []metrics.Metric) (int64, error)
	RefreshArgoTotals(ctx context.Context, project string, from time.Time) error
	FinishArgoSync(ctx context.Context, s metrics.Sweep) (int64, error)
}

// ArgoBatch is the default number of metrics the ARGO sync writes per
// transaction.
const ArgoBatch = 10000

// ArgoOptions tune the ARGO sync; zero values take the defaults.
type ArgoOptions struct {
	Interval time.Duration
	// Lookback is how far before the newest stored metric an incremental
	// run starts reading (default 7 days).
	Lookback time.Duration
	// FullEvery is how often a run re-reads every metric (default 24 hours),
	// which also catches changes to old metrics.
	FullEvery time.Duration
	// Batch is the number of metrics per transaction (default ArgoBatch).
	Batch int
	// Workers is how many projects are read at once (default 4).
	Workers int
	// Timeout bounds one run (default 30 minutes: a first full read of a
	// large service takes a while).
	Timeout time.Duration
	Now     func() time.Time
	Log     *slog.Logger
}

func (o *ArgoOptions) defaults() {
	if o.Lookback <= 0 {
		o.Lookback = 7 * 24 * time.Hour
	}
	if o.FullEvery <= 0 {
		o.FullEvery = 24 * time.Hour
	}
	if o.Batch <= 0 {
		o.Batch = ArgoBatch
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// ArgoJob returns the scheduler job that syncs ARGO.
func ArgoJob(src ArgoSource, store ArgoStore, o ArgoOptions) Job {
	o.defaults()
	return Job{Upstream: portal.UpstreamArgo, Interval: o.Interval, Timeout: o.Timeout,
		Run: func(ctx context.Context) (int64, error) { return SyncArgo(ctx, src, store, o) }}
}

// SyncArgo runs one ARGO sync and returns the rows it wrote.
func SyncArgo(ctx context.Context, src ArgoSource, store ArgoStore, o ArgoOptions) (int64, error) {
	o.defaults()
	st, err := store.BeginArgoSync(ctx)
	if err != nil {
		return 0, err
	}
	ents, err := readArgoEntities(ctx, src)
	if err != nil {
		return 0, err
	}
	rows, err := store.UpsertArgoEntities(ctx, st.Generation, ents)
	if err != nil {
		return 0, err
	}
	now := o.Now().UTC()
	full := now.Sub(st.LastFull) >= o.FullEvery
	windows := map[string]time.Time{}
	for _, p := range projectsWithInstallations(ents) {
		if newest, ok := st.Newest[p]; ok && !full {
			windows[p] = newest.Add(-o.Lookback).Truncate(24 * time.Hour)
		} else {
			windows[p] = time.Time{}
		}
	}
	// A full run's totals are counted once, at its end, in one pass over
	// every metric: per project, the same work reads each metric's row
	// through the index one at a time. A run of windows refreshes each
	// project's window as soon as it is stored, while others are read.
	r := &argoMetricReader{src: src, store: store, gen: st.Generation, batch: o.Batch, newest: map[string]time.Time{},
		knownDefs: map[string]bool{}, refreshed: map[string]bool{}, refreshEach: !full}
	for _, d := range ents.Definitions {
		r.knownDefs[d.ID] = true
	}
	n, err := r.readAll(ctx, windows, o.Workers)
	rows += n
	if err != nil {
		return rows, err
	}
	removed, err := store.FinishArgoSync(ctx, metrics.Sweep{Generation: st.Generation, Windows: windows, Newest: r.newest, Full: full, At: now,
		Refreshed: r.refreshed})
	if err != nil {
		return rows, err
	}
	o.Log.Debug("ARGO sync", slog.Bool("full", full), slog.Int("projects", len(windows)), slog.Int64("rows", rows), slog.Int64("removed", removed))
	return rows, nil
}

// readArgoEntities reads the entity lists. Listing every installation may
// need a system administrator's token; without one, each project's
// installations are listed instead.
func readArgoEntities(ctx context.Context, src ArgoSource) (metrics.Entities, error) {
	var e metrics.Entities
	projects, err := src.Projects(ctx)
	if err != nil {
		return e, err
	}
	providers, err := src.Providers(ctx)
	if err != nil {
		return e, err
	}
	defs, err := src.MetricDefinitions(ctx)
	if err != nil {
		return e, err
	}
	insts, err := src.Installations(ctx)
	if code := portal.ErrorCode(err); code == portal.EFORBIDDEN || code == portal.ENOTFOUND {
		insts = nil
		for _, p := range projects {
			pi, err := src.ProjectInstallations(ctx, p.ID)
			if err != nil {
				return e, err
			}
			insts = append(insts, pi...)
		}
	} else if err != nil {
		return e, err
	}
	for _, p := range projects {
		e.Projects = append(e.Projects, metrics.Project{ID: p.ID, Acronym: p.Acronym, Title: p.Title,
			StartDate: p.StartDate, EndDate: p.EndDate, CallID: p.CallIdentifier})
	}
	for _, p := range providers {
		e.Providers = append(e.Providers, metrics.Provider{ID: p.ID, Name: p.Name, Website: p.Website,
			Abbreviation: p.Abbreviation, Logo: p.Logo, ExternalID: p.ExternalID})
	}
	for _, d := range defs {
		e.Definitions = append(e.Definitions, argoDefinition(d))
	}
	for _, in := range insts {
		e.Installations = append(e.Installations, metrics.Installation{ID: in.ID, ProjectID: in.ProjectID, ProviderID: in.ProviderID,
			Infrastructure: in.Infrastructure, Name: in.Installation, Resource: in.Resource, External: in.ExternalID,
			UnitOfAccess: in.UnitOfAccess.MetricDefinitionID})
		if d := in.UnitOfAccess.Definition; d != nil && !hasDefinition(e.Definitions, d.ID) {
			e.Definitions = append(e.Definitions, argoDefinition(*d))
		}
	}
	return e, nil
}

func argoDefinition(d argo.MetricDefinition) metrics.Definition {
	return metrics.Definition{ID: d.ID, Name: d.Name, Description: d.Description, UnitType: d.UnitType, MetricType: d.MetricType}
}

func hasDefinition(defs []metrics.Definition, id string) bool {
	for _, d := range defs {
		if d.ID == id {
			return true
		}
	}
	return false
}

// projectsWithInstallations lists the projects whose metrics to read, in
// order: a project without installations has none.
func projectsWithInstallations(e metrics.Entities) []string {
	seen := map[string]bool{}
	var out []string
	for _, in := range e.Installations {
		if !seen[in.ProjectID] {
			seen[in.ProjectID] = true
			out = append(out, in.ProjectID)
		}
	}
	return out
}

// argoMetricReader reads projects' metrics and writes them in batches.
// The workers only read: each full batch goes to one writer goroutine, so
// the next pages are in flight while a batch is stored (the database has
// one writer anyway).
type argoMetricReader struct {
	src   ArgoSource
	store ArgoStore
	gen   int64
	batch int
	queue chan argoWrite

	mu        sync.Mutex
	newest    map[string]time.Time // per project, the newest metric start read
	knownDefs map[string]bool
	refreshed map[string]bool // projects whose totals the writer refreshed
	rows      int64
	// refreshEach has the writer refresh each project's totals once its
	// metrics are stored.
	refreshEach bool
}

// argoWrite is what the writer goroutine does next: store a batch of
// metrics, or, once a project's last batch is stored, bring its totals up
// to date from its window's start.
type argoWrite struct {
	metrics []metrics.Metric
	project string // set: the project is read whole
	from    time.Time
}

// readAll reads the projects' windows, in project order, with up to
// workers at once, while one goroutine stores what they read; the first
// error (a read's or a write's) cancels the rest and is returned. A
// cancelled run reports the cancellation even when every project it
// started finished, since the projects it did not start were not read.
func (r *argoMetricReader) readAll(ctx context.Context, windows map[string]time.Time, workers int) (int64, error) {
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Two batches wait at most: memory stays bounded when writing is
	// slower than reading.
	if r.refreshed == nil {
		r.refreshed = map[string]bool{}
	}
	r.queue = make(chan argoWrite, 2)
	written := make(chan error, 1)
	go func() {
		var err error
		for w := range r.queue {
			if err != nil {
				continue // drain, so no worker waits forever
			}
			if w.project != "" {
				if err = r.store.RefreshArgoTotals(wctx, w.project, w.from); err != nil {
					cancel(err)
					continue
				}
				r.mu.Lock()
				r.refreshed[w.project] = true
				r.mu.Unlock()
				continue
			}
			n, werr := r.store.UpsertArgoMetrics(wctx, r.gen, nil, w.metrics)
			if werr != nil {
				err = werr
				cancel(werr)
				continue
			}
			r.mu.Lock()
			r.rows += n
			r.mu.Unlock()
		}
		written <- err
	}()
	g, gctx := errgroup.WithContext(wctx)
	g.SetLimit(workers)
	for _, p := range slices.Sorted(maps.Keys(windows)) {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			// Go may have waited for a slot while another project failed.
			if err := gctx.Err(); err != nil {
				return err
			}
			return r.readProject(gctx, p, windows[p])
		})
	}
	err := g.Wait()
	close(r.queue)
	if werr := <-written; werr != nil {
		err = werr
	} else if err == nil {
		err = context.Cause(ctx)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rows, err
}

// readProject reads one project's metrics from the window's start and
// hands them to the writer in batches.
func (r *argoMetricReader) readProject(ctx context.Context, project string, from time.Time) error {
	buf := make([]metrics.Metric, 0, r.batch)
	var newest time.Time
	send := func(w argoWrite) error {
		select {
		case r.queue <- w:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := send(argoWrite{metrics: buf}); err != nil {
			return err
		}
		buf = make([]metrics.Metric, 0, r.batch)
		return nil
	}
	err := r.src.EachProjectMetric(ctx, project, argo.MetricFilter{Start: from}, func(page []argo.Metric) error {
		for _, m := range page {
			if err := r.ensureDefinition(ctx, m); err != nil {
				return err
			}
			buf = append(buf, metrics.Metric{ID: m.ID, InstallationID: m.InstallationID, DefinitionID: m.MetricDefinitionID,
				Start: m.Start, End: m.End, Value: m.Value, GroupID: m.GroupID, UserID: m.UserID})
			if m.Start.After(newest) {
				newest = m.Start
			}
		}
		if len(buf) >= r.batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil && r.refreshEach {
		err = send(argoWrite{project: project, from: from})
	}
	if err != nil {
		return fmt.Errorf("ARGO metrics of project %s: %w", project, err)
	}
	if !newest.IsZero() {
		r.mu.Lock()
		r.newest[project] = newest
		r.mu.Unlock()
	}
	return nil
}

// ensureDefinition stores the definition a metric names when the run has
// not seen it yet (the one nested in the metric, or a placeholder), so the
// metric is stored rather than lost. It writes at once, before any worker
// can store a metric that refers to it.
func (r *argoMetricReader) ensureDefinition(ctx context.Context, m argo.Metric) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.knownDefs[m.MetricDefinitionID] {
		return nil
	}
	d := metrics.Definition{ID: m.MetricDefinitionID, Name: m.MetricDefinitionID}
	if m.Definition != nil {
		d = argoDefinition(*m.Definition)
	}
	if _, err := r.store.UpsertArgoMetrics(ctx, r.gen, []metrics.Definition{d}, nil); err != nil {
		return err
	}
	r.knownDefs[m.MetricDefinitionID] = true
	return nil
}
