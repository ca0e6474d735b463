package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	argoclient "github.com/accounting-portal/portal/internal/clients/argo"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/sim/fault"
)

// push submits the push form and returns the push page it leads to.
func push(t *testing.T, b *apptest.Browser, installation string, form url.Values) string {
	t.Helper()
	r := b.Post("/metrics/installations/"+installation+"/push", form)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/metrics/pushes/") {
		t.Fatalf("push answered %d %s: %s", r.Status, r.Header.Get("Location"), between(r.Body, `role="alert"`, "</form>"))
	}
	return r.Header.Get("Location")
}

// pushState has the outbox deliver what is due and returns the state the
// push's page shows, failing the test unless it is one of states.
func pushState(t *testing.T, p *apptest.Portal, b *apptest.Browser, page string, states ...string) string {
	t.Helper()
	p.DeliverOutbox(t)
	body := b.Get(page).Body
	state := between(between(body, `data-testid="push-state"`, "</dd>"), `data-state="`, `"`)
	if !containsString(states, state) {
		t.Fatalf("%s is %q, want %s", page, state, strings.Join(states, " or "))
	}
	return state
}

func periodForm(def string, start time.Time, value string) url.Values {
	return url.Values{"definition": {def}, "value": {value}, "start": {start.Format("2006-01-02T15:04")},
		"end": {start.Add(time.Hour).Format("2006-01-02T15:04")}, "user_id": {"asmith"}}
}

// TestMetricPush runs the push flow end to end on one portal. The
// portal's clock only moves forward, so the subtests run in this order.
func TestMetricPush(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{"argo"}, Env: map[string]string{"PORTAL_UPSTREAM_TIMEOUT": "3s"}})
	t.Run("delivered and listed", func(t *testing.T) { pushDelivered(t, p) })
	t.Run("values reach ARGO exactly", func(t *testing.T) { pushExact(t, p) })
	t.Run("a push is its sender's and the admins'", func(t *testing.T) { pushSeenByItsSender(t, p) })
	t.Run("a timeout after the effect is settled by a look-up", func(t *testing.T) { pushTimeout(t, p) })
	t.Run("ARGO's refusals end failed with its message", func(t *testing.T) { pushRefused(t, p) })
}

func pushDelivered(t *testing.T, p *apptest.Portal) {
	b := p.Login(t, "manager")
	inst := installationOf(t, p, "BRAIN-ATLAS")
	def := p.Sims.Argo.MetricDefinitions()[0].ID
	start := time.Now().UTC().Add(-5 * time.Hour).Truncate(time.Minute)

	// The form: first with mistakes, which come back with the input kept.
	form := periodForm(def, start, "12,5")
	r := b.Post("/metrics/installations/"+inst+"/push", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="p-value-error"`) || !strings.Contains(r.Body, `value="12,5"`) {
		t.Fatalf("a bad value: %d", r.Status)
	}
	if n := len(p.Sims.Argo.PostedMetrics()); n != 0 {
		t.Fatalf("a refused form reached ARGO (%d)", n)
	}
	form.Set("value", "12.5")
	page := push(t, b, inst, form)
	if st := pushState(t, p, b, page, "delivered", "failed"); st != "delivered" {
		t.Fatalf("push ended %s: %s", st, b.Get(page).Body)
	}
	posted := p.Sims.Argo.PostedMetrics()
	if len(posted) != 1 || posted[0].Value != 12.5 || posted[0].InstallationID != inst || posted[0].UserID != "asmith" {
		t.Fatalf("ARGO has %+v", posted)
	}
	body := b.Get(page).Body
	if !strings.Contains(body, posted[0].ID) || !strings.Contains(body, `data-testid="timeline"`) {
		t.Error("the push page does not show ARGO's metric id and the history")
	}
	// Listed at once on the installation's page, before any sync.
	if inst := b.Get("/metrics/installations/" + inst + "?range=7d&sort=-start"); !strings.Contains(inst.Body, posted[0].ID) {
		t.Error("the delivered metric is not listed on the installation page")
	}
	if list := b.Get("/metrics/pushes"); !strings.Contains(list.Body, page) {
		t.Error("the push is not in the manager's pushes")
	}
	// The same period again is refused by the form, without a second POST.
	r = b.Post("/metrics/installations/"+inst+"/push", form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "already has a") {
		t.Fatalf("a repeated period: %d", r.Status)
	}
	// Another manager's view: the viewer cannot see it, the admin can.
	if r := p.Login(t, "admin").Get(page); r.Status != http.StatusOK {
		t.Errorf("admin on the push: %d", r.Status)
	}
	if n := len(p.Sims.Argo.PostedMetrics()); n != 1 {
		t.Fatalf("%d metrics posted", n)
	}
}

// pushExact follows two values that a float64 would have changed from
// the form to the simulator: 999999999999999.99 (a float64 makes it 1e15)
// and 0.000…1 with 5,000 zeros (a float64 makes it 0, a whole number).
func pushExact(t *testing.T, p *apptest.Portal) {
	b := p.Login(t, "manager")
	inst := installationOf(t, p, "BRAIN-ATLAS")
	var cpu, users string
	for _, d := range p.Sims.Argo.MetricDefinitions() {
		switch d.Name {
		case "cpu_hours":
			cpu = d.ID
		case "number_of_active_users":
			users = d.ID
		}
	}
	posted := len(p.Sims.Argo.PostedMetrics())
	start := time.Now().UTC().Add(-9 * time.Hour).Truncate(time.Minute)

	// The count metric's whole-number rule sees the exact value.
	tiny := "0." + strings.Repeat("0", 5000) + "1"
	r := b.Post("/metrics/installations/"+inst+"/push", periodForm(users, start, tiny))
	msg := between(r.Body, `data-testid="p-value-error"`, "</")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(msg, "number_of_active_users counts things (count, unit #): enter a whole number") {
		t.Fatalf("the tiny value for a count metric: %d %q", r.Status, msg)
	}
	// And elsewhere it is below what the portal reads.
	r = b.Post("/metrics/installations/"+inst+"/push", periodForm(cpu, start, tiny))
	if msg := between(r.Body, `data-testid="p-value-error"`, "</"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(msg, "too small") {
		t.Fatalf("the tiny value: %d %q", r.Status, msg)
	}
	if n := len(p.Sims.Argo.PostedMetrics()); n != posted {
		t.Fatalf("a refused value reached ARGO (%d)", n-posted)
	}

	const big = "999999999999999.99"
	page := push(t, b, inst, periodForm(cpu, start, big))
	if st := pushState(t, p, b, page, "delivered", "failed"); st != "delivered" {
		t.Fatalf("push ended %s", st)
	}
	// The outbox payload holds the exact value.
	items, err := p.App.DB.OutboxByRef(context.Background(), "metric_push:"+strings.TrimPrefix(page, "/metrics/pushes/"))
	if err != nil || len(items) != 1 || !strings.Contains(items[0].Payload, `"value":"`+big+`"`) {
		t.Fatalf("outbox %+v %v", items, err)
	}
	// ARGO was sent the decimal's text (and keeps it as the double 1e15).
	all := p.Sims.Argo.PostedMetrics()
	if len(all) != posted+1 || all[posted].Received != big || all[posted].Value != 1e15 {
		t.Fatalf("ARGO has %+v", all[posted:])
	}
	// The page groups its digits ("999,999,999,999,999.99").
	if body := b.Get(page).Body; !strings.Contains(strings.ReplaceAll(between(body, `data-testid="push-value">`, "<"), ",", ""), big) {
		t.Errorf("the push page does not show %s", big)
	}
}

func pushRefused(t *testing.T, p *apptest.Portal) {
	posted := len(p.Sims.Argo.PostedMetrics())
	b := p.Login(t, "manager")
	inst := installationOf(t, p, "NEURO-SIM")
	def := p.Sims.Argo.MetricDefinitions()[1].ID

	// A metric ARGO has but the portal has not synced yet: ARGO answers 409.
	start := time.Now().UTC().Add(-7 * time.Hour).Truncate(time.Minute)
	c := argoClient(t, p)
	if _, err := c.AddInstallationMetric(context.Background(), inst, argoNewMetric(def, start)); err != nil {
		t.Fatal(err)
	}
	page := push(t, b, inst, periodForm(def, start, "3"))
	if st := pushState(t, p, b, page, "delivered", "failed"); st != "failed" {
		t.Fatalf("a duplicate ended %s", st)
	}
	if msg := between(b.Get(page).Body, `data-testid="push-error">`, "<"); !strings.Contains(msg, "There is a Metric at") {
		t.Errorf("the duplicate's error %q is not ARGO's", msg)
	}
	// The portal's clock runs over two hours ahead of ARGO's (less than a
	// session's idle time): a period the form accepts is in ARGO's future,
	// and ARGO answers 400.
	p.Clock.Advance(2*time.Hour + time.Minute)
	future := time.Now().UTC().Add(30 * time.Minute).Truncate(time.Minute)
	page = push(t, b, inst, periodForm(def, future, "4"))
	if st := pushState(t, p, b, page, "delivered", "failed"); st != "failed" {
		t.Fatalf("a future period ended %s", st)
	}
	if msg := between(b.Get(page).Body, `data-testid="push-error">`, "<"); !strings.Contains(msg, "ARGO answered 400: Timestamp cannot be after the current date-time.") {
		t.Errorf("the future period's error is %q", msg)
	}
	if n := len(p.Sims.Argo.PostedMetrics()); n != posted+1 {
		t.Fatalf("ARGO has %d posted metrics, want only the one the test added", n-posted)
	}
}

func pushTimeout(t *testing.T, p *apptest.Portal) {
	posted := len(p.Sims.Argo.PostedMetrics())
	b := p.Login(t, "manager")
	inst := installationOf(t, p, "BRAIN-ATLAS")
	def := p.Sims.Argo.MetricDefinitions()[2].ID
	p.Sims.Argo.Faults().Set(argoTimeout())
	start := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Minute)
	page := push(t, b, inst, periodForm(def, start, "7"))
	// ARGO stored it but its answer never came: the push waits for a look-up.
	pushState(t, p, b, page, "verify")
	if n := len(p.Sims.Argo.PostedMetrics()); n != posted+1 {
		t.Fatalf("ARGO has %d new metrics after the unanswered POST", n-posted)
	}
	// The look-up is due after the dispatcher's wait; move the clock past it.
	p.Clock.Advance(p.App.Outbox.VerifyDelay + time.Second)
	if st := pushState(t, p, b, page, "delivered", "failed", "uncertain", "dead"); st != "delivered" {
		t.Fatalf("the unanswered push ended %s", st)
	}
	all := p.Sims.Argo.PostedMetrics()
	if len(all) != posted+1 {
		t.Fatalf("the push was sent twice: ARGO has %d new metrics", len(all)-posted)
	}
	body := b.Get(page).Body
	for _, want := range []string{"queued →  <strong>verify", "verify →  <strong>delivered", all[len(all)-1].ID} {
		if !strings.Contains(body, want) {
			t.Errorf("the push page lacks %q", want)
		}
	}
}

// argoClient is a client of the portal's ARGO simulator, for a test to
// change ARGO behind the portal's back.
func argoClient(t *testing.T, p *apptest.Portal) *argoclient.Client {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: p.Sims.CA.ClientConfig()}}
	c, err := argoclient.New(argoclient.Config{BaseURL: p.Sims.Info.Argo.URL, Token: p.Sims.Info.Argo.Token, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// argoNewMetric is a one-hour metric for the simulator.
func argoNewMetric(def string, start time.Time) argoclient.NewMetric {
	return argoclient.NewMetric{MetricDefinitionID: def, Start: start, End: start.Add(time.Hour), Value: decimal.NewFromInt(1)}
}

// argoTimeout makes the next metric POST take effect and never answer.
func argoTimeout() fault.Fault {
	return fault.Fault{Mode: fault.Timeout, Method: "POST", PathPrefix: "/accounting-system/installations/", Count: 1, Delay: 30 * time.Second}
}

// pushSeenByItsSender: a metric push belongs to its sender and the admins;
// another manager is told it does not exist, a viewer may not read pushes.
func pushSeenByItsSender(t *testing.T, p *apptest.Portal) {
	manager, managerB, viewer, admin := p.Login(t, "manager"), p.Login(t, "manager-b"), p.Login(t, "viewer"), p.Login(t, "admin")
	inst := installationOf(t, p, "NEURO-SIM")
	def := p.Sims.Argo.MetricDefinitions()[0].ID
	page := push(t, manager, inst, periodForm(def, time.Now().UTC().Add(-4*time.Hour).Truncate(time.Minute), "7"))
	for _, c := range []struct {
		who    string
		b      *apptest.Browser
		status int
	}{{"manager", manager, 200}, {"manager-b", managerB, http.StatusNotFound}, {"viewer", viewer, http.StatusForbidden}, {"admin", admin, 200}} {
		if r := c.b.Get(page); r.Status != c.status {
			t.Errorf("%s on another's push %s: %d, want %d", c.who, page, r.Status, c.status)
		}
	}
	id := strings.TrimPrefix(page, "/metrics/pushes/")
	listed := false
	for _, row := range apptest.CSVRecords(t, manager.Get("/metrics/pushes.csv")) {
		listed = listed || row["push_id"] == id
	}
	if !listed {
		t.Errorf("the manager's pushes CSV does not list push %s", id)
	}
	if rows := apptest.CSVRecords(t, managerB.Get("/metrics/pushes.csv")); len(rows) != 0 {
		t.Errorf("manager-b's pushes CSV lists others' pushes: %v", rows)
	}
	// Delivered here, so the next subtests count only their own pushes.
	pushState(t, p, manager, page, "delivered")
}
