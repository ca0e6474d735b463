package cache

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

func TestOutbox_Lifecycle(t *testing.T) {
	db, now := MustOpen(t)
	ctx := context.Background()
	var settled []string
	db.settlers["test.kind"] = func(ctx context.Context, tx *sql.Tx, it portal.OutboxItem, o portal.OutboxOutcome) error {
		settled = append(settled, o.State)
		return nil
	}

	id, err := db.Enqueue(ctx, portal.OutboxItem{Kind: "test.kind", Upstream: "argo", Summary: "push", Payload: `{}`, CreatedBy: "sub-1"})
	if err != nil {
		t.Fatal(err)
	}
	it, err := db.ClaimOutbox(ctx)
	if err != nil || it.ID != id || it.State != portal.OutboxSending || it.Attempts != 1 {
		t.Fatalf("claim: %+v %v", it, err)
	}
	if _, err := db.ClaimOutbox(ctx); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("a sending item was claimed twice: %v", err)
	}
	// No effect: back to queued, due later.
	db.SettleOutbox(ctx, id, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxQueued, Error: "ARGO could not be reached", NextAttempt: now.Add(time.Minute)})
	if _, err := db.ClaimOutbox(ctx); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatal("an item was claimed before it was due")
	}
	if next, _ := db.NextOutboxDue(ctx); !next.Equal(now.Add(time.Minute)) {
		t.Fatalf("next due %v", next)
	}
	*now = now.Add(time.Minute)
	it, _ = db.ClaimOutbox(ctx)
	if it.Attempts != 2 {
		t.Fatalf("attempts %d", it.Attempts)
	}
	if _, err := db.SettleOutbox(ctx, id, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: `{"id":"m1"}`}); err != nil {
		t.Fatal(err)
	}
	// A second settlement from a stale state is refused.
	if _, err := db.SettleOutbox(ctx, id, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxFailed}); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("stale settle: %v", err)
	}
	att, _ := db.OutboxAttempts(ctx, id)
	if len(att) != 2 || att[0].Outcome != portal.OutboxQueued || att[1].Outcome != portal.OutboxDelivered {
		t.Fatalf("attempts %+v", att)
	}
	trail, _ := db.AuditTrail(ctx, "outbox:1")
	if len(trail) != 3 || trail[2].To != portal.OutboxDelivered || trail[0].Actor != "sub-1" {
		t.Fatalf("audit %+v", trail)
	}
	if len(settled) != 2 || settled[1] != portal.OutboxDelivered {
		t.Fatalf("settler saw %v", settled)
	}
	got, _ := db.OutboxItemByID(ctx, id)
	if got.Result != `{"id":"m1"}` {
		t.Fatalf("result %q", got.Result)
	}
}

func TestOutbox_SettlerFailureRollsBack(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	db.settlers["test.fail"] = func(context.Context, *sql.Tx, portal.OutboxItem, portal.OutboxOutcome) error {
		return portal.Errorf(portal.EINTERNAL, "boom")
	}
	id, _ := db.Enqueue(ctx, portal.OutboxItem{Kind: "test.fail", Upstream: "obi", Summary: "x", Payload: "{}", CreatedBy: "s"})
	db.ClaimOutbox(ctx)
	if _, err := db.SettleOutbox(ctx, id, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxDelivered}); err == nil {
		t.Fatal("settler error ignored")
	}
	it, _ := db.OutboxItemByID(ctx, id)
	if it.State != portal.OutboxSending {
		t.Fatalf("half-written settle: state %s", it.State)
	}
}

func TestOutbox_RecoverAndRequeue(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	a, _ := db.Enqueue(ctx, portal.OutboxItem{Kind: "checkable", Upstream: "argo", Summary: "a", Payload: "{}", CreatedBy: "s"})
	b, _ := db.Enqueue(ctx, portal.OutboxItem{Kind: "blind", Upstream: "obi", Summary: "b", Payload: "{}", CreatedBy: "s"})
	db.ClaimOutbox(ctx)
	db.ClaimOutbox(ctx)
	n, err := db.RecoverOutbox(ctx, func(kind string) bool { return kind == "checkable" })
	if err != nil || n != 2 {
		t.Fatalf("recovered %d: %v", n, err)
	}
	ia, _ := db.OutboxItemByID(ctx, a)
	ib, _ := db.OutboxItemByID(ctx, b)
	if ia.State != portal.OutboxVerify || ib.State != portal.OutboxUncertain {
		t.Fatalf("after recovery: %s %s", ia.State, ib.State)
	}
	// A verify item is claimed for a look-up without counting an attempt.
	it, _ := db.ClaimOutbox(ctx)
	if it.ID != a || it.State != portal.OutboxVerify || it.Attempts != 1 {
		t.Fatalf("verify claim %+v", it)
	}
	if err := db.RequeueOutbox(ctx, b, "admin", "Ada"); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("uncertain item requeued: %v", err)
	}
	db.SettleOutbox(ctx, b, []string{portal.OutboxUncertain}, portal.OutboxOutcome{State: portal.OutboxFailed, Actor: "admin", Reason: "not in the upstream"})
	if err := db.RequeueOutbox(ctx, b, "admin", "Ada"); err != nil {
		t.Fatal(err)
	}
	items, total, _ := db.ListOutbox(ctx, portal.OutboxFilter{States: []string{portal.OutboxQueued}})
	if total != 1 || items[0].ID != b || items[0].MaxAttempts != 1+portal.OutboxMaxAttempts {
		t.Fatalf("requeued %+v (total %d)", items, total)
	}
	counts, _ := db.OutboxCounts(ctx)
	if counts[portal.OutboxQueued] != 1 || counts[portal.OutboxVerify] != 1 {
		t.Fatalf("counts %v", counts)
	}
}

func TestOutbox_ConcurrentClaimsNeverShare(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	for range 20 {
		db.Enqueue(ctx, portal.OutboxItem{Kind: "k", Upstream: "argo", Summary: "x", Payload: "{}", CreatedBy: "s"})
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				it, err := db.ClaimOutbox(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				seen[it.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Fatalf("claimed %d of 20", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("item %d claimed %d times", id, n)
		}
	}
}
