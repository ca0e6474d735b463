package budgets

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// TestStateAfter walks every request state through every outbox state.
func TestStateAfter(t *testing.T) {
	const stay = "" // the request keeps its state
	want := map[string]map[string]string{
		// from: outbox state -> to
		Approved: {portal.OutboxQueued: stay, portal.OutboxSending: stay, portal.OutboxVerify: stay, portal.OutboxDelivered: Applied,
			portal.OutboxFailed: Failed, portal.OutboxDead: Failed, portal.OutboxUncertain: NeedsReconciliation},
		NeedsReconciliation: {portal.OutboxQueued: stay, portal.OutboxDelivered: Applied, portal.OutboxFailed: Failed,
			portal.OutboxDead: Failed, portal.OutboxUncertain: stay},
		// An admin sent a failed call again: it is on its way; a new refusal keeps its reason.
		Failed: {portal.OutboxQueued: Approved, portal.OutboxSending: stay, portal.OutboxDelivered: Applied, portal.OutboxFailed: Failed,
			portal.OutboxDead: Failed, portal.OutboxUncertain: NeedsReconciliation},
		Applied: {portal.OutboxQueued: stay, portal.OutboxDelivered: stay},
	}
	for from, outs := range want {
		for out, to := range outs {
			got, moves, err := StateAfter(7, from, out)
			if err != nil || moves != (to != stay) || (moves && got != to) || (!moves && got != from) {
				t.Errorf("%s on %s: %s (moves %v, %v), want %q", from, out, got, moves, err, to)
			}
		}
	}
	// A request not waiting for its call cannot be moved by one.
	for _, from := range []string{Pending, Denied, Cancelled, Applied} {
		for _, out := range []string{portal.OutboxFailed, portal.OutboxUncertain} {
			if _, moves, err := StateAfter(7, from, out); moves || portal.ErrorCode(err) != portal.ECONFLICT ||
				!strings.Contains(portal.ErrorMessage(err), "request 7 is "+from) {
				t.Errorf("%s on %s: moves %v, %v", from, out, moves, err)
			}
		}
	}
}

// TestApprovalBlocked: four eyes unless a single admin is allowed.
func TestApprovalBlocked(t *testing.T) {
	r := &Request{RequestedBy: "ada"}
	if got := ApprovalBlocked(r, "ada", false); got != SelfApprovalRefused {
		t.Errorf("own request with four eyes: %q", got)
	}
	if got := ApprovalBlocked(r, "otto", false); got != "" {
		t.Errorf("another admin's: %q", got)
	}
	if got := ApprovalBlocked(r, "ada", true); got != "" {
		t.Errorf("own request, self-approval allowed: %q", got)
	}
}

func TestDecidedConflict_SaysWhoAndWhen(t *testing.T) {
	at := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		r    Request
		want string
	}{
		{Request{ID: 3, State: Applied, DecidedBy: "ada", DecidedByName: "Ada Admin", Decided: at},
			"Request 3 was already approved by Ada Admin at 2026-11-20 12:00:00 UTC (it is applied now). It cannot be denied."},
		{Request{ID: 3, State: Denied, DecidedBy: "ada", Decided: at}, "Request 3 was already denied by ada at 2026-11-20 12:00:00 UTC. It cannot be denied."},
		{Request{ID: 3, State: Cancelled, Updated: at}, "Request 3 was cancelled by its requester at 2026-11-20 12:00:00 UTC. It cannot be denied."},
	} {
		err := DecidedConflict(&c.r, "denied")
		if portal.ErrorCode(err) != portal.ECONFLICT || portal.ErrorMessage(err) != c.want {
			t.Errorf("%s: %v", c.r.State, err)
		}
	}
	r := &Request{ID: 4, State: Approved, RequestedBy: "max", DecidedBy: "ada", Decided: at}
	if err := CancelRefused(r, "otto"); portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Errorf("cancelled by another: %v", err)
	}
	if err := CancelRefused(r, "max"); portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(portal.ErrorMessage(err), "cannot be cancelled") {
		t.Errorf("cancelled after approval: %v", err)
	}
}

func TestReasonsAndReconciliation(t *testing.T) {
	if _, err := DenyReason("  "); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("blank denial: %v", err)
	}
	if got, err := ReconcileReason(" checked OBI "); err != nil || got != "checked OBI" {
		t.Errorf("reason %q %v", got, err)
	}
	r := &Request{ID: 5, State: NeedsReconciliation, OutboxID: 9}
	o, err := Reconciliation(r, false, "ada", "Ada Admin", "no change in OBI")
	if err != nil || o.State != portal.OutboxFailed || o.Error != "not applied, found by Ada Admin: no change in OBI" || o.Actor != "ada" {
		t.Errorf("not applied: %+v %v", o, err)
	}
	if o, err := Reconciliation(r, true, "ada", "Ada Admin", "rose by 10"); err != nil || o.State != portal.OutboxDelivered || o.Error != "" {
		t.Errorf("applied: %+v %v", o, err)
	}
	r.State = Applied
	if _, err := Reconciliation(r, true, "ada", "Ada Admin", "x"); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("an applied request reconciled: %v", err)
	}
	if got := SettleReason(Applied, portal.OutboxOutcome{}); got != "OBI confirmed the change" {
		t.Errorf("applied without a reason: %q", got)
	}
	if got := SettleReason(Failed, portal.OutboxOutcome{Error: "refused"}); got != "refused" {
		t.Errorf("failed: %q", got)
	}
}

func reading(bal string) *BalanceReading {
	return &BalanceReading{At: time.Unix(0, 0).UTC(), Accounts: []AccountBalance{{Account: Account{Kind: "vlab", ID: "lab"}, Balance: decimal.MustParse(bal)}}}
}

func deliveryJSON(t *testing.T, before, after string) string {
	t.Helper()
	d := Delivery{Before: reading(before)}
	if after != "" {
		d.After = reading(after)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMergeDelivery keeps the reading before the first attempt and the
// one after the last.
func TestMergeDelivery(t *testing.T) {
	first := deliveryJSON(t, "100", "100")
	if got, err := MergeDelivery("", first); err != nil || got != first {
		t.Fatalf("first attempt: %s %v", got, err)
	}
	got, err := MergeDelivery(first, deliveryJSON(t, "95", "85"))
	var d Delivery
	if err != nil || json.Unmarshal([]byte(got), &d) != nil || d.Before.Accounts[0].Balance.String() != "100" || d.After.Accounts[0].Balance.String() != "85" {
		t.Fatalf("second attempt: %s %v", got, err)
	}
	for _, result := range []string{"", `{"note":"an admin's decision"}`, "not json"} {
		if got, err := MergeDelivery(first, result); err != nil || got != first {
			t.Errorf("result %q changed the readings: %s %v", result, got, err)
		}
	}
	if _, err := MergeDelivery("{broken", first); err == nil {
		t.Error("unreadable stored readings accepted")
	}
}

func TestSummaryAndPayload(t *testing.T) {
	r := Request{ID: 1, VlabID: "lab", VlabName: "Cortex Lab", ProjID: "p1", ProjectKey: "neuro-sim", ProjName: "Neural Circuit Simulation",
		ToProjID: "p2", ToProjectKey: "brain-atlas", Amount: decimal.MustParse("500")}
	lab, p1, p2 := Account{Kind: "vlab", ID: "lab"}, Account{Kind: "project", ID: "p1"}, Account{Kind: "project", ID: "p2"}
	for _, c := range []struct {
		kind, summary string
		changes       map[Account]string
	}{
		{TopUp, "Top up Cortex Lab with 500.00 credits", map[Account]string{lab: "500"}},
		{Assign, "Assign 500.00 credits from Cortex Lab to Neural Circuit Simulation", map[Account]string{lab: "-500", p1: "500"}},
		{Reverse, "Return 500.00 credits from Neural Circuit Simulation to Cortex Lab", map[Account]string{lab: "500", p1: "-500"}},
		{Move, "Move 500.00 credits from Neural Circuit Simulation to brain-atlas (Cortex Lab)", map[Account]string{p1: "-500", p2: "500"}},
	} {
		r.Kind = c.kind
		if got := r.Summary(); got != c.summary {
			t.Errorf("%s: %q", c.kind, got)
		}
		p := r.Payload()
		if len(p.Accounts()) != len(c.changes) {
			t.Errorf("%s: accounts %v", c.kind, p.Accounts())
		}
		for _, a := range p.Accounts() {
			if got := p.Change(a).String(); got != c.changes[a] {
				t.Errorf("%s: %v changes by %s, want %s", c.kind, a, got, c.changes[a])
			}
		}
	}
	if RequestRef(12) != "budget_request:12" {
		t.Error(RequestRef(12))
	}
}
