package cache

import (
	"context"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/portal"
)

// A request keeps the balances read before its first attempt: a retry
// after an attempt with no effect reads again, but never replaces them.
// Each attempt keeps its own readings, and the item remembers when it was
// first sent and how many attempts had an unknown outcome.
func TestBudgetRequest_KeepsFirstReadingAcrossAttempts(t *testing.T) {
	db, now := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	r, err := db.ApproveBudgetRequest(ctx, newAssign(t, db, "10"), "demo-admin", "Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	first := *now
	it, err := db.ClaimOutbox(ctx)
	if err != nil || !it.FirstSent.Equal(first) {
		t.Fatalf("first claim %+v %v", it, err)
	}
	// Attempt 1: OBI refused it unread (429): no effect, sent again.
	if _, err := db.SettleOutbox(ctx, it.ID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxQueued, Error: "OBI answered 429",
		Result: delivery("100.00", "100.00"), NextAttempt: *now}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.BudgetRequestByID(ctx, r.ID)
	if got.State != budgets.Approved || got.Delivery.Before == nil || got.Delivery.Before.Accounts[0].Balance.String() != "100.00" {
		t.Fatalf("after a retry the readings are lost: %+v", got.Delivery)
	}
	*now = now.Add(time.Minute)
	it, _ = db.ClaimOutbox(ctx)
	if !it.FirstSent.Equal(first) || it.Attempts != 2 {
		t.Fatalf("second claim: first sent %v, %d attempts", it.FirstSent, it.Attempts)
	}
	// Attempt 2 read other balances (a job was charged meanwhile) and got
	// no answer: the request compares the first reading with the last.
	if _, err := db.SettleOutbox(ctx, it.ID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxUncertain, Error: "OBI answered 502",
		Result: delivery("95.00", "85.00")}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.BudgetRequestByID(ctx, r.ID)
	if got.State != budgets.NeedsReconciliation || got.Delivery.Before.Accounts[0].Balance.String() != "100.00" ||
		got.Delivery.After.Accounts[0].Balance.String() != "85.00" {
		t.Fatalf("readings %+v, want before 100.00 (first attempt), after 85.00 (last)", got.Delivery)
	}
	item, _ := db.OutboxItemByID(ctx, it.ID)
	if item.UnknownAttempts != 1 || !item.FirstSent.Equal(first) {
		t.Fatalf("item %+v", item)
	}
	attempts, _ := db.OutboxAttempts(ctx, it.ID)
	if len(attempts) != 2 || attempts[0].Result != delivery("100.00", "100.00") || attempts[1].Result != delivery("95.00", "85.00") ||
		attempts[0].Outcome != portal.OutboxQueued || attempts[1].Outcome != portal.OutboxUncertain {
		t.Fatalf("attempts %+v", attempts)
	}
	// An admin's decision carries no readings and keeps them.
	if err := db.ReconcileBudgetRequest(ctx, r.ID, true, "demo-admin", "Ada Admin", "the lab dropped by 10 once"); err != nil {
		t.Fatal(err)
	}
	got, _ = db.BudgetRequestByID(ctx, r.ID)
	if got.State != budgets.Applied || got.Delivery.Before.Accounts[0].Balance.String() != "100.00" {
		t.Fatalf("after reconciling: %+v", got)
	}
}
