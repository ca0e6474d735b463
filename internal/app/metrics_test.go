package app_test

import (
	"context"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	argoclient "github.com/accounting-portal/portal/internal/clients/argo"
	"github.com/accounting-portal/portal/internal/sim/fault"
)

// startArgo runs a portal with only the ARGO simulator and waits for its
// first sync. The portal's clock is the real one moved by *offset.
func startArgo(t *testing.T, env map[string]string) (*apptest.Portal, *atomic.Int64) {
	t.Helper()
	offset := &atomic.Int64{}
	p := apptest.Start(t, apptest.Options{Upstreams: []string{"argo"}, Env: env,
		Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	waitFor(t, 60*time.Second, "the first ARGO sync", func() bool {
		st, err := p.App.DB.SourceStatuses(context.Background(), []string{"argo"})
		return err == nil && st["argo"].LastSuccess != nil
	})
	return p, offset
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var (
	rowRE  = regexp.MustCompile(`(?s)<tr data-row[^>]*>(.*?)</tr>`)
	cellRE = regexp.MustCompile(`(?s)<td[^>]*data-col="([a-z_]+)"[^>]*>(.*?)</td>`)
	tagRE  = regexp.MustCompile(`<[^>]+>`)
)

// tableRows reads the rows of the page's data table as column → text.
func tableRows(body string) []map[string]string {
	var out []map[string]string
	for _, r := range rowRE.FindAllStringSubmatch(body, -1) {
		row := map[string]string{}
		for _, c := range cellRE.FindAllStringSubmatch(r[1], -1) {
			row[c[1]] = strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(c[2], "")))
		}
		out = append(out, row)
	}
	return out
}

// csvRecords reads a CSV download as header → value rows.
func csvRecords(t *testing.T, r *apptest.Response) []map[string]string {
	t.Helper()
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV answered %d %s: %.300s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("CSV: %v", err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, h := range recs[0] {
			row[h] = rec[i]
		}
		out = append(out, row)
	}
	return out
}

// installationOf returns the id of an installation of the ARGO project.
func installationOf(t *testing.T, p *apptest.Portal, argoProject string) string {
	t.Helper()
	for _, in := range p.Sims.Argo.Installations() {
		if in.ProjectID == argoProject {
			return in.ID
		}
	}
	t.Fatalf("no installation of %s", argoProject)
	return ""
}

// TestMetricsPages runs the page tests on one portal: a sync under the
// race detector takes a while.
func TestMetricsPages(t *testing.T) {
	p, _ := startArgo(t, nil)
	t.Run("scoped per role in pages and CSV", func(t *testing.T) { scopedPerRole(t, p) })
	t.Run("CSV matches the table on screen", func(t *testing.T) { csvMatchesTable(t, p) })
}

func scopedPerRole(t *testing.T, p *apptest.Portal) {
	climate := installationOf(t, p, "CLIMATE-ML")
	neuro := installationOf(t, p, "NEURO-SIM")
	cases := []struct {
		user    string
		sees    []string
		notSees []string
	}{
		{"manager", []string{"NEURO-SIM", "BRAIN-ATLAS"}, []string{"CLIMATE-ML", "POPGEN", "MATDISC"}},
		{"viewer", []string{"CLIMATE-ML"}, []string{"NEURO-SIM", "BRAIN-ATLAS"}},
		{"admin", []string{"NEURO-SIM", "BRAIN-ATLAS", "CLIMATE-ML", "GENOMICS", "MATERIALS"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.user, func(t *testing.T) {
			b := p.Login(t, tc.user)
			seen := map[string]bool{}
			for _, r := range csvRecords(t, b.Get("/metrics.csv?range=30d&granularity=week")) {
				seen[r["argo_project_id"]] = true
			}
			page := b.Get("/metrics?range=30d&granularity=week&size=500")
			for _, want := range tc.sees {
				if !seen[want] || !regexp.MustCompile(`project=`+want+`(&|")`).MatchString(page.Body) {
					t.Errorf("%s does not see %s (CSV %v)", tc.user, want, seen)
				}
			}
			for _, not := range tc.notSees {
				if seen[not] || regexp.MustCompile(`project=`+not+`(&|")`).MatchString(page.Body) {
					t.Errorf("%s sees %s", tc.user, not)
				}
				// Asking for it by name in the URL gives nothing either.
				if rows := tableRows(b.Get("/metrics?range=7d&project=" + not).Body); len(rows) != 0 {
					t.Errorf("%s filtering for %s got %d rows", tc.user, not, len(rows))
				}
				if recs := csvRecords(t, b.Get("/metrics.csv?range=7d&project="+not)); len(recs) != 0 {
					t.Errorf("%s's CSV for %s has %d rows", tc.user, not, len(recs))
				}
			}
			for _, path := range []string{"/metrics/installations.csv", "/metrics/definitions.csv"} {
				if r := b.Get(path); r.Status != http.StatusOK {
					t.Errorf("%s %s: %d", tc.user, path, r.Status)
				}
			}
			for _, r := range csvRecords(t, b.Get("/metrics/installations.csv")) {
				if !containsString(tc.sees, r["argo_project_id"]) && tc.user != "admin" {
					t.Errorf("%s's installations list %s of %s", tc.user, r["installation"], r["argo_project_id"])
				}
			}
		})
	}
	// Other projects' installations do not exist for a user, by any URL.
	manager, viewer, admin := p.Login(t, "manager"), p.Login(t, "viewer"), p.Login(t, "admin")
	for _, path := range []string{"/metrics/installations/" + climate, "/metrics/installations/" + climate + ".csv",
		"/metrics/installations/" + climate + "/push", "/metrics/installations/" + climate + "?definition=x"} {
		if r := manager.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("manager %s: %d", path, r.Status)
		}
	}
	if r := manager.Post("/metrics/installations/"+climate+"/push", url.Values{"value": {"1"}}); r.Status != http.StatusNotFound {
		t.Errorf("manager posting to climate-ml: %d", r.Status)
	}
	if r := viewer.Get("/metrics/installations/" + neuro); r.Status != http.StatusNotFound {
		t.Errorf("viewer on neuro-sim's installation: %d", r.Status)
	}
	// The viewer reads climate-ml's installation but may not push to it.
	if r := viewer.Get("/metrics/installations/" + climate); r.Status != http.StatusOK || strings.Contains(r.Body, `data-testid="push-link"`) {
		t.Errorf("viewer's own installation: %d (push link shown: %v)", r.Status, strings.Contains(r.Body, "push-link"))
	}
	for _, r := range []*apptest.Response{viewer.Get("/metrics/installations/" + climate + "/push"),
		viewer.Post("/metrics/installations/"+climate+"/push", url.Values{"value": {"1"}})} {
		if r.Status != http.StatusForbidden {
			t.Errorf("viewer on the push form: %d", r.Status)
		}
	}
	if r := manager.Get("/metrics/installations/" + neuro); !strings.Contains(r.Body, `data-testid="push-link"`) {
		t.Error("the manager has no push link on their installation")
	}
	if r := admin.Get("/metrics/installations/" + climate + "/push"); r.Status != http.StatusOK {
		t.Errorf("admin push form: %d", r.Status)
	}
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func csvMatchesTable(t *testing.T, p *apptest.Portal) {
	b := p.Login(t, "manager")
	query := "range=90d&granularity=week&provider=lakeside&sort=-total&size=500"
	screen := tableRows(b.Get("/metrics?" + query).Body)
	file := csvRecords(t, b.Get("/metrics.csv?"+query))
	if len(screen) == 0 || len(screen) != len(file) {
		t.Fatalf("%d rows on screen, %d in the CSV", len(screen), len(file))
	}
	for i, s := range screen {
		f := file[i]
		got := []string{f["period"], f["project"], f["provider"], f["metric_definition"], f["installations"], f["metrics"], f["total"], f["unit"], f["aggregation"]}
		want := []string{s["period"], s["project"], s["provider"], s["definition"], s["installations"], s["metrics"], strings.ReplaceAll(s["total"], ",", ""), s["unit"], s["aggregation"]}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("row %d: CSV %v, screen %v", i, got, want)
		}
	}
	// An installation's metrics, with a definition filter: the CSV header carries the unit.
	inst := installationOf(t, p, "NEURO-SIM")
	def := p.Sims.Argo.Installations()[0].MetricDefinitionIDs[0]
	q := "range=30d&definition=" + def + "&sort=-value&size=500"
	screen = tableRows(b.Get("/metrics/installations/" + inst + "?" + q).Body)
	r := b.Get("/metrics/installations/" + inst + ".csv?" + q)
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, `attachment; filename="argo-metrics-`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	file = csvRecords(t, r)
	if len(screen) == 0 || len(screen) != len(file) {
		t.Fatalf("installation: %d rows on screen, %d in the CSV", len(screen), len(file))
	}
	valueHead := ""
	for h := range file[0] {
		if strings.HasPrefix(h, "value (") {
			valueHead = h
		}
	}
	if valueHead == "" {
		t.Fatalf("no value header with a unit: %v", file[0])
	}
	for i, s := range screen {
		f := file[i]
		if f["metric_id"] != s["id"] || strings.ReplaceAll(s["value"], ",", "") != f[valueHead] || f["unit"] != s["unit"] || f["user_id"] != s["user"] {
			t.Fatalf("row %d: CSV %v, screen %v", i, f, s)
		}
	}
}

// push submits the push form and returns the push page it leads to.
func push(t *testing.T, b *apptest.Browser, installation string, form url.Values) string {
	t.Helper()
	r := b.Post("/metrics/installations/"+installation+"/push", form)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/metrics/pushes/") {
		t.Fatalf("push answered %d %s: %s", r.Status, r.Header.Get("Location"), between(r.Body, `role="alert"`, "</form>"))
	}
	return r.Header.Get("Location")
}

// pushState waits until the push's page shows one of the states and returns it.
func pushState(t *testing.T, b *apptest.Browser, page string, states ...string) string {
	t.Helper()
	var state string
	waitFor(t, 30*time.Second, page+" to reach "+strings.Join(states, " or "), func() bool {
		body := b.Get(page).Body
		state = between(between(body, `data-testid="push-state"`, "</dd>"), `data-state="`, `"`)
		return containsString(states, state)
	})
	return state
}

func periodForm(def string, start time.Time, value string) url.Values {
	return url.Values{"definition": {def}, "value": {value}, "start": {start.Format("2006-01-02T15:04")},
		"end": {start.Add(time.Hour).Format("2006-01-02T15:04")}, "user_id": {"asmith"}}
}

// TestMetricPush runs the push flow end to end on one portal. The
// portal's clock only moves forward, so the subtests run in this order.
func TestMetricPush(t *testing.T) {
	p, offset := startArgo(t, map[string]string{"PORTAL_UPSTREAM_TIMEOUT": "3s"})
	t.Run("delivered and listed", func(t *testing.T) { pushDelivered(t, p) })
	t.Run("a timeout after the effect is settled by a look-up", func(t *testing.T) { pushTimeout(t, p, offset) })
	t.Run("ARGO's refusals end failed with its message", func(t *testing.T) { pushRefused(t, p, offset) })
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
	if st := pushState(t, b, page, "delivered", "failed"); st != "delivered" {
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

func pushRefused(t *testing.T, p *apptest.Portal, offset *atomic.Int64) {
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
	if st := pushState(t, b, page, "delivered", "failed"); st != "failed" {
		t.Fatalf("a duplicate ended %s", st)
	}
	if msg := between(b.Get(page).Body, `data-testid="push-error">`, "<"); !strings.Contains(msg, "There is a Metric at") {
		t.Errorf("the duplicate's error %q is not ARGO's", msg)
	}
	// The portal's clock runs two hours ahead of ARGO's (less than a
	// session's idle time): a period the form accepts is in ARGO's future,
	// and ARGO answers 400.
	offset.Store(int64(2*time.Hour + time.Minute))
	future := time.Now().UTC().Add(30 * time.Minute).Truncate(time.Minute)
	page = push(t, b, inst, periodForm(def, future, "4"))
	if st := pushState(t, b, page, "delivered", "failed"); st != "failed" {
		t.Fatalf("a future period ended %s", st)
	}
	if msg := between(b.Get(page).Body, `data-testid="push-error">`, "<"); !strings.Contains(msg, "ARGO answered 400: Timestamp cannot be after the current date-time.") {
		t.Errorf("the future period's error is %q", msg)
	}
	if n := len(p.Sims.Argo.PostedMetrics()); n != posted+1 {
		t.Fatalf("ARGO has %d posted metrics, want only the one the test added", n-posted)
	}
}

func pushTimeout(t *testing.T, p *apptest.Portal, offset *atomic.Int64) {
	posted := len(p.Sims.Argo.PostedMetrics())
	b := p.Login(t, "manager")
	inst := installationOf(t, p, "BRAIN-ATLAS")
	def := p.Sims.Argo.MetricDefinitions()[2].ID
	p.Sims.Argo.Faults().Set(argoTimeout())
	start := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Minute)
	page := push(t, b, inst, periodForm(def, start, "7"))
	// ARGO stored it but its answer never came: the push waits for a look-up.
	pushState(t, b, page, "verify")
	if n := len(p.Sims.Argo.PostedMetrics()); n != posted+1 {
		t.Fatalf("ARGO has %d new metrics after the unanswered POST", n-posted)
	}
	// The look-up is due after the dispatcher's wait; move the clock past it.
	offset.Store(int64(time.Minute))
	p.App.Outbox.Notify()
	if st := pushState(t, b, page, "delivered", "failed", "uncertain", "dead"); st != "delivered" {
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
	return argoclient.NewMetric{MetricDefinitionID: def, Start: start, End: start.Add(time.Hour), Value: 1}
}

// argoTimeout makes the next metric POST take effect and never answer.
func argoTimeout() fault.Fault {
	return fault.Fault{Mode: fault.Timeout, Method: "POST", PathPrefix: "/accounting-system/installations/", Count: 1, Delay: 10 * time.Second}
}
