package cache

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

const (
	testLab   = "0b6f7d0e-3c8a-4f0e-9a51-3e4c2b1d9f10"
	testProj  = "5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71"
	testProj2 = "6c1d2b6f-7e60-4e54-9b8f-3f2d1cae9e82"
)

// withBudgetCatalog stores a lab with two projects.
func withBudgetCatalog(t *testing.T, db *DB) {
	t.Helper()
	c := &portal.Catalog{VirtualLabs: []portal.VirtualLab{{ID: testLab, Name: "Cortex Lab"}},
		Projects: []portal.CatalogProject{
			{Key: "neuro-sim", Name: "Neural Circuit Simulation", OBIID: testProj, OBIVlabID: testLab},
			{Key: "brain-atlas", Name: "Brain Atlas Imaging", OBIID: testProj2, OBIVlabID: testLab},
		}}
	if err := db.ReplaceCatalog(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func newAssign(t *testing.T, db *DB, amount string) int64 {
	t.Helper()
	id, err := db.CreateBudgetRequest(context.Background(), budgets.NewRequest{Kind: budgets.Assign, VlabID: testLab, ProjID: testProj,
		ProjectKey: "neuro-sim", Amount: decimal.MustParse(amount), Justification: "more simulations", Actor: "demo-manager", ActorName: "Max Manager"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestBudgetRequest_ApproveQueuesOnce_SecondApprovalSaysWhoWasFirst(t *testing.T) {
	db, _ := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	id := newAssign(t, db, "250.5")
	r, err := db.ApproveBudgetRequest(ctx, id, "demo-admin", "Ada Admin")
	if err != nil || r.State != budgets.Approved || r.OutboxID == 0 {
		t.Fatalf("approve: %+v %v", r, err)
	}
	items, _ := db.OutboxByRef(ctx, budgets.RequestRef(id))
	if len(items) != 1 || items[0].Kind != portal.KindOBIBudget || items[0].State != portal.OutboxQueued {
		t.Fatalf("outbox: %+v", items)
	}
	var p budgets.Payload
	if err := json.Unmarshal([]byte(items[0].Payload), &p); err != nil || p.Amount.String() != "250.50" || p.ProjID != testProj || p.Kind != budgets.Assign {
		t.Fatalf("payload %s (%v)", items[0].Payload, err)
	}
	if !strings.Contains(items[0].Summary, "Assign 250.50 credits from Cortex Lab to Neural Circuit Simulation") {
		t.Errorf("summary %q", items[0].Summary)
	}
	_, err = db.ApproveBudgetRequest(ctx, id, "other-admin", "Otto Admin")
	if portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(portal.ErrorMessage(err), "already approved by Ada Admin at 2026-11-20 12:00:00 UTC") {
		t.Fatalf("second approval: %v", err)
	}
	if items, _ := db.OutboxByRef(ctx, budgets.RequestRef(id)); len(items) != 1 {
		t.Fatalf("%d outbox items after two approvals", len(items))
	}
}

func TestBudgetRequest_ConcurrentApprovalsQueueOneCall(t *testing.T) {
	db, _ := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	id := newAssign(t, db, "10")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, conflicts := 0, 0
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := db.ApproveBudgetRequest(ctx, id, "admin", "Admin "+string(rune('A'+i)))
			mu.Lock()
			defer mu.Unlock()
			switch portal.ErrorCode(err) {
			case "":
				ok++
			case portal.ECONFLICT:
				conflicts++
			default:
				t.Errorf("approve: %v", err)
			}
		}()
	}
	wg.Wait()
	items, _ := db.OutboxByRef(ctx, budgets.RequestRef(id))
	if ok != 1 || conflicts != 11 || len(items) != 1 {
		t.Fatalf("%d approvals succeeded, %d conflicts, %d outbox items", ok, conflicts, len(items))
	}
}

func TestBudgetRequest_DenyNeedsAReason_CancelOnlyByRequesterWhilePending(t *testing.T) {
	db, _ := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	id := newAssign(t, db, "10")
	if err := db.DenyBudgetRequest(ctx, id, "demo-admin", "Ada Admin", "  "); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("deny without a reason: %v", err)
	}
	if err := db.DenyBudgetRequest(ctx, id, "demo-admin", "Ada Admin", "use the lab's spare budget first"); err != nil {
		t.Fatal(err)
	}
	r, _ := db.BudgetRequestByID(ctx, id)
	if r.State != budgets.Denied || r.DenyReason != "use the lab's spare budget first" || r.DecidedByName != "Ada Admin" {
		t.Fatalf("denied request %+v", r)
	}
	if _, err := db.ApproveBudgetRequest(ctx, id, "demo-admin", "Ada Admin"); !strings.Contains(portal.ErrorMessage(err), "already denied by Ada Admin") {
		t.Fatalf("approve after deny: %v", err)
	}

	id2 := newAssign(t, db, "10")
	if err := db.CancelBudgetRequest(ctx, id2, "someone-else", "Someone"); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Fatalf("cancel by another person: %v", err)
	}
	if err := db.CancelBudgetRequest(ctx, id2, "demo-manager", "Max Manager"); err != nil {
		t.Fatal(err)
	}
	if err := db.CancelBudgetRequest(ctx, id2, "demo-manager", "Max Manager"); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("cancel twice: %v", err)
	}

	id3 := newAssign(t, db, "10")
	db.ApproveBudgetRequest(ctx, id3, "demo-admin", "Ada Admin")
	if err := db.CancelBudgetRequest(ctx, id3, "demo-manager", "Max Manager"); portal.ErrorCode(err) != portal.ECONFLICT ||
		!strings.Contains(portal.ErrorMessage(err), "already approved") {
		t.Fatalf("cancel after approval: %v", err)
	}
	trail, _ := db.AuditTrail(ctx, budgets.RequestRef(id))
	if len(trail) != 2 || trail[0].To != budgets.Pending || trail[1].From != budgets.Pending || trail[1].To != budgets.Denied ||
		trail[1].Reason != "use the lab's spare budget first" || trail[1].ActorName != "Ada Admin" {
		t.Fatalf("audit trail %+v", trail)
	}
}

func delivery(before, after string) string {
	rd := func(bal string) *budgets.BalanceReading {
		return &budgets.BalanceReading{At: time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC),
			Accounts: []budgets.AccountBalance{{Account: budgets.Account{Kind: "vlab", ID: testLab}, Balance: decimal.MustParse(bal)}}}
	}
	d := budgets.Delivery{Before: rd(before)}
	if after != "" {
		d.After = rd(after)
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func TestBudgetRequest_FollowsItsOutboxItem(t *testing.T) {
	db, _ := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	approve := func() (*budgets.Request, *portal.OutboxItem) {
		id := newAssign(t, db, "10")
		r, err := db.ApproveBudgetRequest(ctx, id, "demo-admin", "Ada Admin")
		if err != nil {
			t.Fatal(err)
		}
		it, err := db.ClaimOutbox(ctx)
		if err != nil || it.ID != r.OutboxID {
			t.Fatalf("claim %+v %v", it, err)
		}
		return r, it
	}
	// Delivered: applied, with the readings.
	r, it := approve()
	if _, err := db.SettleOutbox(ctx, it.ID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: delivery("100.00", "90.00")}); err != nil {
		t.Fatal(err)
	}
	got, _ := db.BudgetRequestByID(ctx, r.ID)
	if got.State != budgets.Applied || got.Delivery.After == nil || got.Delivery.Before.Accounts[0].Balance.String() != "100.00" {
		t.Fatalf("after delivery: %+v", got)
	}
	// Refused upstream: failed with the upstream's reason.
	r, it = approve()
	msg := "OBI answered 400: Insufficient funds in the virtual-lab account"
	db.SettleOutbox(ctx, it.ID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxFailed, Error: msg, Result: delivery("5.00", "")})
	if got, _ := db.BudgetRequestByID(ctx, r.ID); got.State != budgets.Failed || got.UpstreamError != msg {
		t.Fatalf("after refusal: %+v", got)
	}
	// Retried (no effect): still approved.
	r, it = approve()
	db.SettleOutbox(ctx, it.ID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxQueued, Error: "OBI could not be reached"})
	if got, _ := db.BudgetRequestByID(ctx, r.ID); got.State != budgets.Approved {
		t.Fatalf("after a retry: %s", got.State)
	}
	// Unknown outcome: needs reconciliation, then an admin settles it.
	db.ClaimOutbox(ctx)
	db.SettleOutbox(ctx, it.ID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxUncertain, Error: "OBI did not answer in time", Result: delivery("100.00", "90.00")})
	got, _ = db.BudgetRequestByID(ctx, r.ID)
	if got.State != budgets.NeedsReconciliation || got.Delivery.After.Accounts[0].Balance.String() != "90.00" {
		t.Fatalf("after an unanswered call: %+v", got)
	}
	if err := db.ReconcileBudgetRequest(ctx, r.ID, true, "demo-admin", "Ada Admin", ""); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("reconcile without a reason: %v", err)
	}
	if err := db.ReconcileBudgetRequest(ctx, r.ID, true, "demo-admin", "Ada Admin", "the lab balance dropped by exactly 10"); err != nil {
		t.Fatal(err)
	}
	got, _ = db.BudgetRequestByID(ctx, r.ID)
	item, _ := db.OutboxItemByID(ctx, it.ID)
	if got.State != budgets.Applied || got.SettledByName != "Ada Admin" || got.SettleReason != "the lab balance dropped by exactly 10" ||
		item.State != portal.OutboxDelivered || got.Delivery.After == nil {
		t.Fatalf("after reconciling: request %+v, outbox %s", got, item.State)
	}
	if err := db.ReconcileBudgetRequest(ctx, r.ID, false, "demo-admin", "Ada Admin", "again"); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("reconcile twice: %v", err)
	}
	trail, _ := db.AuditTrail(ctx, budgets.RequestRef(r.ID))
	var states []string
	for _, e := range trail {
		states = append(states, e.To)
	}
	if strings.Join(states, ",") != "pending,approved,needs-reconciliation,applied" {
		t.Fatalf("trail %v", states)
	}
}

func TestBudgetRequest_OutcomesToldOnce_ListsScopedToRequester(t *testing.T) {
	db, _ := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	a, b := newAssign(t, db, "1"), newAssign(t, db, "2")
	other, _ := db.CreateBudgetRequest(ctx, budgets.NewRequest{Kind: budgets.TopUp, VlabID: testLab, Amount: decimal.MustParse("3"),
		Justification: "x", Actor: "someone", ActorName: "Some One"})
	db.DenyBudgetRequest(ctx, a, "demo-admin", "Ada Admin", "no")
	db.DenyBudgetRequest(ctx, other, "demo-admin", "Ada Admin", "no")
	out, err := db.TakeBudgetOutcomes(ctx, "demo-manager")
	if err != nil || len(out) != 1 || out[0].ID != a {
		t.Fatalf("outcomes %+v %v", out, err)
	}
	if out, _ := db.TakeBudgetOutcomes(ctx, "demo-manager"); len(out) != 0 {
		t.Fatalf("told twice: %+v", out)
	}
	mine, total, err := db.ListBudgetRequests(ctx, budgets.RequestFilter{Scope: portal.Scope{All: true}, RequestedBy: "demo-manager", Limit: 10})
	if err != nil || total != 2 || len(mine) != 2 {
		t.Fatalf("mine: %d %v", total, err)
	}
	// Inbox order: pending first, oldest first.
	all, _, _ := db.ListBudgetRequests(ctx, budgets.RequestFilter{Scope: portal.Scope{All: true}, Limit: 10})
	if all[0].ID != b || all[0].State != budgets.Pending {
		t.Fatalf("inbox order: %d %s first", all[0].ID, all[0].State)
	}
}

func TestBudgetRequest_SentAgainAfterFailingCanStillApply(t *testing.T) {
	db, _ := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	id := newAssign(t, db, "10")
	r, _ := db.ApproveBudgetRequest(ctx, id, "demo-admin", "Ada Admin")
	db.ClaimOutbox(ctx)
	db.SettleOutbox(ctx, r.OutboxID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxDead, Error: "gave up after 8 attempts: OBI could not be reached"})
	if got, _ := db.BudgetRequestByID(ctx, id); got.State != budgets.Failed || !strings.Contains(got.UpstreamError, "gave up") {
		t.Fatalf("after giving up: %+v", got)
	}
	// An admin sends it again from the outbox page, and this time it arrives.
	if err := db.RequeueOutbox(ctx, r.OutboxID, "demo-admin", "Ada Admin"); err != nil {
		t.Fatal(err)
	}
	// The requester sees it on its way again at once, not "failed".
	if got, _ := db.BudgetRequestByID(ctx, id); got.State != budgets.Approved {
		t.Fatalf("after sending again: %s", got.State)
	}
	db.ClaimOutbox(ctx)
	if _, err := db.SettleOutbox(ctx, r.OutboxID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: delivery("1.00", "0.00")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.BudgetRequestByID(ctx, id); got.State != budgets.Applied {
		t.Fatalf("after a successful resend: %s", got.State)
	}
}

// A page asks for outcomes on every view; with nothing to tell it must not
// wait for the writer connection, which a sync may hold for seconds.
func TestTakeBudgetOutcomes_NothingPendingNeedsNoWriter(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	tx, err := db.w.BeginTx(ctx, nil) // the one writer connection, busy
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	quick, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	got, err := db.TakeBudgetOutcomes(quick, "demo-manager")
	if err != nil || len(got) != 0 {
		t.Fatalf("outcomes %v, %v", got, err)
	}
}

// A balance never read is absent, not 0; a balance read as zero (even
// OBI's "-0.00") is known and keeps its text.
func TestBudgetRequest_CachedBalancesAbsentIsNotZero(t *testing.T) {
	db, _ := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	id := newAssign(t, db, "5")
	r, err := db.BudgetRequestByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.LabBalance.Known || r.ProjBalance.Known || r.ToBalance.Known {
		t.Fatalf("balances known before any sync: %+v %+v %+v", r.LabBalance, r.ProjBalance, r.ToBalance)
	}
	if _, err := db.SaveOBIBalances(ctx, time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), []budgets.LabReading{{VlabID: testLab,
		Balance: decimal.MustParse("-0.00"), Projects: []budgets.ProjectReading{{ProjID: testProj, Balance: decimal.MustParse("0"), Reservation: decimal.Zero}}}}); err != nil {
		t.Fatal(err)
	}
	if r, err = db.BudgetRequestByID(ctx, id); err != nil {
		t.Fatal(err)
	}
	if !r.LabBalance.Known || r.LabBalance.Value.String() != "-0.00" || !r.ProjBalance.Known || !r.ProjBalance.Value.IsZero() || r.ToBalance.Known {
		t.Fatalf("after a sync: %+v %+v %+v", r.LabBalance, r.ProjBalance, r.ToBalance)
	}
}

// TestBudgetRequest_ScopeSelectsItsProjectsRequests: a member of one
// project reads the requests that name it (an assignment, either side of
// a move) and the top-ups of its lab, not another project's or another
// lab's; the counts and the single request agree with the list.
func TestBudgetRequest_ScopeSelectsItsProjectsRequests(t *testing.T) {
	db, _ := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	create := func(n budgets.NewRequest) int64 {
		t.Helper()
		n.Amount, n.Justification, n.Actor, n.ActorName = decimal.MustParse("5"), "x", "demo-manager", "Max Manager"
		id, err := db.CreateBudgetRequest(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	mine := create(budgets.NewRequest{Kind: budgets.Assign, VlabID: testLab, ProjID: testProj, ProjectKey: "neuro-sim"})
	other := create(budgets.NewRequest{Kind: budgets.Assign, VlabID: testLab, ProjID: testProj2, ProjectKey: "brain-atlas"})
	moveIn := create(budgets.NewRequest{Kind: budgets.Move, VlabID: testLab, ProjID: testProj2, ProjectKey: "brain-atlas",
		ToProjID: testProj, ToProjectKey: "neuro-sim"})
	topUp := create(budgets.NewRequest{Kind: budgets.TopUp, VlabID: testLab})
	otherLab := create(budgets.NewRequest{Kind: budgets.TopUp, VlabID: "another-lab"})
	db.DenyBudgetRequest(ctx, mine, "demo-admin", "Ada Admin", "no")

	ids := func(scope portal.Scope) []int64 {
		t.Helper()
		rows, total, err := db.ListBudgetRequests(ctx, budgets.RequestFilter{Scope: scope, Sort: "id", Limit: 10})
		if err != nil || int(total) != len(rows) {
			t.Fatalf("list: %d rows, total %d, %v", len(rows), total, err)
		}
		var out []int64
		for _, r := range rows {
			out = append(out, r.ID)
		}
		return out
	}
	neuro := portal.Scope{Projects: []string{"neuro-sim"}}
	if got, want := ids(neuro), []int64{mine, moveIn, topUp}; !slices.Equal(got, want) {
		t.Errorf("neuro-sim's member reads %v, want %v", got, want)
	}
	if got := ids(portal.Scope{}); len(got) != 0 {
		t.Errorf("nobody's scope reads %v", got)
	}
	if got, want := ids(portal.Scope{All: true}), []int64{mine, other, moveIn, topUp, otherLab}; !slices.Equal(got, want) {
		t.Errorf("everything: %v, want %v", got, want)
	}
	counts, err := db.BudgetRequestCounts(ctx, budgets.RequestFilter{Scope: neuro, States: []string{budgets.Denied}})
	if err != nil || counts[budgets.Denied] != 1 || counts[budgets.Pending] != 2 {
		t.Errorf("counts %v (%v), want 1 denied and 2 pending whatever the state filter", counts, err)
	}
	if r, err := db.BudgetRequestInScope(ctx, neuro, moveIn); err != nil || r.ID != moveIn {
		t.Errorf("the move into neuro-sim: %+v %v", r, err)
	}
	for _, id := range []int64{other, otherLab} {
		if _, err := db.BudgetRequestInScope(ctx, neuro, id); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Errorf("request %d outside the scope: %v, want not found", id, err)
		}
	}
}
