package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/demo"
	"github.com/accounting-portal/portal/internal/mailpit"
	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sectest"
)

// The demo's people's addresses (demo.Users).
const (
	adaAddr = "ada.admin@example.org"
	maxAddr = "max.manager@example.org"
	boAddr  = "bo.manager@example.org"
)

// offsetClock is the wall clock moved forward by what a test skips: a
// person's next message waits a minute after their last (notify.Throttle),
// and a failed send waits for its backoff; the test moves past both
// rather than waiting them out.
type offsetClock struct {
	c          *apptest.Clock
	digestHour int
}

func (c *offsetClock) Now() time.Time       { return c.c.Now() }
func (c *offsetClock) Skip(d time.Duration) { c.c.Advance(d) }
func (c *offsetClock) SkipThrottle()        { c.Skip(notify.Throttle + time.Second) }

// SkipToDigest moves just past the next digest time.
func (c *offsetClock) SkipToDigest() {
	now := c.Now()
	c.Skip(notify.DigestTime(now, c.digestHour).Add(24*time.Hour).Sub(now) + time.Second)
}
func subjectHas(s string) func(mailpit.Message) bool {
	return func(m mailpit.Message) bool { return strings.Contains(m.Subject, s) }
}

// mailpitPortal starts Mailpit and a portal with OBI that mails through it.
// Its digest hour is one to two hours ahead, so that what a test does
// first arrives before it, and SkipToDigest moves less than the sessions'
// idle time (made longer than the default hour).
func mailpitPortal(t *testing.T) (*apptest.Portal, *mailpit.Server, *offsetClock) {
	t.Helper()
	mp := mailpit.Start(t)
	hour := time.Now().UTC().Add(2 * time.Hour).Hour()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{"obi"}, Env: map[string]string{"PORTAL_SMTP_URL": mp.URL(), "PORTAL_SMTP_CA_FILE": mp.CAFile,
		"PORTAL_DIGEST_HOUR": strconv.Itoa(hour), "PORTAL_SESSION_IDLE": "6h"}})
	return p, mp, &offsetClock{c: p.Clock, digestHour: hour}
}

// waitMail waits until Mailpit holds a message to addr that match accepts.
func waitMail(t *testing.T, mp *mailpit.Server, addr, what string, match func(mailpit.Message) bool) mailpit.Message {
	t.Helper()
	var found mailpit.Message
	mp.WaitFor(30*time.Second, what+" to "+addr, func(ms []mailpit.Message) bool {
		for _, m := range mailpit.To(ms, addr) {
			if match(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// mailsTo counts the messages Mailpit holds to addr that match accepts.
func mailsTo(mp *mailpit.Server, addr string, match func(mailpit.Message) bool) int {
	n := 0
	for _, m := range mailpit.To(mp.Messages(), addr) {
		if match(m) {
			n++
		}
	}
	return n
}

// TestNotify_Mailpit_RequestsDecisionsDigestBurstOutage follows budget
// requests from the forms and the API to a real SMTP server: the admins'
// digest, their choice of immediate mail, a manager's decision, an
// opt-out, a burst of a hundred requests grouped into one message, and
// an SMTP outage after which every message arrives once.
func TestNotify_Mailpit_RequestsDecisionsDigestBurstOutage(t *testing.T) {
	t.Parallel()
	p, mp, clock := mailpitPortal(t)
	admin, manager, managerB := p.Login(t, "admin"), p.Login(t, "manager"), p.Login(t, "manager-b")
	ctx := context.Background()

	// A manager's request with hostile text reaches the admins in their
	// digest (their default for new requests) at the digest hour, escaped
	// in both bodies.
	hostile := sectest.Payloads[0].Raw + " " + sectest.Payloads[1].Raw
	r1 := request(t, manager, url.Values{"kind": {"assign"}, "project": {"neuro-sim"}, "amount": {"12.50"}, "justification": {hostile}})
	clock.SkipToDigest()
	digest := waitMail(t, mp, adaAddr, "the admins' digest", subjectHas("Accounting portal digest of "))
	link := fmt.Sprintf("%s/requests/%d", p.URL, r1)
	if digest.From.Address != "portal@demo.example.org" || !strings.Contains(digest.Subject, "1 notification") {
		t.Errorf("digest from %v, subject %q", digest.From, digest.Subject)
	}
	for name, body := range map[string]string{"text": digest.Text, "HTML": digest.HTML} {
		if !strings.Contains(body, link) || !strings.Contains(body, "Max Manager") {
			t.Errorf("the digest's %s body lacks the link %s or who asked:\n%s", name, link, body)
		}
	}
	flat := notify.OneLine(hostile)
	if strings.Contains(digest.HTML, sectest.Payloads[0].Raw) || strings.Contains(digest.HTML, sectest.Payloads[1].Raw) {
		t.Errorf("the digest's HTML carries the justification unescaped:\n%s", digest.HTML)
	}
	if !strings.Contains(html.UnescapeString(digest.HTML), flat) || !strings.Contains(digest.Text, flat) {
		t.Errorf("the digest does not show the justification as text")
	}
	sectest.Markup(t, digest.HTML)
	if n := mailsTo(mp, maxAddr, subjectHas(fmt.Sprintf("Budget request %d", r1))); n != 0 {
		t.Errorf("the requester was mailed about their own request (%d messages)", n)
	}

	// Admins cannot switch new requests off; they can have them at once.
	if r := admin.Post("/settings/notifications", url.Values{"mode_" + notify.KindRequestCreated: {notify.ModeOff}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "cannot switch approval events off") {
		t.Fatalf("an admin switching new requests off: %d", r.Status)
	}
	if r := admin.Post("/settings/notifications", url.Values{"mode_" + notify.KindRequestCreated: {notify.ModeImmediate}}); r.Status != http.StatusSeeOther {
		t.Fatalf("an admin choosing immediate mail: %d %s", r.Status, r.Body)
	}
	// Bo wants to hear of no decision.
	if r := managerB.Post("/settings/notifications", url.Values{"mode_" + notify.KindRequestDecided: {notify.ModeOff}}); r.Status != http.StatusSeeOther {
		t.Fatalf("opting out: %d %s", r.Status, r.Body)
	}

	// A request made through the API raises the same event; the admin
	// hears of it at once, and the manager of its approval (also
	// through the API).
	mgrAPI := apiAs(t, p, first(newToken(t, p, "manager", portal.ScopeReadWrite)))
	admAPI := apiAs(t, p, first(newToken(t, p, "admin", portal.ScopeReadWrite)))
	made := mgrAPI.post("/api/v1/requests", map[string]any{"kind": "assign", "project": "neuro-sim", "amount": 25, "justification": "from a script", "acknowledge": true})
	var w struct{ ID int64 }
	if made.Status != 201 || json.Unmarshal([]byte(made.Body), &w) != nil {
		t.Fatalf("API request: %d %s", made.Status, made.Body)
	}
	r2 := fmt.Sprintf("Budget request %d ", w.ID)
	created := waitMail(t, mp, adaAddr, "the API request", subjectHas(r2+"from Max Manager"))
	if !strings.Contains(created.Text, fmt.Sprintf("%s/requests/%d", p.URL, w.ID)) {
		t.Errorf("the message lacks its link:\n%s", created.Text)
	}
	// A burst of a hundred requests, right after that message: the admin
	// gets one message for all of them, a minute after it.
	for i := 1; i <= 100; i++ {
		ns := project(t, p.Sims.World, "neuro-sim")
		if _, err := p.App.DB.CreateBudgetRequest(ctx, burstRequest(ns.VlabID, ns.OBIID, i)); err != nil {
			t.Fatal(err)
		}
	}
	clock.SkipThrottle()
	burst := waitMail(t, mp, adaAddr, "the burst", subjectHas("100 notifications: "))
	if !strings.Contains(burst.Subject, "and 99 more") || strings.Count(burst.Text, p.URL+"/requests/") < 100 {
		t.Errorf("the burst's message: %q with %d links", burst.Subject, strings.Count(burst.Text, p.URL+"/requests/"))
	}
	if n := len(mailpit.To(mp.Messages(), adaAddr)); n != 3 {
		t.Errorf("the admin got %d messages, want 3 (the digest, the API request, the burst)", n)
	}
	// Each of the hundred is marked sent once the message is settled.
	apptest.Eventually(t, 30*time.Second, "the admin's notifications marked sent", func() bool {
		n := 0
		for _, rec := range apptest.CSVRecords(t, admin.Get("/notifications.csv")) {
			if rec["kind"] == notify.KindRequestCreated && rec["mail"] == notify.MailSent {
				n++
			}
		}
		return n == 102
	})

	if r := admAPI.post(fmt.Sprintf("/api/v1/requests/%d/approve", w.ID), map[string]any{}); r.Status != 200 {
		t.Fatalf("API approval: %d %s", r.Status, r.Body)
	}
	// The manager may have been mailed in the last minute (a threshold
	// of the first sync): the decision follows a minute after that.
	clock.SkipThrottle()
	decided := waitMail(t, mp, maxAddr, "the decision", subjectHas(r2+"approved"))
	if !strings.Contains(decided.Text, "Ada Admin") {
		t.Errorf("the decision does not say who decided:\n%s", decided.Text)
	}
	// The same notification is in the manager's table and its JSON twin.
	rows := mgrAPI.rows("/api/v1/notifications")
	found := false
	for _, row := range rows.Data {
		found = found || (row["kind"] != nil && *row["kind"] == notify.KindRequestDecided && row["link"] != nil && *row["link"] == fmt.Sprintf("/requests/%d", w.ID))
	}
	if !found {
		t.Errorf("GET /api/v1/notifications lacks the decision: %d rows", len(rows.Data))
	}

	// Bo's request is denied; Bo opted out, so hears nothing of it.
	r3 := request(t, managerB, url.Values{"kind": {"assign"}, "project": {"climate-ml"}, "amount": {"3"}, "justification": {"a small one"}})
	if r := admin.Post(fmt.Sprintf("/requests/%d/deny", r3), url.Values{"reason": {"not this month"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("deny: %d", r.Status)
	}
	clock.SkipThrottle()
	waitMail(t, mp, adaAddr, "Bo's request", subjectHas(fmt.Sprintf("Budget request %d from Bo Manager", r3)))
	for _, rec := range apptest.CSVRecords(t, managerB.Get("/notifications.csv")) {
		if rec["kind"] == notify.KindRequestDecided {
			t.Errorf("Bo opted out of decisions but has %v", rec)
		}
	}
	if n := mailsTo(mp, boAddr, subjectHas(fmt.Sprintf("Budget request %d", r3))); n != 0 {
		t.Errorf("Bo opted out of decisions but got %d messages about the request", n)
	}

	// The SMTP server goes away: the message waits, the data-sources page
	// says so, and once the server is back it arrives exactly once.
	mp.Stop()
	r4 := request(t, manager, url.Values{"kind": {"assign"}, "project": {"neuro-sim"}, "amount": {"4"}, "justification": {"during the outage"}})
	subject4 := fmt.Sprintf("Budget request %d from Max Manager", r4)
	clock.SkipThrottle()
	var item map[string]string
	apptest.Eventually(t, 30*time.Second, "a failed attempt to mail the admin", func() bool {
		for _, rec := range apptest.CSVRecords(t, admin.Get("/outbox.csv")) {
			if rec["kind"] == portal.KindMailMessage && strings.Contains(rec["summary"], subject4) && rec["last_error"] != "" {
				item = rec
				return true
			}
		}
		return false
	})
	if item["state"] != portal.OutboxQueued || !strings.Contains(item["last_error"], "could not be reached") {
		t.Fatalf("the message during the outage: %v; want queued again, saying the server could not be reached", item)
	}
	src := admin.Get("/sources")
	status := between(src.Body, `data-testid="smtp-status"`, "</dd>")
	if !strings.Contains(status, "failing") || strings.Contains(src.Body, "s3cret") {
		t.Errorf("the data-sources page during the outage: %q (and the password must not show)", status)
	}
	mp.Restart()
	clock.Skip(15 * time.Minute) // past any backoff
	waitMail(t, mp, adaAddr, "the message held during the outage", subjectHas(subject4))
	apptest.Eventually(t, 30*time.Second, "the outbox item delivered", func() bool {
		for _, rec := range apptest.CSVRecords(t, admin.Get("/outbox.csv")) {
			if rec["id"] == item["id"] {
				return rec["state"] == portal.OutboxDelivered
			}
		}
		return false
	})
	if n := mailsTo(mp, adaAddr, subjectHas(subject4)); n != 1 {
		t.Errorf("the message held during the outage arrived %d times, want once", n)
	}
	for _, rec := range apptest.CSVRecords(t, admin.Get("/notifications.csv")) {
		if rec["mail"] != notify.MailSent && rec["kind"] == notify.KindRequestCreated {
			t.Errorf("notification %s (%s) was not mailed: %s", rec["id"], rec["title"], rec["mail"])
		}
	}
}

func first[A, B any](a A, _ B) A { return a }

func burstRequest(vlab, proj string, i int) budgets.NewRequest {
	return budgets.NewRequest{Kind: budgets.Assign, VlabID: vlab, ProjID: proj, ProjectKey: "neuro-sim", Amount: decimal.MustParse(strconv.Itoa(i)),
		Justification: "burst " + strconv.Itoa(i), Actor: "demo-manager", ActorName: "Max Manager"}
}

// TestNotify_Mailpit_ThresholdOncePerPeriod: a project crossing 80% of
// its budget sends its managers one message, and the next syncs send no
// second one.
func TestNotify_Mailpit_ThresholdOncePerPeriod(t *testing.T) {
	t.Parallel()
	p, mp, clock := mailpitPortal(t)
	manager := p.Login(t, "manager")
	ctx := context.Background()
	now := clock.Now()
	month := costs.PeriodOf(costs.PeriodMonth, now)
	// The demo's rate card prices OBI's jobs; the next sync writes the
	// ledger with it.
	rates, fx, err := costs.ParseCard(demo.RateCard(costs.Month(now).AddDate(0, -6, 0), costs.Month(now).AddDate(0, -1, 0)), costs.CardContext{Base: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.DB.ImportCard(ctx, "EUR", rates, fx, "demo-admin", "Ada Admin"); err != nil {
		t.Fatal(err)
	}
	p.SyncNow(t, "obi")
	// One of the manager's projects with spend this month.
	var key string
	var spent decimal.Decimal
	for _, pr := range p.Sims.World.Projects[:2] {
		s, _, err := p.App.DB.SpentBetween(ctx, pr.Key, month.Start, month.End())
		if err != nil {
			t.Fatal(err)
		}
		if s.Sign() > 0 {
			key, spent = pr.Key, s
			break
		}
	}
	if key == "" {
		t.Fatal("none of the manager's projects spent anything this month; the test needs some spend")
	}
	amount, err := spent.DivRound(decimal.MustParse("0.85"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.App.DB.SetBudget(ctx, costs.Budget{Project: key, Period: month, Amount: amount, Note: "85% spent",
		SetBy: demo.Users(p.Sims.World)[0].Subject, SetByName: "Ada Admin"}); err != nil {
		t.Fatal(err)
	}
	p.SyncNow(t, "obi")
	clock.SkipThrottle()
	// One event per budget: the ledger budget's (the OBI credits' own
	// thresholds may fire too, and are told apart by what they measure).
	crossed := func(m mailpit.Message) bool {
		return strings.Contains(m.Text, "of its budget for") && strings.Contains(m.Text, "(80% threshold)")
	}
	msg := waitMail(t, mp, maxAddr, "the 80% threshold", crossed)
	if !strings.Contains(msg.Text, "once per period") || !strings.Contains(msg.Text, p.URL+"/") {
		t.Errorf("the threshold message:\n%s", msg.Text)
	}
	// The next syncs evaluate the thresholds again: nothing new.
	p.SyncNow(t, "obi")
	p.SyncNow(t, "obi")
	n := 0
	for _, rec := range apptest.CSVRecords(t, manager.Get("/notifications.csv")) {
		if rec["kind"] == notify.KindThreshold && strings.Contains(rec["title"], "of its budget for") && strings.Contains(rec["title"], "(80% threshold)") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the manager has %d notifications of the 80%% threshold after three syncs, want 1", n)
	}
	if got := mailsTo(mp, maxAddr, crossed); got != 1 {
		t.Errorf("the manager got %d messages of the 80%% threshold, want 1", got)
	}
}

// TestNotify_APIWritesRaiseEvents: budget requests made and decided
// through the JSON API raise the same events as the forms (this runs
// without Mailpit: the events are rows, whatever mails them).
func TestNotify_APIWritesRaiseEvents(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, nil)
	admin, manager := p.Login(t, "admin"), p.Login(t, "manager")
	mgrAPI := apiAs(t, p, first(newToken(t, p, "manager", portal.ScopeReadWrite)))
	admAPI := apiAs(t, p, first(newToken(t, p, "admin", portal.ScopeReadWrite)))
	var ids []int64
	for _, amount := range []int{7, 8} {
		r := mgrAPI.post("/api/v1/requests", map[string]any{"kind": "assign", "project": "neuro-sim", "amount": amount, "justification": "from a script", "acknowledge": true})
		var w struct{ ID int64 }
		if r.Status != 201 || json.Unmarshal([]byte(r.Body), &w) != nil {
			t.Fatalf("API request: %d %s", r.Status, r.Body)
		}
		ids = append(ids, w.ID)
	}
	// The admin's navigation counts the two waiting for approval.
	if body := admin.Get("/").Body; !strings.Contains(body, `data-testid="count-approvals">2<`) {
		t.Errorf("the admin's navigation does not count 2 pending approvals")
	}
	if r := admAPI.post(fmt.Sprintf("/api/v1/requests/%d/approve", ids[0]), map[string]any{}); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	if r := admAPI.post(fmt.Sprintf("/api/v1/requests/%d/deny", ids[1]), map[string]any{"reason": "not now"}); r.Status != 200 {
		t.Fatalf("deny: %d %s", r.Status, r.Body)
	}
	has := func(b *apptest.Browser, kind string, id int64, title string) bool {
		for _, rec := range apptest.CSVRecords(t, b.Get("/notifications.csv")) {
			if rec["kind"] == kind && rec["link"] == fmt.Sprintf("/requests/%d", id) && strings.Contains(rec["title"], title) {
				return true
			}
		}
		return false
	}
	for _, id := range ids {
		if !has(admin, notify.KindRequestCreated, id, "from Max Manager") {
			t.Errorf("the admin was not told of request %d made through the API", id)
		}
	}
	if !has(manager, notify.KindRequestDecided, ids[0], "approved") || !has(manager, notify.KindRequestDecided, ids[1], "denied") {
		t.Errorf("the manager was not told of the decisions made through the API:\n%s", manager.Get("/notifications.csv").Body)
	}
	// The navigation counts the manager's unread ones.
	if body := manager.Get("/").Body; !strings.Contains(body, `data-testid="count-notifications"`) {
		t.Errorf("the manager's navigation shows no unread count")
	}
}

// TestNotify_RecipientsTableAndItsCSV: the admins' "Who can be told" lists
// the people who signed in, with the address and roles of that sign-in,
// on the page and in its CSV twin.
func TestNotify_RecipientsTableAndItsCSV(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	admin := p.Login(t, "admin")
	p.Login(t, "manager")
	page := admin.Get("/settings/notifications").Body
	if !strings.Contains(page, `data-testid="recipients-table"`) || !strings.Contains(page, maxAddr) ||
		!strings.Contains(page, `href="/settings/notifications/recipients.csv"`) {
		t.Fatal("the recipients table does not list the manager, or has no CSV link")
	}
	var max map[string]string
	for _, row := range apptest.CSVRecords(t, admin.Get("/settings/notifications/recipients.csv")) {
		if _, ok := row["subject"]; ok {
			t.Fatal("the recipients CSV has a subject column; people are named by name")
		}
		if row["name"] == "Max Manager" {
			max = row
		}
	}
	if max == nil || max["email"] != maxAddr || !strings.Contains(max["manages"], "neuro-sim") ||
		max["admin"] != "false" || max["last_sign_in_utc"] == "" {
		t.Errorf("the manager's row of the recipients CSV: %v", max)
	}
}
