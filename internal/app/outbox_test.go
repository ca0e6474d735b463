package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/fault"
)

// A portal with every upstream configured has a deliverer for every row
// of the outbox table.
func TestOutboxTable_EveryKindHasADelivererWhenItsUpstreamIsConfigured(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	kinds := p.App.Outbox.Kinds()
	if len(kinds) != len(portal.OutboxKinds) {
		t.Fatalf("%d rows for %d kinds", len(kinds), len(portal.OutboxKinds))
	}
	for _, k := range kinds {
		if k.Deliver == nil || k.Settle == nil {
			t.Errorf("kind %s: deliverer %v, settler set %v", k.Name, k.Deliver, k.Settle != nil)
		}
	}
}

// An admin's decisions on the outbox page reach the budget request
// through the settler of the table: an unknown outcome settled as "not
// applied" fails the request, and "send again" puts it back on its way.
func TestOutboxAdmin_SettleAndSendAgainMoveTheBudgetRequest(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, map[string]string{"PORTAL_UPSTREAM_TIMEOUT": "3s"})
	manager, admin := p.Login(t, "manager"), p.Login(t, "admin")
	ns := project(t, p.Sims.World, "neuro-sim")
	id := request(t, manager, url.Values{"kind": {"top-up"}, "vlab": {ns.VlabID}, "amount": {"5"}, "justification": {"new grant"}})
	// OBI never answers, and applies nothing.
	p.Sims.OBI.Faults().Set(fault.Fault{Mode: fault.Hang, Method: "POST", PathPrefix: "/budget/", Count: 1, Delay: 30 * time.Second})
	admin.Post("/requests/"+strconv.FormatInt(id, 10)+"/approve", nil)
	got := requestIn(t, p, id, budgets.NeedsReconciliation)

	r := admin.Post(fmt.Sprintf("/outbox/%d/resolve", got.OutboxID), url.Values{"outcome": {"failed"}, "reason": {"OBI shows no such top-up"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
	failed := requestIn(t, p, id, budgets.Failed)
	if failed.SettledByName == "" || failed.SettleReason != "OBI shows no such top-up" {
		t.Errorf("the request does not say who settled it: %+v", failed)
	}

	balance := labBalance(t, p, ns.VlabID)
	if r := admin.Post(fmt.Sprintf("/outbox/%d/requeue", got.OutboxID), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("requeue: %d %s", r.Status, r.Body)
	}
	requestIn(t, p, id, budgets.Applied)
	trail, err := p.App.DB.AuditTrail(context.Background(), "budget_request:"+strconv.FormatInt(id, 10))
	if err != nil {
		t.Fatal(err)
	}
	sentAgain := false
	for _, e := range trail {
		if e.From == budgets.Failed && e.To == budgets.Approved && e.Actor != portal.SystemActor {
			sentAgain = true
		}
	}
	if !sentAgain {
		t.Errorf("the request's history does not show it sent again by the admin: %+v", trail)
	}
	if want := balance.Add(decimal.MustParse("5")); !labBalance(t, p, ns.VlabID).Equal(want) {
		t.Errorf("lab balance %s, want %s", labBalance(t, p, ns.VlabID), want)
	}
}
