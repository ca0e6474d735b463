package app_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/web/templates"
)

// An approved change OBI refused unread (429) is sent again; the second
// attempt is applied and its answer lost to a gateway's 502. The change
// happens once, the request waits for an admin and says why, and its page
// compares the balances from before the first attempt with those after
// the last, with each attempt's own readings.
func TestBudgetRequest_AppliedThen502AfterARetryIsShownWithEveryAttempt(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, map[string]string{"PORTAL_UPSTREAM_TIMEOUT": "3s"})
	manager, admin := p.Login(t, "manager"), p.Login(t, "admin")
	ns := project(t, p.Sims.World, "neuro-sim")
	before := labBalance(t, p, ns.VlabID)
	id := request(t, manager, url.Values{"kind": {"top-up"}, "vlab": {ns.VlabID}, "amount": {"100"}, "justification": {"new grant"}})
	p.Sims.OBI.Faults().Set(fault.Fault{Mode: fault.RateLimit, Method: "POST", PathPrefix: "/budget/", Count: 1},
		fault.Fault{Mode: fault.ApplyThen502, Method: "POST", PathPrefix: "/budget/", Count: 1})
	admin.Post("/requests/"+strconv.FormatInt(id, 10)+"/approve", nil)
	// The first attempt is refused unread; the retry waits for its backoff.
	requestIn(t, p, id, budgets.Approved)
	p.Clock.Advance(p.App.Outbox.Backoff(1))
	got := requestIn(t, p, id, budgets.NeedsReconciliation)
	after := before.Add(decimal.MustParse("100"))
	if !labBalance(t, p, ns.VlabID).Equal(after) {
		t.Fatalf("OBI's lab balance is %s, want %s: the top-up was applied other than once", labBalance(t, p, ns.VlabID), after)
	}
	item, _ := p.App.DB.OutboxItemByID(t.Context(), got.OutboxID)
	if item.Attempts != 2 {
		t.Fatalf("%d attempts", item.Attempts)
	}
	page := manager.Get("/requests/" + strconv.FormatInt(id, 10)).Body
	readings := between(page, `data-testid="readings-table"`, "</table>")
	for _, s := range []string{templates.Credits(before), templates.Credits(after), "+100.00", "matches"} {
		if !strings.Contains(readings, s) {
			t.Errorf("readings lack %q: %s", s, readings)
		}
	}
	each := between(page, `data-testid="attempt-readings-table"`, "</table>")
	if strings.Count(each, "<tr data-row") != 2 || !strings.Contains(each, "429") || !strings.Contains(each, "502") || !strings.Contains(each, "+100.00") {
		t.Errorf("the attempts table does not show both attempts: %s", each)
	}
	// Its CSV twin gives the same attempts with plain numbers, and only to
	// those who may read the request.
	attempts := apptest.CSVRecords(t, manager.Get("/requests/"+strconv.FormatInt(id, 10)+"/attempts.csv"))
	if len(attempts) != 2 || attempts[0]["attempt"] != "1" || !strings.Contains(attempts[0]["error"], "429") || attempts[1]["attempt"] != "2" ||
		attempts[1]["change_seen (credits)"] != "100.00" || attempts[1]["before (credits)"] != before.StringFixed(2) {
		t.Errorf("the attempts CSV: %q", attempts)
	}
	if r := p.Login(t, "manager-b").Get("/requests/" + strconv.FormatInt(id, 10) + "/attempts.csv"); r.Status != 404 {
		t.Errorf("another manager reads the attempts: %d", r.Status)
	}
	if !strings.Contains(page, "does not send it again") || !strings.Contains(page, "an admin") {
		t.Error("the request does not say that an admin settles it")
	}
}
