package app_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/costs"
)

// subjects are the identity provider's keys of the demo's people, whose
// names ("Ada Admin", "Max Manager", ...) differ from them.
var subjects = []string{"demo-admin", "demo-manager", "demo-manager-b", "demo-viewer"}

// TestNames_NoPageOrCSVShowsASubject has every kind of person act where
// the portal records who did what (budget requests asked, approved,
// denied and cancelled, a metric pushed, usage records uploaded, failed
// records cleared, a billing record generated, a rate and a budget set, a
// sync started by hand), then opens every page and CSV each role reaches
// and its item pages: a person is named by name everywhere, never by
// their subject.
func TestNames_NoPageOrCSVShowsASubject(t *testing.T) {
	p := apptest.Start(t, apptest.Options{Env: map[string]string{"PORTAL_AMIE_INTERVAL": "1h", "PORTAL_VERGEOS_INTERVAL": "1h"}})
	admin, manager, managerB, viewer := p.Login(t, "admin"), p.Login(t, "manager"), p.Login(t, "manager-b"), p.Login(t, "viewer")

	approved := request(t, manager, assignForm("neuro-sim", "10"))
	denied := request(t, manager, assignForm("brain-atlas", "11"))
	cancelled := request(t, managerB, assignForm("climate-ml", "4"))
	expect := func(what string, r *apptest.Response, loc string) {
		t.Helper()
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), loc) {
			t.Fatalf("%s: %d to %q, want 303 to %s", what, r.Status, r.Header.Get("Location"), loc)
		}
	}
	expect("approve", admin.Post("/requests/"+strconv.FormatInt(approved, 10)+"/approve", nil), "/requests/")
	expect("deny", admin.Post("/requests/"+strconv.FormatInt(denied, 10)+"/deny", url.Values{"reason": {"not now"}}), "/requests/")
	expect("cancel", managerB.Post("/requests/"+strconv.FormatInt(cancelled, 10)+"/cancel", nil), "/requests/")
	push(t, manager, installationOf(t, p, "BRAIN-ATLAS"), periodForm(p.Sims.Argo.MetricDefinitions()[0].ID,
		time.Now().UTC().Add(-5*time.Hour).Truncate(time.Minute), "5"))
	expect("upload", postUsageUpload(t, manager, "compute", "names.csv", usageJobs(p, "names", 2, time.Now().Add(-48*time.Hour))), "/usage/uploads/")
	failed := usageFailedRowRE.FindStringSubmatch(admin.Get("/usage/failed?sort=id").Body)
	if failed == nil {
		t.Fatal("no failed record to clear")
	}
	expect("clear", admin.PostRaw("/usage/failed/clear", url.Values{"csrf_token": {admin.CSRF()}, "id": {failed[1]}}, nil), "/usage/clears/")
	expect("generate", admin.Post("/billing/generate", url.Values{"note": {"month end"}, "range": {"24h"}}), "/billing/requests/")
	expect("rate", admin.Post("/costs/rates", url.Values{"source": {"vergeos"}, "measure": {"cpu_core_hours"}, "scope": {"*"}, "price": {"0.02"},
		"currency": {"EUR"}, "valid_from": {time.Now().UTC().Format(costs.DateLayout)}}), "/costs/rates")
	expect("budget", admin.Post("/costs/budgets", url.Values{"project": {"neuro-sim"}, "kind": {"month"},
		"period": {time.Now().UTC().Format("2006-01")}, "amount": {"100"}}), "/")
	expect("sync now", admin.Post("/sources/obi/sync", nil), "/sources")
	if by := between(admin.Get("/sources").Body, `data-testid="by-hand">`, "</dd>"); !strings.HasSuffix(by, "by Ada Admin") {
		t.Errorf("the data-sources page says the OBI sync was last started by hand %q, want by Ada Admin", by)
	}

	for i, role := range secRoles[1:] {
		b := map[string]*apptest.Browser{"viewer": viewer, "manager": manager, "manager-b": managerB, "admin": admin}[role]
		opened := 0
		for u, body := range crawlAs(t, p, b, i+1) {
			opened++
			for _, s := range subjects {
				if strings.Contains(body, s) {
					at := strings.Index(body, s)
					t.Errorf("%s as %s names %q: …%s…", u, role, s, body[max(at-80, 0):min(at+len(s)+20, len(body))])
				}
			}
		}
		t.Logf("%s: %d pages and CSVs", role, opened)
	}
}

var crawlHref = regexp.MustCompile(`href="([^"]+)"`)

// crawlAs opens, as the role of column col of the security table, every
// GET row that role may open, the item pages they link (two per route)
// and every page's CSV twin, and returns each body by URL.
func crawlAs(t *testing.T, p *apptest.Portal, b *apptest.Browser, col int) map[string]string {
	t.Helper()
	routes := map[string]*regexp.Regexp{}
	for _, rt := range p.App.Handler.Routes() {
		if rt.Method == "GET" {
			routes[rt.Path] = routePattern(rt.Path)
		}
	}
	routeOf := func(path string) string {
		for r, re := range routes {
			if re.MatchString(path) {
				return r
			}
		}
		return ""
	}
	var queue []string
	for _, rc := range routeTable {
		if rc.Method == "GET" && rc.Skip == "" && rc.Want[col] == 200 && !strings.Contains(rc.Route, "*") {
			u := rc.URL
			if u == "" {
				u = rc.Route
			}
			queue = append(queue, u)
		}
	}
	bodies, items := map[string]string{}, map[string]int{}
	for i := 0; i < len(queue) && i < 400; i++ {
		u := queue[i]
		if _, seen := bodies[u]; seen {
			continue
		}
		r := b.Get(u)
		bodies[u] = r.Body
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			continue
		}
		for _, m := range crawlHref.FindAllStringSubmatch(r.Body, -1) {
			lu, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || lu.Host != "" || !strings.HasPrefix(lu.Path, "/") || strings.HasPrefix(lu.Path, "/static/") || strings.HasPrefix(lu.Path, "/auth/") {
				continue
			}
			lu.Fragment = ""
			route := routeOf(lu.Path)
			switch {
			case strings.HasSuffix(lu.Path, ".csv") || lu.Query().Get("format") == "csv":
				queue = append(queue, lu.String())
			case strings.Contains(route, ":") && items[route] < 2:
				if _, seen := bodies[lu.String()]; !seen {
					items[route]++
					queue = append(queue, lu.String())
					// An item page's CSV twin is its URL with .csv, linked or not.
					twin := *lu
					twin.Path += ".csv"
					queue = append(queue, twin.String())
				}
			}
		}
	}
	return bodies
}
