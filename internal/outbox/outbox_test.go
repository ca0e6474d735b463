package outbox

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/portal"
)

type fakeDeliverer struct {
	errs    []error // returned in order; nil means success
	calls   int
	present bool
	checks  int
}

func (f *fakeDeliverer) Deliver(ctx context.Context, it portal.OutboxItem) (string, error) {
	f.calls++
	if len(f.errs) == 0 {
		return `{"ok":true}`, nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return "", err
}

type fakeChecker struct{ *fakeDeliverer }

func (f fakeChecker) Check(ctx context.Context, it portal.OutboxItem) (bool, string, error) {
	f.checks++
	return f.present, `{"found":true}`, nil
}

func setup(t *testing.T) (*cache.DB, *Dispatcher, *time.Time) {
	db, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	db.Now = clock
	d := newDispatcher(t, db)
	d.Now = clock
	return db, d, &now
}

func enqueue(t *testing.T, db *cache.DB, kind string) int64 {
	id, err := db.Enqueue(context.Background(), portal.OutboxItem{Kind: kind, Upstream: "argo", Summary: "test", Payload: "{}", CreatedBy: "s", MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func state(t *testing.T, db *cache.DB, id int64) *portal.OutboxItem {
	it, err := db.OutboxItemByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

var (
	errDown     = portal.Errorf(portal.EUNAVAILABLE, "ARGO could not be reached")
	errRefused  = &portal.Error{Code: portal.EINVALID, Status: 400, Message: "ARGO answered 400: start cannot be after end."}
	errNoAnswer = portal.Errorf(portal.EUNCERTAIN, "ARGO did not answer in time")
	ctx         = context.Background()
)

func TestDispatch_RetriesOnlyWithoutEffect_ThenDead(t *testing.T) {
	db, d, now := setup(t)
	f := &fakeDeliverer{errs: []error{errDown, errDown, errDown}}
	d.register("k", f)
	id := enqueue(t, db, "k")
	for i := 1; i <= 3; i++ {
		if n, err := d.DispatchDue(ctx); err != nil || n != 1 {
			t.Fatalf("round %d: %d %v", i, n, err)
		}
		*now = now.Add(time.Hour)
	}
	it := state(t, db, id)
	if it.State != portal.OutboxDead || f.calls != 3 || it.Attempts != 3 {
		t.Fatalf("after 3 outages: %s, %d calls", it.State, f.calls)
	}
}

func TestDispatch_BackoffHoldsRetry(t *testing.T) {
	db, d, now := setup(t)
	f := &fakeDeliverer{errs: []error{errDown}}
	d.register("k", f)
	id := enqueue(t, db, "k")
	d.DispatchDue(ctx)
	if n, _ := d.DispatchDue(ctx); n != 0 {
		t.Fatal("retried before the backoff")
	}
	*now = now.Add(DefaultBackoff(1))
	d.DispatchDue(ctx)
	if it := state(t, db, id); it.State != portal.OutboxDelivered || f.calls != 2 {
		t.Fatalf("%s after %d calls", it.State, f.calls)
	}
}

func TestDispatch_RefusedIsFinalWithReason(t *testing.T) {
	db, d, now := setup(t)
	f := &fakeDeliverer{errs: []error{errRefused}}
	d.register("k", f)
	id := enqueue(t, db, "k")
	d.DispatchDue(ctx)
	*now = now.Add(time.Hour)
	d.DispatchDue(ctx)
	it := state(t, db, id)
	if it.State != portal.OutboxFailed || f.calls != 1 || it.LastError != errRefused.Message {
		t.Fatalf("%s %q after %d calls", it.State, it.LastError, f.calls)
	}
}

func TestDispatch_UnknownOutcome(t *testing.T) {
	t.Run("without a look-up it waits for an admin", func(t *testing.T) {
		db, d, now := setup(t)
		f := &fakeDeliverer{errs: []error{errNoAnswer}}
		d.register("k", f)
		id := enqueue(t, db, "k")
		d.DispatchDue(ctx)
		*now = now.Add(time.Hour)
		d.DispatchDue(ctx)
		if it := state(t, db, id); it.State != portal.OutboxUncertain || f.calls != 1 {
			t.Fatalf("%s after %d calls", it.State, f.calls)
		}
	})
	t.Run("found upstream: delivered, not resent", func(t *testing.T) {
		db, d, now := setup(t)
		f := &fakeDeliverer{errs: []error{errNoAnswer}, present: true}
		d.register("k", fakeChecker{f})
		id := enqueue(t, db, "k")
		d.DispatchDue(ctx)
		if it := state(t, db, id); it.State != portal.OutboxVerify {
			t.Fatalf("state %s", it.State)
		}
		if n, _ := d.DispatchDue(ctx); n != 0 {
			t.Fatal("looked up before the verify delay")
		}
		*now = now.Add(d.VerifyDelay)
		d.DispatchDue(ctx)
		it := state(t, db, id)
		if it.State != portal.OutboxDelivered || f.calls != 1 || it.Result != `{"found":true}` {
			t.Fatalf("%s after %d calls (%s)", it.State, f.calls, it.Result)
		}
	})
	t.Run("absent upstream: sent again", func(t *testing.T) {
		db, d, now := setup(t)
		f := &fakeDeliverer{errs: []error{errNoAnswer}}
		d.register("k", fakeChecker{f})
		id := enqueue(t, db, "k")
		d.DispatchDue(ctx)
		*now = now.Add(d.VerifyDelay)
		d.DispatchDue(ctx)
		if it := state(t, db, id); it.State != portal.OutboxDelivered || f.calls != 2 {
			t.Fatalf("%s after %d calls", it.State, f.calls)
		}
	})
}

func TestRun_RecoversMidSendItems(t *testing.T) {
	db, d, _ := setup(t)
	blind := &fakeDeliverer{}
	d.register("blind", blind)
	a := enqueue(t, db, "blind")
	db.ClaimOutbox(ctx) // a previous process claimed it and stopped
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- d.Run(runCtx) }()
	deadline := time.Now().Add(2 * time.Second)
	for state(t, db, a).State == portal.OutboxSending && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if it := state(t, db, a); it.State != portal.OutboxUncertain || blind.calls != 0 {
		t.Fatalf("mid-send item: %s, resent %d times", it.State, blind.calls)
	}
}

func TestDispatch_NoDeliverer(t *testing.T) {
	db, d, _ := setup(t)
	id := enqueue(t, db, "nobody")
	d.DispatchDue(ctx)
	if it := state(t, db, id); it.State != portal.OutboxFailed {
		t.Fatalf("state %s", it.State)
	}
}
