package app_test

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
	"github.com/accounting-portal/portal/web/templates"
)

// obiPortal starts a portal with only the OBI simulator, synced once.
func obiPortal(t *testing.T, env map[string]string) *apptest.Portal {
	t.Helper()
	return apptest.Start(t, apptest.Options{Upstreams: []string{"obi"}, Env: env})
}

// requestIn has the outbox deliver what is due and returns request id,
// failing the test unless it is then in state.
func requestIn(t *testing.T, p *apptest.Portal, id int64, state string) *budgets.Request {
	t.Helper()
	p.DeliverOutbox(t)
	r, err := p.App.DB.BudgetRequestByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != state {
		t.Fatalf("request %d is %s, want %s (%s)", id, r.State, state, r.UpstreamError)
	}
	return r
}

func project(t *testing.T, w *world.World, key string) world.Project {
	t.Helper()
	pr, ok := w.ProjectByKey(key)
	if !ok {
		t.Fatalf("no project %s", key)
	}
	return pr
}

// request submits the new-request form and returns the request's id.
func request(t *testing.T, b *apptest.Browser, form url.Values) int64 {
	t.Helper()
	r := b.Post("/requests", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("request %v: %d\n%s", form, r.Status, r.Body)
	}
	id, err := strconv.ParseInt(path.Base(r.Header.Get("Location")), 10, 64)
	if err != nil {
		t.Fatalf("redirected to %s", r.Header.Get("Location"))
	}
	return id
}

func assignForm(key, amount string) url.Values {
	return url.Values{"kind": {"assign"}, "project": {key}, "amount": {amount}, "justification": {"two more weeks of simulations"}}
}

func labBalance(t *testing.T, p *apptest.Portal, vlab string) decimal.Decimal {
	t.Helper()
	b, ok := p.Sims.OBI.Balance(vlab)
	if !ok {
		t.Fatalf("no lab %s in the simulator", vlab)
	}
	return b
}

func TestBudgetRequest_ApprovedAndAppliedInOBI(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, nil)
	manager, admin := p.Login(t, "manager"), p.Login(t, "admin")
	ns := project(t, p.Sims.World, "neuro-sim")
	labBefore := labBalance(t, p, ns.VlabID)
	projBefore, _, _ := p.Sims.OBI.ProjectBalance(ns.OBIID)

	if r := manager.Get("/requests/new?kind=assign&project=neuro-sim"); r.Status != 200 || !strings.Contains(r.Body, `value="neuro-sim" selected`) {
		t.Fatalf("form: %d", r.Status)
	}
	id := request(t, manager, assignForm("neuro-sim", "125.50"))
	page := manager.Get("/requests/" + strconv.FormatInt(id, 10))
	if !strings.Contains(page.Body, `data-state="pending"`) || !strings.Contains(page.Body, "sent. An admin will review it") {
		t.Fatalf("request page after sending:\n%s", page.Body)
	}
	inbox := admin.Get("/approvals")
	row := between(inbox.Body, `data-request="`+strconv.FormatInt(id, 10)+`"`, "</tr>")
	if !strings.Contains(row, "Max Manager") || !strings.Contains(row, "125.50") || !strings.Contains(row, "two more weeks") ||
		!strings.Contains(row, "Cortex Lab: "+templates.Credits(labBefore)) || !strings.Contains(row, "Approve") {
		t.Fatalf("inbox row: %s", row)
	}
	r := admin.Post("/requests/"+strconv.FormatInt(id, 10)+"/approve", url.Values{"back": {"approvals"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/approvals" {
		t.Fatalf("approve: %d %s", r.Status, r.Header.Get("Location"))
	}
	got := requestIn(t, p, id, budgets.Applied)
	amount := decimal.MustParse("125.50")
	if lab := labBalance(t, p, ns.VlabID); !lab.Equal(labBefore.Sub(amount)) {
		t.Errorf("lab balance %s, want %s - 125.50", lab, labBefore)
	}
	if proj, _, _ := p.Sims.OBI.ProjectBalance(ns.OBIID); !proj.Equal(projBefore.Add(amount)) {
		t.Errorf("project balance %s, want %s + 125.50", proj, projBefore)
	}
	if got.Delivery.Before == nil || got.Delivery.After == nil {
		t.Errorf("no readings around the call: %+v", got.Delivery)
	}
	// The manager sees the outcome, once as a notice, and the new balance after the sync the approval triggered.
	list := manager.Get("/requests")
	if !strings.Contains(list.Body, "was applied in OBI") {
		t.Errorf("no notice of the outcome on /requests")
	}
	if again := manager.Get("/requests"); strings.Contains(again.Body, "was applied in OBI") {
		t.Errorf("the notice shows twice")
	}
	page = manager.Get("/requests/" + strconv.FormatInt(id, 10))
	if !strings.Contains(page.Body, `data-state="applied"`) || !strings.Contains(page.Body, "+125.50") || !strings.Contains(page.Body, "matches") {
		t.Errorf("request page after applying lacks the state or the readings")
	}
	// The change triggered an OBI sync, which brings the new balance.
	p.TriggeredSync(t, "obi")
	proj, _, _ := p.Sims.OBI.ProjectBalance(ns.OBIID)
	if b := manager.Get("/budgets/projects/neuro-sim"); !strings.Contains(b.Body, `data-testid="balance">`+templates.Credits(proj)+"<") {
		t.Errorf("the budget page does not show the new balance %s after the sync", templates.Credits(proj))
	}
	trail := between(page.Body, `data-testid="timeline"`, "</ol>")
	for _, s := range []string{"pending", "approved", "applied", "Ada Admin", "Max Manager"} {
		if !strings.Contains(trail, s) {
			t.Errorf("timeline lacks %q: %s", s, trail)
		}
	}
}

func TestBudgetRequest_DenyNeedsReason_CancelByRequesterOnly(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, nil)
	manager, admin, viewer := p.Login(t, "manager"), p.Login(t, "admin"), p.Login(t, "viewer")
	id := request(t, manager, assignForm("brain-atlas", "40"))
	u := "/requests/" + strconv.FormatInt(id, 10)
	r := admin.Post(u+"/deny", url.Values{"reason": {"   "}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="deny-error"`) || !strings.Contains(r.Body, `id="deny-reason"`) {
		t.Fatalf("deny without a reason: %d", r.Status)
	}
	if r := admin.Post(u+"/deny", url.Values{"reason": {"use what brain-atlas has first"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("deny: %d %s", r.Status, r.Body)
	}
	page := manager.Get(u)
	if !strings.Contains(page.Body, `data-state="denied"`) || !strings.Contains(page.Body, "use what brain-atlas has first") {
		t.Fatalf("the requester does not see the denial")
	}
	if b := manager.Get("/budgets"); !strings.Contains(b.Body, "was denied: use what brain-atlas has first") {
		t.Errorf("no notice of the denial on /budgets")
	}
	// A decision that comes too late goes back to the inbox, which says why.
	if r := admin.Post(u+"/approve", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/approvals" ||
		!strings.Contains(admin.Get("/approvals").Body, "already denied by Ada Admin") {
		t.Errorf("approve after deny: %d", r.Status)
	}

	id2 := request(t, manager, assignForm("neuro-sim", "5"))
	u2 := "/requests/" + strconv.FormatInt(id2, 10)
	if r := admin.Post(u2+"/cancel", nil); r.Status != http.StatusForbidden {
		t.Errorf("an admin cancelled someone else's request: %d", r.Status)
	}
	if r := viewer.Post(u2+"/cancel", nil); r.Status != http.StatusForbidden {
		t.Errorf("a viewer cancelled a request: %d", r.Status)
	}
	if r := manager.Post(u2+"/cancel", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.Status)
	}
	requestIn(t, p, id2, budgets.Cancelled)
	if r := admin.Post(u2+"/approve", nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/approvals" ||
		!strings.Contains(admin.Get("/approvals").Body, "cancelled by its requester") {
		t.Errorf("approve a cancelled request: %d", r.Status)
	}

	id3 := request(t, manager, assignForm("neuro-sim", "5"))
	admin.Post("/requests/"+strconv.FormatInt(id3, 10)+"/approve", nil)
	if r := manager.Post("/requests/"+strconv.FormatInt(id3, 10)+"/cancel", nil); r.Status != http.StatusConflict {
		t.Errorf("cancel after approval: %d", r.Status)
	}
}

func TestBudgetRequest_DoubleApprovalAppliesOnce(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, nil)
	manager := p.Login(t, "manager")
	admins := []*apptest.Browser{p.Login(t, "admin"), p.Login(t, "admin")}
	ns := project(t, p.Sims.World, "neuro-sim")
	before := labBalance(t, p, ns.VlabID)

	// Two admins press approve at the same moment.
	id := request(t, manager, assignForm("neuro-sim", "10"))
	u := "/requests/" + strconv.FormatInt(id, 10) + "/approve"
	statuses := make(chan *apptest.Response, 2)
	for _, b := range admins {
		go func() { statuses <- b.Post(u, nil) }()
	}
	// Both are sent on (303): the first to the request, the second back to
	// the inbox, which tells it who was first.
	var codes []int
	var toInbox int
	for range 2 {
		r := <-statuses
		codes = append(codes, r.Status)
		if r.Header.Get("Location") == "/approvals" {
			toInbox++
		}
	}
	if codes[0] != http.StatusSeeOther || codes[1] != http.StatusSeeOther || toInbox != 1 {
		t.Fatalf("two approvals answered %v, %d back to the inbox", codes, toInbox)
	}
	conflict := admins[0].Get("/approvals").Body + admins[1].Get("/approvals").Body
	if !strings.Contains(conflict, "already approved by Ada Admin at") {
		t.Errorf("the second approver is not told who was first")
	}
	requestIn(t, p, id, budgets.Applied)

	// The same admin presses twice.
	id2 := request(t, manager, assignForm("neuro-sim", "7"))
	u2 := "/requests/" + strconv.FormatInt(id2, 10) + "/approve"
	if r := admins[0].Post(u2, nil); r.Status != http.StatusSeeOther {
		t.Fatalf("first press: %d", r.Status)
	}
	if r := admins[0].Post(u2, nil); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/approvals" {
		t.Fatalf("second press: %d to %q", r.Status, r.Header.Get("Location"))
	}
	requestIn(t, p, id2, budgets.Applied)
	if got, want := labBalance(t, p, ns.VlabID), before.Sub(decimal.MustParse("17")); !got.Equal(want) {
		t.Fatalf("lab balance %s, want %s: an approval was applied more (or less) than once", got, want)
	}
	for _, id := range []int64{id, id2} {
		if items, _ := p.App.DB.OutboxByRef(context.Background(), budgets.RequestRef(id)); len(items) != 1 {
			t.Errorf("request %d has %d outbox items", id, len(items))
		}
	}
}

func TestBudgetRequest_UpstreamRefusalEndsFailedWithItsMessage(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, nil)
	manager, admin := p.Login(t, "manager"), p.Login(t, "admin")
	ns := project(t, p.Sims.World, "neuro-sim")
	before := labBalance(t, p, ns.VlabID)
	tooMuch := before.Add(decimal.MustParse("1000")).Round(0).StringFixed(0)
	// The form warns that the lab's cached balance does not cover it.
	form := assignForm("neuro-sim", tooMuch)
	r := manager.Post("/requests", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="cover-warning"`) ||
		!strings.Contains(r.Body, `value="`+tooMuch+`"`) || !strings.Contains(r.Body, "two more weeks of simulations") {
		t.Fatalf("no warning kept with the input: %d", r.Status)
	}
	form.Set("acknowledge", "1")
	id := request(t, manager, form)
	admin.Post("/requests/"+strconv.FormatInt(id, 10)+"/approve", nil)
	got := requestIn(t, p, id, budgets.Failed)
	if !strings.Contains(got.UpstreamError, "Insufficient funds in the virtual-lab account") {
		t.Fatalf("upstream error %q", got.UpstreamError)
	}
	page := manager.Get("/requests/" + strconv.FormatInt(id, 10))
	if !strings.Contains(between(page.Body, `data-testid="upstream-error">`, "<"), "Insufficient funds in the virtual-lab account") {
		t.Errorf("the requester does not see OBI's reason")
	}
	if after := labBalance(t, p, ns.VlabID); !after.Equal(before) {
		t.Errorf("a refused assignment moved the lab balance: %s -> %s", before, after)
	}
}

func TestBudgetRequest_UnknownOutcomeNeedsReconciliation(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, map[string]string{"PORTAL_UPSTREAM_TIMEOUT": "3s"})
	manager, admin := p.Login(t, "manager"), p.Login(t, "admin")
	ns := project(t, p.Sims.World, "neuro-sim")
	before := labBalance(t, p, ns.VlabID)
	id := request(t, manager, url.Values{"kind": {"top-up"}, "vlab": {ns.VlabID}, "amount": {"300"}, "justification": {"new grant"}})
	// OBI applies the top-up but its answer never arrives.
	p.Sims.OBI.Faults().Set(fault.Fault{Mode: fault.Timeout, Method: "POST", PathPrefix: "/budget/", Count: 1, Delay: 30 * time.Second})
	admin.Post("/requests/"+strconv.FormatInt(id, 10)+"/approve", nil)
	got := requestIn(t, p, id, budgets.NeedsReconciliation)
	if got.Delivery.Before == nil || got.Delivery.After == nil {
		t.Fatalf("no readings before and after: %+v", got.Delivery)
	}
	if !labBalance(t, p, ns.VlabID).Equal(before.Add(decimal.MustParse("300"))) {
		t.Fatal("the simulator did not apply the top-up")
	}
	u := "/requests/" + strconv.FormatInt(id, 10)
	page := admin.Get(u)
	readings := between(page.Body, `data-testid="readings-table"`, "</table>")
	for _, s := range []string{templates.Credits(before), templates.Credits(before.Add(decimal.MustParse("300"))), "+300.00", "matches"} {
		if !strings.Contains(readings, s) {
			t.Errorf("readings lack %q: %s", s, readings)
		}
	}
	if !strings.Contains(page.Body, "Settle this request") {
		t.Fatal("no reconcile form for the admin")
	}
	if m := manager.Get(u); strings.Contains(m.Body, "Settle this request") {
		t.Error("the requester is offered the reconcile form")
	}
	if r := manager.Post(u+"/reconcile", url.Values{"outcome": {"applied"}, "reason": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("a manager reconciled: %d", r.Status)
	}
	if r := admin.Post(u+"/reconcile", url.Values{"outcome": {"applied"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, `data-testid="reconcile-error"`) {
		t.Fatalf("reconcile without a reason: %d", r.Status)
	}
	if r := admin.Post(u+"/reconcile", url.Values{"outcome": {"applied"}, "reason": {"the lab balance rose by exactly 300"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("reconcile: %d %s", r.Status, r.Body)
	}
	requestIn(t, p, id, budgets.Applied)
	item, _ := p.App.DB.OutboxItemByID(context.Background(), got.OutboxID)
	if item.State != portal.OutboxDelivered {
		t.Errorf("outbox item %s after reconciling", item.State)
	}
	if !labBalance(t, p, ns.VlabID).Equal(before.Add(decimal.MustParse("300"))) {
		t.Error("the top-up was sent again")
	}
}
