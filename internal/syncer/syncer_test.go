package syncer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/portal"
)

func openDB(t *testing.T) *cache.DB {
	db, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestRunOnce_RecordsSuccessAndFailure(t *testing.T) {
	db := openDB(t)
	s := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()
	if err := s.RunOnce(ctx, Job{Upstream: "argo", Timeout: time.Second, Run: func(context.Context) (int64, error) { return 7, nil }}); err != nil {
		t.Fatal(err)
	}
	fail := portal.WrapError(portal.EUNAVAILABLE, errors.New("dial tcp: connection refused"), "ARGO could not be reached")
	if err := s.RunOnce(ctx, Job{Upstream: "argo", Timeout: time.Second, Run: func(context.Context) (int64, error) { return 0, fail }}); err == nil {
		t.Fatal("failure not returned")
	}
	st, _ := db.SourceStatuses(ctx, []string{"argo"})
	a := st["argo"]
	if a.LastSuccess == nil || a.LastSuccess.Rows != 7 || !a.Failing() {
		t.Fatalf("status %+v", a)
	}
	if a.LastError.Error != "ARGO could not be reached (dial tcp: connection refused)" {
		t.Fatalf("error text %q", a.LastError.Error)
	}
}

// finishRecorder tells the test each time a run has been recorded.
type finishRecorder struct {
	*cache.DB
	finished chan int64
}

func (r finishRecorder) FinishSyncRun(ctx context.Context, id int64, rows int64, errText string) error {
	err := r.DB.FinishSyncRun(ctx, id, rows, errText)
	r.finished <- id
	return err
}

func TestScheduler_TriggerAndTimeout(t *testing.T) {
	db := openDB(t)
	rec := finishRecorder{DB: db, finished: make(chan int64, 10)}
	s := New(rec, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var runs atomic.Int32
	s.Add(Job{Upstream: "obi", Interval: time.Hour, Timeout: 50 * time.Millisecond, Run: func(ctx context.Context) (int64, error) {
		if runs.Add(1) == 2 {
			<-ctx.Done() // the second run overruns its timeout
			return 0, ctx.Err()
		}
		return 1, nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	<-rec.finished // the run at start
	if err := s.Trigger("obi"); err != nil {
		t.Fatal(err)
	}
	<-rec.finished // the triggered run, stopped by its timeout
	cancel()
	s.Wait()
	if runs.Load() != 2 {
		t.Fatalf("runs %d", runs.Load())
	}
	if next := s.NextRun("obi"); next.Before(time.Now().Add(59 * time.Minute)) {
		t.Fatalf("next run %v", next)
	}
	st, _ := db.SourceStatuses(context.Background(), []string{"obi"})
	if st["obi"].LastError == nil || !strings.Contains(st["obi"].LastError.Error, "took too long") {
		t.Fatalf("timed-out run not recorded as failed: %+v", st["obi"])
	}
	if err := s.Trigger("amie"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("trigger of an unconfigured upstream: %v", err)
	}
}

// gatedJob is a job whose runs each wait for a value on gate; started
// says a run has begun (with its number, from 1).
type gatedJob struct {
	runs    atomic.Int64
	gate    chan error
	started chan int64
}

func newGatedJob() *gatedJob {
	return &gatedJob{gate: make(chan error), started: make(chan int64, 10)}
}

func (g *gatedJob) job(upstream string) Job {
	return Job{Upstream: upstream, Interval: time.Hour, Run: func(ctx context.Context) (int64, error) {
		n := g.runs.Add(1)
		g.started <- n
		select {
		case err := <-g.gate:
			return 10 * n, err
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}}
}

// startScheduler starts s until the test ends.
func startScheduler(t *testing.T, s *Scheduler) {
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	t.Cleanup(func() {
		cancel()
		s.Wait()
	})
}

// SyncNow waits for a run that starts after the call, never for the one
// in progress, which may have read the upstream before what the caller
// waits for; and the calls made during one run share the next run.
func TestSyncNow_WaitsForARunThatStartsAfterTheCall(t *testing.T) {
	db := openDB(t)
	s := New(db, slog.New(slog.DiscardHandler))
	g := newGatedJob()
	s.Add(g.job("argo"))
	startScheduler(t, s)
	ctx := context.Background()

	if n := <-g.started; n != 1 {
		t.Fatalf("run %d at start", n)
	}
	// Two callers ask while the run at start is in progress.
	var answers []<-chan runResult
	for range 2 {
		done, err := s.ask("argo")
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, done)
	}
	g.gate <- nil // the run at start ends
	first, err := s.FirstRun(ctx, "argo")
	if err != nil || first.Rows != 10 {
		t.Fatalf("first run %+v, %v", first, err)
	}
	if n := <-g.started; n != 2 {
		t.Fatalf("run %d after the calls", n)
	}
	g.gate <- nil
	for _, done := range answers {
		a := <-done
		if a.err != nil || a.run.ID == first.ID || a.run.Rows != 20 || a.run.Finished.IsZero() || a.run.Error != "" {
			t.Fatalf("the calls were answered with %+v, %v; want the second run", a.run, a.err)
		}
	}
	// One run answered both: no third run is queued.
	if len(s.jobs["argo"].trigger) != 0 {
		t.Fatal("a third run is queued after the run that answered both calls")
	}
	// The answer is the run as recorded.
	runs, _ := db.RecentSyncRuns(ctx, "argo", 1)
	if len(runs) != 1 || runs[0].ID != first.ID+1 || runs[0].Rows != 20 || runs[0].Finished.IsZero() {
		t.Fatalf("recorded %+v", runs)
	}

	// An idle job runs at once; a failed run's error comes back with it.
	go func() {
		<-g.started
		g.gate <- portal.Errorf(portal.EUNAVAILABLE, "ARGO could not be reached")
	}()
	run, err := s.SyncNow(ctx, "argo")
	if portal.ErrorCode(err) != portal.EUNAVAILABLE || run.Error != "ARGO could not be reached" || run.Rows != 30 {
		t.Fatalf("failed run %+v, %v", run, err)
	}
	if _, err := s.SyncNow(ctx, "obi"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("SyncNow of an unconfigured upstream: %v", err)
	}

	// Idle waits for the run a trigger asked for, and then answers at once.
	if err := s.Trigger("argo"); err != nil {
		t.Fatal(err)
	}
	go func() {
		<-g.started
		g.gate <- nil
	}()
	for range 2 {
		if run, err := s.Idle(ctx, "argo"); err != nil || run.Rows != 40 || run.ID != first.ID+3 {
			t.Fatalf("Idle after a trigger: %+v, %v; want the fourth run", run, err)
		}
	}
}

// A SyncNow call no run will answer, because the portal stops, is told
// so instead of waiting for ever.
func TestSyncNow_AnsweredWhenTheSchedulerStops(t *testing.T) {
	s := New(openDB(t), slog.New(slog.DiscardHandler))
	g := newGatedJob()
	s.Add(g.job("amie"))
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	<-g.started
	done := make(chan error, 1)
	go func() {
		_, err := s.SyncNow(context.Background(), "amie")
		done <- err
	}()
	// The portal stops during the run at start, before or after the call
	// is registered: either way it is told.
	cancel()
	s.Wait()
	if err := <-done; portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("SyncNow across a stop: %v", err)
	}
	if _, err := s.SyncNow(context.Background(), "amie"); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("SyncNow after the stop: %v", err)
	}
}
