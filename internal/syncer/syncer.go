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
	s.jobs[j.Upstream] = &jobState{job: j, trigger: make(chan struct{}, 1)}
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
	}
}

func (s *Scheduler) run(ctx context.Context, st *jobState) {
	st.mu.Lock()
	st.running = true
	st.mu.Unlock()
	defer func() {
		st.mu.Lock()
		st.running = false
		st.mu.Unlock()
	}()
	if err := s.RunOnce(ctx, st.job); err != nil && ctx.Err() == nil {
		s.log.Warn("sync failed", slog.String("upstream", st.job.Upstream), slog.Any("error", err))
	}
}

// RunOnce runs a job now and records the run.
func (s *Scheduler) RunOnce(ctx context.Context, j Job) error {
	id, err := s.rec.StartSyncRun(ctx, j.Upstream)
	if err != nil {
		return err
	}
	start := s.Now()
	runCtx, cancel := context.WithTimeout(ctx, j.Timeout)
	rows, runErr := j.Run(runCtx)
	cancel()
	errText := ""
	if runErr != nil {
		errText = describe(runErr)
	}
	// Record the end even when ctx was cancelled by shutdown.
	if err := s.rec.FinishSyncRun(context.WithoutCancel(ctx), id, rows, errText); err != nil {
		return errors.Join(runErr, err)
	}
	if runErr == nil {
		s.log.Info("synced", slog.String("upstream", j.Upstream), slog.Int64("rows", rows), slog.Duration("took", s.Now().Sub(start)))
	}
	return runErr
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
	select {
	case st.trigger <- struct{}{}:
	default:
	}
	return nil
}
