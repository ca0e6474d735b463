package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/certpool"
	"github.com/accounting-portal/portal/internal/clients/amie"
	"github.com/accounting-portal/portal/internal/clients/argo"
	"github.com/accounting-portal/portal/internal/clients/obi"
	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/syncer"
	"github.com/accounting-portal/portal/internal/usage"
)

// upstreams are the four upstreams in the order they are measured.
var upstreams = []string{portal.UpstreamArgo, portal.UpstreamOBI, portal.UpstreamAMIE, portal.UpstreamVergeOS}

// clientSet holds one client per upstream, built as internal/app builds
// them (same transport, timeouts, retries and page sizes), so the portal's
// sync and the fetch floor talk to the simulators through the same code.
type clientSet struct {
	argo    *argo.Client
	obi     *obi.Client
	amie    *amie.Client
	vergeos *vergeos.Client
	http    []*http.Client
}

func newClients(cfg *config.Config) (*clientSet, error) {
	cs := &clientSet{}
	log := slog.New(slog.DiscardHandler)
	hc := func(caFile string) (*http.Client, error) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		c := &http.Client{Transport: tr}
		cs.http = append(cs.http, c)
		if caFile == "" {
			return c, nil
		}
		pool, err := certpool.WithCA(caFile)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		return c, nil
	}
	var err error
	h, err := hc(cfg.Argo.CAFile)
	if err != nil {
		return nil, err
	}
	if cs.argo, err = argo.New(argo.Config{BaseURL: cfg.Argo.URL, Token: cfg.Argo.Token, Timeout: cfg.UpstreamTimeout, Retries: 2,
		HTTPClient: h, Logger: log}); err != nil {
		return nil, err
	}
	if h, err = hc(""); err != nil {
		return nil, err
	}
	if cs.obi, err = obi.New(obi.Config{BaseURL: cfg.OBI.URL, Token: cfg.OBI.Token, Timeout: cfg.UpstreamTimeout, Retries: 2,
		HTTPClient: h, Logger: log}); err != nil {
		return nil, err
	}
	if h, err = hc(""); err != nil {
		return nil, err
	}
	if cs.amie, err = amie.New(amie.Config{BaseURL: cfg.AMIE.URL, Site: cfg.AMIE.Site, APIKey: cfg.AMIE.APIKey, Timeout: cfg.UpstreamTimeout,
		Retries: 2, HTTPClient: h, Logger: log}); err != nil {
		return nil, err
	}
	if h, err = hc(cfg.VergeOS.CAFile); err != nil {
		return nil, err
	}
	if cs.vergeos, err = vergeos.New(vergeos.Config{BaseURL: cfg.VergeOS.URL, User: cfg.VergeOS.User, Password: cfg.VergeOS.Password,
		APIKey: cfg.VergeOS.APIKey, PageSize: vergeos.MaxPageSize, Timeout: cfg.UpstreamTimeout, Retries: vergeos.DefaultRetries,
		HTTPClient: h, Logger: log}); err != nil {
		return nil, err
	}
	return cs, nil
}

// closeIdle drops the keep-alive connections, so every measured sync
// starts from cold connections as a scheduled run would.
func (cs *clientSet) closeIdle() {
	for _, c := range cs.http {
		c.CloseIdleConnections()
	}
}

// job is the upstream's sync job as the portal runs it, writing to store.
func (cs *clientSet) job(upstream string, store any) syncer.Job {
	j := cs.upstreamJob(upstream, store)
	j.Timeout = time.Hour
	return j
}

func (cs *clientSet) upstreamJob(upstream string, store any) syncer.Job {
	switch upstream {
	case portal.UpstreamArgo:
		return syncer.ArgoJob(cs.argo, store.(syncer.ArgoStore), syncer.ArgoOptions{Interval: time.Hour})
	case portal.UpstreamOBI:
		return syncer.OBISyncJob(cs.obi, store.(syncer.OBIStore), syncer.OBIOptions{Interval: time.Hour})
	case portal.UpstreamAMIE:
		return syncer.AMIEJob(cs.amie, store.(syncer.AMIEStore), time.Hour, syncer.AMIEOptions{})
	default:
		return syncer.VergeOSJob(cs.vergeos, store.(syncer.VergeOSStore), time.Hour)
	}
}

// discard is the fetch floor's store: it answers the questions a sync
// asks before it reads (what it has, where the last run stopped) from the
// real database, so it reads exactly the pages the portal's run would,
// and throws away everything the sync would write.
type discard struct{ db *cache.DB }

func (d discard) BeginArgoSync(ctx context.Context) (metrics.SyncState, error) {
	return d.db.BeginArgoSync(ctx)
}
func (discard) UpsertArgoEntities(_ context.Context, _ int64, e metrics.Entities) (int64, error) {
	return int64(len(e.Projects) + len(e.Providers) + len(e.Definitions) + len(e.Installations)), nil
}
func (discard) UpsertArgoMetrics(_ context.Context, _ int64, defs []metrics.Definition, ms []metrics.Metric) (int64, error) {
	return int64(len(ms)), nil
}
func (discard) RefreshArgoTotals(context.Context, string, time.Time) error   { return nil }
func (discard) FinishArgoSync(context.Context, metrics.Sweep) (int64, error) { return 0, nil }

func (d discard) OBITargets(ctx context.Context) ([]budgets.Target, error) {
	return d.db.OBITargets(ctx)
}
func (discard) SaveOBIBalances(_ context.Context, _ time.Time, labs []budgets.LabReading) (int64, error) {
	return int64(len(labs)), nil
}
func (discard) ReplaceOBIDiscounts(_ context.Context, _ string, ds []budgets.Discount) (int64, error) {
	return int64(len(ds)), nil
}
func (d discard) SaveOBIJobs(ctx context.Context, jobs []budgets.Job) (int64, error) {
	// An incremental walk (pages of syncer's IncrementalPageSize, 100)
	// stops at a page of known jobs: answer as the real store would, by
	// comparing (not writing). A full walk's batches are larger, and it
	// reads every page whatever the answer.
	if len(jobs) > 100 {
		return int64(len(jobs)), nil
	}
	return d.db.OBIJobsChanged(ctx, jobs)
}
func (d discard) OBIJobCursorOf(ctx context.Context, projID string) (budgets.JobCursor, error) {
	return d.db.OBIJobCursorOf(ctx, projID)
}
func (discard) SetOBIJobCursor(context.Context, string, budgets.JobCursor) error { return nil }

func (d discard) AMIESyncState(ctx context.Context) (usage.SyncState, error) {
	return d.db.AMIESyncState(ctx)
}
func (discard) SaveAMIEStatus(_ context.Context, rows []usage.StatusDay, _, _, _ time.Time, _ bool) (int64, error) {
	return int64(len(rows)), nil
}
func (discard) ReplaceAMIEFailedStream(_ context.Context, read func(add func([]usage.FailedRecord) error, restart func() error) error) (int64, error) {
	var n int64
	err := read(func(recs []usage.FailedRecord) error {
		n += int64(len(recs))
		return nil
	}, func() error {
		n = 0
		return nil
	})
	return n, err
}

func (d discard) BillingHighWater(ctx context.Context) (int64, bool, error) {
	return d.db.BillingHighWater(ctx)
}
func (discard) UpsertBillingRecords(_ context.Context, records []billing.Record) (int64, error) {
	return int64(len(records)), nil
}

// syncResult is one measured run.
type syncResult struct {
	took time.Duration
	rows int64
	rss  int64 // peak resident memory during the run, bytes (0: unknown)
}

// runSync runs one sync of upstream into store, timed, with the process's
// peak RSS measured from just before it starts. The portal's runs go
// through the scheduler's RunOnce, so they are recorded like scheduled
// runs and the pages show their data as fresh.
func runSync(ctx context.Context, sch *syncer.Scheduler, cs *clientSet, upstream string, store any, record bool) (syncResult, error) {
	cs.closeIdle()
	resetPeakRSS()
	j := cs.job(upstream, store)
	start := time.Now()
	var rows int64
	var err error
	if record {
		err = sch.RunOnce(ctx, j)
	} else {
		rows, err = j.Run(ctx)
	}
	took := time.Since(start)
	if err != nil {
		return syncResult{}, fmt.Errorf("%s sync: %w", portal.UpstreamTitle(upstream), err)
	}
	return syncResult{took: took, rows: rows, rss: peakRSS()}, nil
}

// quietLog is the scheduler's logger in the benchmark (it reports failures only).
func quietLog(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
