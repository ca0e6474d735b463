package syncer

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/clients/obi"
	"github.com/accounting-portal/portal/internal/portal"
)

// The OBI sync. The service cannot list its virtual labs and projects, so
// each run reads exactly what the catalogue names (the store's OBITargets):
//
//  1. for every catalogued virtual lab, its balance with its projects'
//     balances and reservations, its discounts and the one in force; all
//     balances are written in one transaction with a snapshot per account,
//     because the service keeps no balance history;
//  2. for every catalogued project, its job report, newest first, in
//     batched transactions that also keep the daily spend rollup exact.
//     The first walk reads everything. Later walks stop at the first page
//     whose jobs are all stored already and started more than Margin
//     before the newest job the last complete walk saw (a long job that
//     finishes late is listed by its start, below newer ones; Margin must
//     exceed the longest job). Every FullEvery the whole report is read
//     again, which catches anything a margin missed.
//
// A lab or project that cannot be read is reported in the run's error;
// the others are still synced. Nothing is ever deleted, so a failed run
// leaves the last good data in place.

// OBISource is what the OBI sync reads; *obi.Client implements it.
type OBISource interface {
	VirtualLabBalanceWithProjects(ctx context.Context, vlabID string) (obi.VirtualLabBalance, error)
	Discounts(ctx context.Context, vlabID string) ([]obi.Discount, error)
	CurrentDiscount(ctx context.Context, vlabID string) (obi.Discount, bool, error)
	ProjectReportPage(ctx context.Context, projID string, page, pageSize int) (obi.JobPage, error)
}

// OBIStore is where the OBI sync writes; *cache.DB implements it.
type OBIStore interface {
	OBITargets(ctx context.Context) ([]budgets.Target, error)
	SaveOBIBalances(ctx context.Context, at time.Time, labs []budgets.LabReading) (int64, error)
	ReplaceOBIDiscounts(ctx context.Context, vlabID string, ds []budgets.Discount) (int64, error)
	SaveOBIJobs(ctx context.Context, jobs []budgets.Job) (int64, error)
	OBIJobCursorOf(ctx context.Context, projID string) (budgets.JobCursor, error)
	SetOBIJobCursor(ctx context.Context, projID string, c budgets.JobCursor) error
}

// OBIOptions tune the OBI sync; zero values take the defaults.
type OBIOptions struct {
	Interval time.Duration
	// PageSize is the report page size of a full walk (default 1000, the
	// service's own); IncrementalPageSize that of a walk that expects to
	// stop after a page or two (default 100).
	PageSize            int
	IncrementalPageSize int
	// Margin is how far below the last walk's newest job start a walk
	// keeps reading (default 3 days; the service's longest jobs, storage
	// periods, last about two).
	Margin time.Duration
	// FullEvery is how often each report is read whole (default 24 hours).
	FullEvery time.Duration
	// StoreBatch is how many jobs a full walk stores per transaction
	// (default 5000).
	StoreBatch int
	// Workers is how many projects' reports are read at once (default 4).
	Workers int
	// Timeout bounds one run (default 30 minutes: a first read of long
	// reports takes a while).
	Timeout time.Duration
	Now     func() time.Time
	Log     *slog.Logger
}

func (o *OBIOptions) defaults() {
	if o.PageSize <= 0 {
		o.PageSize = obi.DefaultPageSize
	}
	if o.IncrementalPageSize <= 0 {
		o.IncrementalPageSize = min(100, o.PageSize)
	}
	if o.Margin <= 0 {
		o.Margin = 3 * 24 * time.Hour
	}
	if o.FullEvery <= 0 {
		o.FullEvery = 24 * time.Hour
	}
	if o.StoreBatch <= 0 {
		o.StoreBatch = 5000
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

// OBISyncJob returns the scheduler job that syncs OBI.
func OBISyncJob(src OBISource, store OBIStore, o OBIOptions) Job {
	o.defaults()
	return Job{Upstream: portal.UpstreamOBI, Interval: o.Interval, Timeout: o.Timeout,
		Run: func(ctx context.Context) (int64, error) { return SyncOBI(ctx, src, store, o) }}
}

// SyncOBI runs one OBI sync and returns the rows it wrote.
func SyncOBI(ctx context.Context, src OBISource, store OBIStore, o OBIOptions) (int64, error) {
	o.defaults()
	targets, err := store.OBITargets(ctx)
	if err != nil {
		return 0, err
	}
	var problems []string
	rows, balProblems, err := syncOBIBalances(ctx, src, store, o.Now(), targets)
	if err != nil {
		return rows, err
	}
	problems = append(problems, balProblems...)
	jobRows, jobProblems := syncOBIReports(ctx, src, store, o, targets)
	rows += jobRows
	problems = append(problems, jobProblems...)
	if ctx.Err() != nil {
		return rows, ctx.Err()
	}
	if len(problems) > 0 {
		return rows, portal.Errorf(portal.EUNAVAILABLE, "%d part(s) of OBI could not be read: %s", len(problems), strings.Join(problems, "; "))
	}
	return rows, nil
}

// syncOBIBalances reads every lab's balances and discounts. A lab that
// cannot be read is a problem to report, not a reason to skip the others.
func syncOBIBalances(ctx context.Context, src OBISource, store OBIStore, at time.Time, targets []budgets.Target) (int64, []string, error) {
	var readings []budgets.LabReading
	var problems []string
	var rows int64
	for _, t := range targets {
		r, missing, err := readLabBalance(ctx, src, t)
		if err != nil {
			problems = append(problems, fmt.Sprintf("virtual lab %s: %s", t.Name, portal.ErrorMessage(err)))
			continue
		}
		problems = append(problems, missing...)
		readings = append(readings, r)
		ds, err := readDiscounts(ctx, src, t.VlabID)
		if err != nil {
			problems = append(problems, fmt.Sprintf("discounts of %s: %s", t.Name, portal.ErrorMessage(err)))
			continue
		}
		n, err := store.ReplaceOBIDiscounts(ctx, t.VlabID, ds)
		if err != nil {
			return rows, problems, err
		}
		rows += n
	}
	n, err := store.SaveOBIBalances(ctx, at.UTC(), readings)
	return rows + n, problems, err
}

// readLabBalance reads a lab's balance and keeps the catalogued projects'.
func readLabBalance(ctx context.Context, src OBISource, t budgets.Target) (budgets.LabReading, []string, error) {
	b, err := src.VirtualLabBalanceWithProjects(ctx, t.VlabID)
	if err != nil {
		return budgets.LabReading{}, nil, err
	}
	got := make(map[string]obi.ProjectBalance, len(b.Projects))
	for _, p := range b.Projects {
		got[p.ProjID] = p
	}
	r := budgets.LabReading{VlabID: t.VlabID, Balance: b.Balance}
	var missing []string
	for _, p := range t.Projects {
		pb, ok := got[p.ProjID]
		if !ok {
			missing = append(missing, fmt.Sprintf("project %s (%s) is not in virtual lab %s at OBI; check the projects file", p.Key, p.ProjID, t.Name))
			continue
		}
		r.Projects = append(r.Projects, budgets.ProjectReading{ProjID: p.ProjID, Balance: pb.Balance, Reservation: pb.Reservation})
	}
	return r, missing, nil
}

func readDiscounts(ctx context.Context, src OBISource, vlabID string) ([]budgets.Discount, error) {
	all, err := src.Discounts(ctx, vlabID)
	if err != nil {
		return nil, err
	}
	cur, ok, err := src.CurrentDiscount(ctx, vlabID)
	if err != nil {
		return nil, err
	}
	out := make([]budgets.Discount, 0, len(all))
	for _, d := range all {
		out = append(out, budgets.Discount{ID: d.ID, VlabID: vlabID, Discount: d.Discount, ValidFrom: d.ValidFrom, ValidTo: d.ValidTo,
			Current: ok && d.ID == cur.ID})
	}
	return out, nil
}

// syncOBIReports walks the catalogued projects' reports, up to o.Workers
// at once. A report that cannot be read is a problem to report, not a
// reason to stop the others; a cancelled run starts no more walks.
func syncOBIReports(ctx context.Context, src OBISource, store OBIStore, o OBIOptions, targets []budgets.Target) (int64, []string) {
	var g errgroup.Group
	g.SetLimit(o.Workers)
	var mu sync.Mutex
	var rows int64
	var problems []string
walk:
	for _, t := range targets {
		for _, p := range t.Projects {
			if ctx.Err() != nil {
				break walk
			}
			g.Go(func() error {
				n, err := walkOBIReport(ctx, src, store, o, t.VlabID, p.ProjID)
				mu.Lock()
				defer mu.Unlock()
				rows += n
				if err != nil && ctx.Err() == nil {
					problems = append(problems, fmt.Sprintf("jobs of %s: %s", p.Key, portal.ErrorMessage(err)))
				}
				return nil
			})
		}
	}
	g.Wait()
	return rows, problems
}

// walkOBIReport reads one project's report, newest first, storing each
// page, until the end or (for an incremental walk) the first page that
// holds only known jobs well below the watermark. A full walk reads every
// page whatever it holds, so it stores pages in batches of o.StoreBatch
// jobs on a goroutine of its own while it reads the next ones.
func walkOBIReport(ctx context.Context, src OBISource, store OBIStore, o OBIOptions, vlabID, projID string) (int64, error) {
	cur, err := store.OBIJobCursorOf(ctx, projID)
	if err != nil {
		return 0, err
	}
	now := o.Now().UTC()
	full := !cur.Known || now.Sub(cur.FullAt) >= o.FullEvery
	stopBelow := cur.Watermark.Add(-o.Margin)
	newest := cur.Watermark
	size := o.PageSize
	if !full {
		size = o.IncrementalPageSize
	}
	w := newJobWriter(ctx, store, full)
	var prev map[string]bool
	for page := 1; ; page++ {
		p, err := src.ProjectReportPage(w.ctx, projID, page, size)
		if err != nil {
			return w.close(err)
		}
		ids := make(map[string]bool, len(p.Jobs))
		old := true
		for _, j := range p.Jobs {
			ids[j.ID] = true
			if j.StartedAt.After(newest) {
				newest = j.StartedAt
			}
			if !j.StartedAt.Before(stopBelow) {
				old = false
			}
			// A job that finished during the walk pushes the others down
			// a page: one seen on the previous page is not stored twice.
			if !prev[j.ID] {
				w.add(obiJob(j, vlabID, projID))
			}
		}
		last := len(p.Jobs) == 0 || page >= p.TotalPages
		if full && !last && len(w.batch) < o.StoreBatch {
			prev = ids
			continue
		}
		changed, err := w.flush()
		if err != nil {
			return w.close(err)
		}
		switch {
		case last:
			rows, err := w.close(nil)
			if err != nil {
				return rows, err
			}
			return rows, store.SetOBIJobCursor(ctx, projID, budgets.JobCursor{Watermark: newest, FullAt: now})
		case !full && changed == 0 && old:
			rows, _ := w.close(nil)
			return rows, store.SetOBIJobCursor(ctx, projID, budgets.JobCursor{Watermark: newest, FullAt: cur.FullAt})
		}
		prev = ids
	}
}

// jobWriter stores a walk's jobs: at once (flush says how many changed),
// or, behind a full walk, on a goroutine of its own (flush hands the batch
// over and returns; close waits for the writes and says how they went).
type jobWriter struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	store  OBIStore
	batch  []budgets.Job
	rows   int64
	queue  chan []budgets.Job
	done   chan error
}

func newJobWriter(ctx context.Context, store OBIStore, background bool) *jobWriter {
	w := &jobWriter{store: store}
	w.ctx, w.cancel = context.WithCancelCause(ctx)
	if !background {
		return w
	}
	w.queue, w.done = make(chan []budgets.Job, 1), make(chan error, 1)
	go func() {
		var err error
		for b := range w.queue {
			if err != nil {
				continue
			}
			n, serr := store.SaveOBIJobs(w.ctx, b)
			if serr != nil {
				err = serr
				w.cancel(serr) // stops the reads too
				continue
			}
			w.rows += n
		}
		w.done <- err
	}()
	return w
}

func (w *jobWriter) add(j budgets.Job) { w.batch = append(w.batch, j) }

// flush stores the batch (or hands it over) and returns how many jobs
// changed (stored at once) or 1 (handed over: a full walk does not stop
// on it).
func (w *jobWriter) flush() (int64, error) {
	b := w.batch
	w.batch = nil
	if w.queue == nil {
		n, err := w.store.SaveOBIJobs(w.ctx, b)
		w.rows += n
		return n, err
	}
	if len(b) == 0 {
		return 1, nil
	}
	select {
	case w.queue <- b:
		return 1, nil
	case <-w.ctx.Done():
		return 0, context.Cause(w.ctx)
	}
}

// close ends the writer, waiting for the writes handed over, and returns
// the jobs it stored and the first error (err, else a write's).
func (w *jobWriter) close(err error) (int64, error) {
	if w.queue != nil {
		close(w.queue)
		if werr := <-w.done; werr != nil {
			err = werr // the cause of any read error that followed
		}
	}
	w.cancel(nil)
	return w.rows, err
}

// obiJob converts a report item; the project report carries neither the
// lab nor the project, which the walk knows.
func obiJob(j obi.Job, vlabID, projID string) budgets.Job {
	status := budgets.JobFinished
	if !j.CancelledAt.IsZero() {
		status = budgets.JobExpired
	}
	finished := j.FinishedAt
	if finished.IsZero() {
		finished = j.StartedAt
	}
	hasRsv := j.Type == obi.TypeOneshot || j.Type == obi.TypeLongrun
	return budgets.Job{ID: j.ID, ProjID: projID, VlabID: vlabID, Type: j.Type, Subtype: j.Subtype, Status: status,
		Name: j.Name, UserID: j.UserID, ReservedAt: j.ReservedAt, StartedAt: j.StartedAt, FinishedAt: finished,
		CancelledAt: j.CancelledAt, Amount: j.Amount, ReservedAmount: j.ReservedAmount, HasReservation: hasRsv,
		Count: j.Count, ReservedCount: j.ReservedCount, Duration: j.Duration, ReservedDuration: j.ReservedDuration, Size: j.Size}
}
