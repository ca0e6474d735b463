package outbox

import (
	"context"
	"path/filepath"
	"sync/atomic"
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
	// The first pass comes after the recovery.
	if err := d.DeliverNow(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if it := state(t, db, a); it.State != portal.OutboxUncertain || blind.calls != 0 {
		t.Fatalf("mid-send item: %s, resent %d times", it.State, blind.calls)
	}
}

// gatedDeliverer delivers each item when the test says so: started tells
// the test a delivery began, and each value sent on release ends one.
type gatedDeliverer struct {
	started chan int64
	release chan struct{}
}

func (g *gatedDeliverer) Deliver(ctx context.Context, it portal.OutboxItem) (string, error) {
	g.started <- it.ID
	<-g.release
	return `{"ok":true}`, nil
}

// DeliverNow returns after a pass that started after the call: an item
// queued before it is settled, also when a pass was in progress during
// the call (that pass may have claimed everything before the item was
// queued); items not yet due stay; and a stopped dispatcher says so.
func TestDeliverNow_WaitsForAPassThatStartsAfterTheCall(t *testing.T) {
	db, d, now := setup(t)
	g := &gatedDeliverer{started: make(chan int64, 10), release: make(chan struct{})}
	d.register("gated", g)
	f := &fakeDeliverer{errs: []error{errDown}}
	d.register("flaky", f)
	// The clock moves while the dispatcher runs.
	var skew atomic.Int64
	start := *now
	clock := func() time.Time { return start.Add(time.Duration(skew.Load())) }
	db.Now, d.Now = clock, clock
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- d.Run(runCtx) }()

	// A pass is in progress, delivering the first item.
	first := enqueue(t, db, "gated")
	d.Notify()
	if id := <-g.started; id != first {
		t.Fatalf("delivering %d", id)
	}
	second := enqueue(t, db, "gated")
	answered := make(chan error, 1)
	go func() { answered <- d.DeliverNow(ctx) }()
	g.release <- struct{}{} // the first item is delivered
	if id := <-g.started; id != second {
		t.Fatalf("delivering %d, want the item queued before the call", id)
	}
	select {
	case err := <-answered:
		t.Fatalf("DeliverNow returned (%v) while the item queued before it was still being delivered", err)
	default:
	}
	g.release <- struct{}{}
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{first, second} {
		if it := state(t, db, id); it.State != portal.OutboxDelivered {
			t.Fatalf("item %d is %s after DeliverNow", id, it.State)
		}
	}

	// A retry waiting for its backoff is not due: DeliverNow leaves it.
	third := enqueue(t, db, "flaky")
	if err := d.DeliverNow(ctx); err != nil {
		t.Fatal(err)
	}
	if it := state(t, db, third); it.State != portal.OutboxQueued || it.Attempts != 1 {
		t.Fatalf("after a refusal without effect: %s, %d attempts", it.State, it.Attempts)
	}
	if err := d.DeliverNow(ctx); err != nil || f.calls != 1 {
		t.Fatalf("a retry was sent before its backoff (%d calls, %v)", f.calls, err)
	}
	skew.Store(int64(d.Backoff(1)))
	if err := d.DeliverNow(ctx); err != nil {
		t.Fatal(err)
	}
	if it := state(t, db, third); it.State != portal.OutboxDelivered || f.calls != 2 {
		t.Fatalf("after the backoff: %s, %d calls", it.State, f.calls)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := d.DeliverNow(ctx); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("DeliverNow after the dispatcher stopped: %v", err)
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
