// Package outbox delivers the portal's writes to the upstreams, each
// exactly once: never applied twice, never lost. A write is recorded in
// SQLite (with the request it belongs to) before anything is sent; the
// dispatcher here claims due items one at a time, calls the upstream
// through a Deliverer, and settles the outcome by what it proves:
//
//   - success: delivered;
//   - provably no effect (the request was never written, the connection
//     was refused, or the upstream answered 429): queued again with
//     backoff, dead after too many attempts;
//   - refused by the upstream (4xx): failed, with the upstream's reason;
//   - unknown (sent and then no answer, a 5xx, a reset, an unreadable
//     2xx): looked up in the upstream when the kind has a Checker
//     (verify): found is delivered, provably absent is sent again; a kind
//     that cannot be looked up (OBI's budget calls) is left uncertain for
//     an admin, and never sent again by the portal.
//
// The clients' transport (internal/clients/upstream) decides which of
// these an attempt was. The table of kinds (kinds.go) says, for each kind,
// who delivers it, whether its unknown outcomes are looked up or left to
// an admin, and which settler moves its request with the item. One dispatcher sends one item at a time, and an
// item is marked sending before the call, so no write is sent twice; a
// crash mid-call leaves it sending, which the next start treats as unknown.
package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// Deliverer sends one kind of write.
type Deliverer interface {
	// Deliver sends the item and returns what the upstream answered (JSON,
	// kept with the item) or a portal error whose code says what happened.
	Deliver(ctx context.Context, item portal.OutboxItem) (result string, err error)
}

// Checker is implemented by deliverers whose writes can be looked up in
// the upstream, to settle an attempt whose outcome is unknown.
type Checker interface {
	// Check reports whether the item's write is present in the upstream.
	// When present, result is kept as the item's result (what was found);
	// when not, a non-empty result is a note for the item's history on
	// what the look-up saw. "Not present" must be proof: the item is then
	// sent again. An error with code EUNCERTAIN says this item cannot be
	// looked up at all (it is left to an admin); any other error is a
	// failed look-up, tried again later.
	Check(ctx context.Context, item portal.OutboxItem) (present bool, result string, err error)
}

// Store is the outbox's storage; cache.DB implements it.
type Store interface {
	// SetSettlers gives the store the settler of each kind, which it runs
	// with every change of an item's state (New does, once).
	SetSettlers(byKind map[string]Settler)
	ClaimOutbox(ctx context.Context) (*portal.OutboxItem, error)
	SettleOutbox(ctx context.Context, id int64, from []string, o portal.OutboxOutcome) (*portal.OutboxItem, error)
	RecoverOutbox(ctx context.Context, canVerify func(kind string) bool) (int, error)
	NextOutboxDue(ctx context.Context) (time.Time, error)
}

// Dispatcher delivers outbox items.
type Dispatcher struct {
	store Store
	log   *slog.Logger
	table []Kind
	kinds map[string]Kind
	wake  chan struct{}
	// passes are the DeliverNow calls the next pass over the outbox
	// answers; stopped is set when Run has returned.
	mu      sync.Mutex
	passes  []chan<- error
	stopped bool
	// Now is the clock; Timeout bounds one delivery; VerifyDelay is the wait
	// before looking up a write whose outcome is unknown (so that a request
	// still being processed upstream has finished); Poll is the longest
	// sleep between looks at the outbox.
	Now         func() time.Time
	Timeout     time.Duration
	VerifyDelay time.Duration
	Poll        time.Duration
	// Backoff returns the wait before attempt n+1 after n attempts with no effect.
	Backoff func(attempts int) time.Duration
}

// New returns a dispatcher of the kinds (the portal's are Table's) with
// default timings, and gives the store the kinds' settlers. It refuses a
// table with a row missing a name, an upstream, a settler or what an
// unknown outcome leads to, a name twice, or a deliverer that does not
// match that (LookUp needs a Checker; AskAdmin must not have one, or its
// look-up would silently go unused).
func New(store Store, log *slog.Logger, kinds []Kind) (*Dispatcher, error) {
	byKind := make(map[string]Kind, len(kinds))
	settlers := make(map[string]Settler, len(kinds))
	for _, k := range kinds {
		if err := k.check(); err != nil {
			return nil, err
		}
		if _, dup := byKind[k.Name]; dup {
			return nil, fmt.Errorf("outbox: kind %q has two rows", k.Name)
		}
		byKind[k.Name], settlers[k.Name] = k, k.Settle
	}
	store.SetSettlers(settlers)
	return &Dispatcher{store: store, log: log, table: slices.Clone(kinds), kinds: byKind, wake: make(chan struct{}, 1),
		Now: time.Now, Timeout: 60 * time.Second, VerifyDelay: 30 * time.Second, Poll: 5 * time.Second, Backoff: DefaultBackoff}, nil
}

func (k Kind) check() error {
	switch {
	case k.Name == "":
		return fmt.Errorf("outbox: a kind without a name")
	case k.Upstream == "":
		return fmt.Errorf("outbox: kind %q names no upstream", k.Name)
	case k.Settle == nil:
		return fmt.Errorf("outbox: kind %q has no settler", k.Name)
	case k.Unknown != LookUp && k.Unknown != AskAdmin:
		return fmt.Errorf("outbox: kind %q does not say what an unknown outcome leads to", k.Name)
	case k.Deliver == nil:
		return nil
	}
	_, checker := k.Deliver.(Checker)
	if k.Unknown == LookUp && !checker {
		return fmt.Errorf("outbox: kind %q is to be looked up, but its deliverer %T cannot look writes up", k.Name, k.Deliver)
	}
	if k.Unknown == AskAdmin && checker {
		return fmt.Errorf("outbox: kind %q is left to an admin, but its deliverer %T can look writes up", k.Name, k.Deliver)
	}
	return nil
}

// Kinds returns the dispatcher's table.
func (d *Dispatcher) Kinds() []Kind { return slices.Clone(d.table) }

// DefaultBackoff doubles from 5 seconds up to 10 minutes.
func DefaultBackoff(attempts int) time.Duration {
	d := 5 * time.Second << min(max(attempts-1, 0), 10)
	return min(d, 10*time.Minute)
}

// CanVerify reports whether a kind's writes can be looked up: its row says
// LookUp and its upstream is configured.
func (d *Dispatcher) CanVerify(kind string) bool {
	k := d.kinds[kind]
	return k.Unknown == LookUp && k.Deliver != nil
}

// Notify wakes the dispatcher after a new item was queued.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run recovers items a previous process left mid-send, then delivers due
// items until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) error {
	defer d.stop()
	n, err := d.store.RecoverOutbox(ctx, d.CanVerify)
	if err != nil {
		return fmt.Errorf("outbox: recover: %w", err)
	}
	if n > 0 {
		d.log.Warn("outbox items were mid-send when the portal stopped; their outcome is being checked", slog.Int("items", n))
	}
	for {
		d.pass(ctx)
		wait := d.Poll
		if next, err := d.store.NextOutboxDue(ctx); err == nil && !next.IsZero() {
			wait = min(wait, max(next.Sub(d.Now()), 10*time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// pass handles every due item and answers the DeliverNow calls made
// before it started.
func (d *Dispatcher) pass(ctx context.Context) {
	d.mu.Lock()
	calls := d.passes
	d.passes = nil
	select {
	case <-d.wake: // this pass answers the wake-up too
	default:
	}
	d.mu.Unlock()
	_, err := d.DispatchDue(ctx)
	if err != nil && ctx.Err() == nil {
		d.log.Error("outbox dispatch", slog.Any("error", err))
	}
	for _, c := range calls {
		c <- err
	}
}

// stop answers the DeliverNow calls no pass will answer any more.
func (d *Dispatcher) stop() {
	d.mu.Lock()
	calls := d.passes
	d.passes, d.stopped = nil, true
	d.mu.Unlock()
	for _, c := range calls {
		c <- portal.Errorf(portal.EUNAVAILABLE, "the outbox dispatcher has stopped")
	}
}

// DeliverNow wakes the running dispatcher and returns once it has made a
// pass over the outbox that started after the call: every item due by
// then has been sent (or looked up) and settled, including one whose
// delivery was in progress during the call. Items not yet due (a retry
// waiting for its backoff, a look-up for its delay) stay as they are. The
// error is the pass's own (not an item's outcome, which the item records).
// Tests use it to say "deliver now and wait" instead of polling.
func (d *Dispatcher) DeliverNow(ctx context.Context) error {
	done := make(chan error, 1)
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return portal.Errorf(portal.EUNAVAILABLE, "the outbox dispatcher has stopped")
	}
	d.passes = append(d.passes, done)
	d.Notify()
	d.mu.Unlock()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DispatchDue handles every item due now and returns how many it handled.
func (d *Dispatcher) DispatchDue(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		it, err := d.store.ClaimOutbox(ctx)
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
		if err := d.handle(ctx, it); err != nil {
			return n, err
		}
	}
	return n, ctx.Err()
}

func (d *Dispatcher) handle(ctx context.Context, it *portal.OutboxItem) error {
	k := d.kinds[it.Kind]
	if it.State == portal.OutboxVerify {
		return d.verify(ctx, it, k)
	}
	del := k.Deliver
	if del == nil {
		return d.settle(ctx, it, portal.OutboxOutcome{State: portal.OutboxFailed, Error: "this portal has no way to deliver " + it.Kind + " (is the upstream configured?)"})
	}
	callCtx, cancel := context.WithTimeout(ctx, d.Timeout)
	result, err := del.Deliver(callCtx, *it)
	cancel()
	return d.settle(ctx, it, d.outcome(it, k, result, err))
}

// outcome classifies a delivery attempt.
func (d *Dispatcher) outcome(it *portal.OutboxItem, k Kind, result string, err error) portal.OutboxOutcome {
	now := d.Now()
	msg := portal.ErrorMessage(err)
	switch code := portal.ErrorCode(err); {
	case err == nil:
		return portal.OutboxOutcome{State: portal.OutboxDelivered, Result: result}
	case code == portal.EUNCERTAIN:
		if k.Unknown == LookUp {
			return portal.OutboxOutcome{State: portal.OutboxVerify, Error: msg, Result: result, NextAttempt: now.Add(d.VerifyDelay)}
		}
		return portal.OutboxOutcome{State: portal.OutboxUncertain, Error: msg, Result: result}
	case code == portal.EUNAVAILABLE:
		// The result (what the deliverer read around the call) is kept
		// with the attempt even though nothing happened.
		if it.Attempts >= it.MaxAttempts {
			return portal.OutboxOutcome{State: portal.OutboxDead, Error: fmt.Sprintf("gave up after %d attempts: %s", it.Attempts, msg), Result: result}
		}
		return portal.OutboxOutcome{State: portal.OutboxQueued, Error: msg, Result: result, NextAttempt: now.Add(d.Backoff(it.Attempts))}
	default:
		return portal.OutboxOutcome{State: portal.OutboxFailed, Error: msg, Result: result}
	}
}

// verify looks up a write whose outcome was unknown.
func (d *Dispatcher) verify(ctx context.Context, it *portal.OutboxItem, k Kind) error {
	chk, ok := k.Deliver.(Checker)
	if !ok || k.Unknown != LookUp {
		return d.settle(ctx, it, portal.OutboxOutcome{State: portal.OutboxUncertain, Error: it.LastError})
	}
	callCtx, cancel := context.WithTimeout(ctx, d.Timeout)
	present, result, err := chk.Check(callCtx, *it)
	cancel()
	switch {
	case portal.ErrorCode(err) == portal.EUNCERTAIN:
		return d.settle(ctx, it, portal.OutboxOutcome{State: portal.OutboxUncertain, Error: it.LastError + "; " + portal.ErrorMessage(err)})
	case err != nil:
		// The look-up itself failed; look again later (never send again
		// on a failed look-up: the write may be there).
		return d.settle(ctx, it, portal.OutboxOutcome{State: portal.OutboxVerify, Error: "look-up failed: " + portal.ErrorMessage(err),
			NextAttempt: d.Now().Add(d.Backoff(it.Attempts))})
	case present:
		return d.settle(ctx, it, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: result,
			Reason: "found in the upstream after an attempt whose outcome was unknown (" + it.LastError + ")"})
	}
	note := ""
	if result != "" {
		note = " (" + result + ")"
	}
	if it.Attempts >= it.MaxAttempts {
		return d.settle(ctx, it, portal.OutboxOutcome{State: portal.OutboxDead,
			Error: fmt.Sprintf("gave up after %d attempts; a look-up found the last one did not arrive%s", it.Attempts, note)})
	}
	// Not there: the attempt had no effect, so sending again is safe.
	return d.settle(ctx, it, portal.OutboxOutcome{State: portal.OutboxQueued,
		Error: "not found in the upstream after an attempt whose outcome was unknown; sending again" + note, NextAttempt: d.Now()})
}

func (d *Dispatcher) settle(ctx context.Context, it *portal.OutboxItem, o portal.OutboxOutcome) error {
	_, err := d.store.SettleOutbox(context.WithoutCancel(ctx), it.ID, []string{it.State}, o)
	level := slog.LevelInfo
	if o.State != portal.OutboxDelivered {
		level = slog.LevelWarn
	}
	d.log.Log(ctx, level, "outbox item settled", slog.Int64("id", it.ID), slog.String("kind", it.Kind),
		slog.String("state", o.State), slog.String("error", o.Error))
	return err
}
