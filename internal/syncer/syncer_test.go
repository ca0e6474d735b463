package syncer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
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

func TestScheduler_TriggerAndTimeout(t *testing.T) {
	db := openDB(t)
	s := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var runs atomic.Int32
	started := make(chan struct{}, 10)
	s.Add(Job{Upstream: "obi", Interval: time.Hour, Timeout: 50 * time.Millisecond, Run: func(ctx context.Context) (int64, error) {
		n := runs.Add(1)
		started <- struct{}{}
		if n == 2 {
			<-ctx.Done() // the second run overruns its timeout
			return 0, ctx.Err()
		}
		return 1, nil
	}})
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	<-started // the run at start
	if err := s.Trigger("obi"); err != nil {
		t.Fatal(err)
	}
	<-started
	deadline := time.Now().Add(2 * time.Second)
	for s.Running("obi") || s.NextRun("obi").IsZero() {
		if time.Now().After(deadline) {
			t.Fatal("the triggered run did not finish")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	s.Wait()
	if runs.Load() != 2 {
		t.Fatalf("runs %d", runs.Load())
	}
	if next := s.NextRun("obi"); next.Before(time.Now().Add(59 * time.Minute)) {
		t.Fatalf("next run %v", next)
	}
	st, _ := db.SourceStatuses(context.Background(), []string{"obi"})
	if st["obi"].LastError == nil || st["obi"].LastError.Error == "" {
		t.Fatalf("timed-out run not recorded as failed: %+v", st["obi"])
	}
	if err := s.Trigger("amie"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("trigger of an unconfigured upstream: %v", err)
	}
}
