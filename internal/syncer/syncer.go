// Package syncer runs each upstream's sync on its schedule: once at start,
// then every interval, or at once when an admin asks. Every run is recorded
// in sync_runs with the rows it wrote or its error; a failed run leaves the
// last good data in place (each sync writes in its own transactions).
package syncer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// Recorder stores sync runs; cache.DB implements it.
type Recorder interface {
	StartSyncRun(ctx context.Context, upstream string) (int64, error)
	FinishSyncRun(ctx context.Context, id int64, rows int64, errText string) error
}

// Job is one upstream's sync.
type Job struct {
	Upstream string
	Interval time.Duration
	// Timeout bounds one run (default: the interval, at least 5 minutes).
	Timeout time.Duration
	// Run pulls the upstream into the cache and returns the rows it wrote.
	Run func(ctx context.Context) (int64, error)
}

type jobState struct {
	job     Job
	trigger chan struct{}
	mu      sync.Mutex
	next    time.Time
	running bool
	// asked is set when a run was asked for (Trigger, SyncNow) and has not
	// started yet.
	asked bool
	// waiters are the SyncNow calls the next run answers; stopped is set
	// when the job's loop has ended, after which nothing answers them.
	waiters []chan<- runResult
	stopped bool
	// runs counts the runs recorded since Start; first and last are the
	// first and the latest of them. changed is closed (and replaced) each
	// time a run is recorded and when the loop stops.
	runs        int
	first, last runResult
	changed     chan struct{}
}

// runResult is a recorded run and its error.
type runResult struct {
	run portal.SyncRun
	err error
}

// Scheduler runs jobs.
type Scheduler struct {
	rec  Recorder
	log  *slog.Logger
	jobs map[string]*jobState
	wg   sync.WaitGroup
	// Now is the clock (tests replace it).
	Now func() time.Time
}

// New returns a scheduler that records runs in rec.
func New(rec Recorder, log *slog.Logger) *Scheduler {
	return &Scheduler{rec: rec, log: log, jobs: map[string]*jobState{}, Now: time.Now}
}

// Add registers a job; call before Start.
func (s *Scheduler) Add(j Job) {
	if j.Timeout <= 0 {
		j.Timeout = max(j.Interval, 5*time.Minute)
	}
	s.jobs[j.Upstream] = &jobState{job: j, trigger: make(chan struct{}, 1), changed: make(chan struct{})}
}

// Start runs every job in its own goroutine until ctx ends.
func (s *Scheduler) Start(ctx context.Context) {
	for _, st := range s.jobs {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.loop(ctx, st)
		}()
	}
}

// Wait blocks until every job's goroutine has stopped.
func (s *Scheduler) Wait() { s.wg.Wait() }

func (s *Scheduler) loop(ctx context.Context, st *jobState) {
	defer s.stop(st)
	for {
		s.run(ctx, st)
		st.mu.Lock()
		st.next = s.Now().Add(st.job.Interval)
		st.mu.Unlock()
		t := time.NewTimer(st.job.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-st.trigger:
			t.Stop()
		case <-t.C:
		}
		if ctx.Err() != nil {
			return // a trigger and the stop came together
		}
	}
}

// stop answers the SyncNow calls no run will answer any more.
func (s *Scheduler) stop(st *jobState) {
	st.mu.Lock()
	waiters := st.waiters
	st.waiters, st.stopped = nil, true
	close(st.changed)
	st.changed = make(chan struct{})
	st.mu.Unlock()
	for _, w := range waiters {
		w <- runResult{err: errStopped(st.job.Upstream)}
	}
}

func errStopped(upstream string) error {
	return portal.Errorf(portal.EUNAVAILABLE, "the %s sync has stopped", portal.UpstreamTitle(upstream))
}

func (s *Scheduler) run(ctx context.Context, st *jobState) {
	// This run answers every SyncNow call made before it starts, and any
	// trigger already queued: both asked for a run that starts after them.
	st.mu.Lock()
	st.running, st.asked = true, false
	waiters := st.waiters
	st.waiters = nil
	select {
	case <-st.trigger:
	default:
	}
	st.mu.Unlock()
	run, err := s.runOnce(ctx, st.job)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("sync failed", slog.String("upstream", st.job.Upstream), slog.Any("error", err))
	}
	res := runResult{run: run, err: err}
	st.mu.Lock()
	st.running = false
	st.runs++
	if st.runs == 1 {
		st.first = res
	}
	st.last = res
	close(st.changed)
	st.changed = make(chan struct{})
	st.mu.Unlock()
	for _, w := range waiters {
		w <- res
	}
}

// RunOnce runs a job now and records the run.
func (s *Scheduler) RunOnce(ctx context.Context, j Job) error {
	_, err := s.runOnce(ctx, j)
	return err
}

// runOnce runs a job, records the run and returns it as recorded, with the
// job's error.
func (s *Scheduler) runOnce(ctx context.Context, j Job) (portal.SyncRun, error) {
	run := portal.SyncRun{Upstream: j.Upstream}
	id, err := s.rec.StartSyncRun(ctx, j.Upstream)
	if err != nil {
		return run, err
	}
	run.ID, run.Started = id, s.Now()
	runCtx, cancel := context.WithTimeout(ctx, j.Timeout)
	rows, runErr := j.Run(runCtx)
	cancel()
	run.Rows, run.Finished = rows, s.Now()
	if runErr != nil {
		run.Error = describe(runErr)
	}
	// Record the end even when ctx was cancelled by shutdown.
	if err := s.rec.FinishSyncRun(context.WithoutCancel(ctx), id, rows, run.Error); err != nil {
		return run, errors.Join(runErr, err)
	}
	if runErr == nil {
		s.log.Info("synced", slog.String("upstream", j.Upstream), slog.Int64("rows", rows), slog.Duration("took", run.Finished.Sub(run.Started)))
	}
	return run, runErr
}

// describe is the text the data-sources page shows for a failed run: the
// portal error's message (which carries the upstream's own words), never
// credentials (clients do not put them in errors).
func describe(err error) string {
	var pe *portal.Error
	msg := err.Error()
	if errors.As(err, &pe) && pe.Message != "" {
		msg = pe.Message
		if pe.Err != nil && pe.Code != portal.EINVALID {
			msg += " (" + pe.Err.Error() + ")"
		}
	}
	if errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &pe) {
		msg = "the sync took too long and was stopped: " + msg
	}
	if len(msg) > 1000 {
		msg = msg[:1000] + "…"
	}
	return msg
}

// NextRun returns when the upstream's next scheduled run is (zero if unknown).
func (s *Scheduler) NextRun(upstream string) time.Time {
	st := s.jobs[upstream]
	if st == nil {
		return time.Time{}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.next
}

// Running reports whether the upstream's sync is running now.
func (s *Scheduler) Running(upstream string) bool {
	st := s.jobs[upstream]
	if st == nil {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.running
}

// Trigger asks for a run now; a run already asked for is not queued twice.
func (s *Scheduler) Trigger(upstream string) error {
	st := s.jobs[upstream]
	if st == nil {
		return portal.Errorf(portal.ENOTFOUND, "%s is not configured", portal.UpstreamTitle(upstream))
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.asked = true
	select {
	case st.trigger <- struct{}{}:
	default:
	}
	return nil
}

// SyncNow asks for a run of the upstream's sync and waits until a run that
// started after the call has been recorded: at once when the job is idle,
// after the run in progress otherwise (that run may have read the upstream
// before whatever the caller waits for). It returns the run as recorded
// and, when the run failed, its error. Tests use it to say "sync now and
// wait"; the scheduler must have been started.
func (s *Scheduler) SyncNow(ctx context.Context, upstream string) (portal.SyncRun, error) {
	done, err := s.ask(upstream)
	if err != nil {
		return portal.SyncRun{}, err
	}
	select {
	case r := <-done:
		return r.run, r.err
	case <-ctx.Done():
		return portal.SyncRun{}, ctx.Err()
	}
}

// ask registers a call for the next run to start and queues that run; the
// run (or the scheduler's stop) answers on the channel.
func (s *Scheduler) ask(upstream string) (<-chan runResult, error) {
	st := s.jobs[upstream]
	if st == nil {
		return nil, portal.Errorf(portal.ENOTFOUND, "%s is not configured", portal.UpstreamTitle(upstream))
	}
	done := make(chan runResult, 1)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.stopped {
		return nil, errStopped(upstream)
	}
	st.waiters = append(st.waiters, done)
	st.asked = true
	select {
	case st.trigger <- struct{}{}:
	default:
	}
	return done, nil
}

// FirstRun waits until the upstream's first run since Start has been
// recorded (the run at start) and returns it with its error; at once if
// it already has.
func (s *Scheduler) FirstRun(ctx context.Context, upstream string) (portal.SyncRun, error) {
	return s.await(ctx, upstream, func(st *jobState) (runResult, bool) { return st.first, st.runs > 0 })
}

// Idle waits until the upstream's sync has run at least once and is
// neither running nor asked for (by Trigger or SyncNow), and returns the
// latest run with its error. After something that triggers a sync (an
// applied budget change, a delivered generate), it returns that sync.
func (s *Scheduler) Idle(ctx context.Context, upstream string) (portal.SyncRun, error) {
	return s.await(ctx, upstream, func(st *jobState) (runResult, bool) {
		return st.last, st.runs > 0 && !st.running && !st.asked
	})
}

// await waits until ready says the job's state holds, and returns the run
// it names.
func (s *Scheduler) await(ctx context.Context, upstream string, ready func(*jobState) (runResult, bool)) (portal.SyncRun, error) {
	st := s.jobs[upstream]
	if st == nil {
		return portal.SyncRun{}, portal.Errorf(portal.ENOTFOUND, "%s is not configured", portal.UpstreamTitle(upstream))
	}
	for {
		st.mu.Lock()
		r, ok := ready(st)
		stopped, changed := st.stopped, st.changed
		st.mu.Unlock()
		switch {
		case ok:
			return r.run, r.err
		case stopped:
			return portal.SyncRun{}, errStopped(upstream)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return portal.SyncRun{}, ctx.Err()
		}
	}
}
