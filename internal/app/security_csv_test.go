package app_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sectest"
	"github.com/accounting-portal/portal/internal/sim/argo"
	"github.com/accounting-portal/portal/internal/usage"
)

// plantHostileArgo adds, for every payload, an ARGO project, provider,
// metric definition and installation whose texts are the payload, and
// syncs them in. It returns the definitions' and installations' ids.
func plantHostileArgo(t *testing.T, p *apptest.Portal) (defs, insts []string) {
	t.Helper()
	sim := p.Sims.Argo
	defs, insts = make([]string, len(sectest.Payloads)), make([]string, len(sectest.Payloads))
	for i, pl := range sectest.Payloads {
		proj, prov := fmt.Sprintf("XSS-%d", i), fmt.Sprintf("xss-provider-%d", i)
		defs[i], insts[i] = fmt.Sprintf("%024x", 0xbad000+i), fmt.Sprintf("%024x", 0xbee000+i)
		// Half the projects have no title: the pages name them by acronym.
		title, acronym := pl.Raw, fmt.Sprintf("ACR%d", i)
		if i%2 == 1 {
			title, acronym = "", pl.Raw
		}
		for _, err := range []error{
			sim.AddProject(argo.Project{ID: proj, Acronym: acronym, Title: title, StartDate: "2024-01-01", EndDate: "2030-12-31"}),
			sim.AddProvider(argo.Provider{ID: prov, Name: pl.Raw, Abbreviation: pl.Raw, Website: "https://provider.example.org"}),
			sim.AddMetricDefinition(argo.MetricDefinition{ID: defs[i], Name: pl.Raw, Description: pl.Raw, UnitType: pl.Raw, MetricType: "aggregated"}),
			sim.AddInstallation(argo.Installation{ID: insts[i], ProjectID: proj, ProviderID: prov, Infrastructure: pl.Raw, Name: pl.Raw,
				Resource: pl.Raw, UnitOfAccess: defs[i], MetricDefinitionIDs: []string{defs[i]}}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	secResync(t, p, "argo")
	return defs, insts
}

var (
	csvPlainNumber  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
	csvNumberAsText = regexp.MustCompile(`^'[-+]?[0-9]+(\.[0-9]+)?$`)
)

// checkCSVCells reads a download back with encoding/csv and checks the
// first character of every cell: no formula sign (=, +, -, @ or their
// full-width forms), no control character (a line feed at the start of
// a cell is written as CR LF), no white space before a formula sign,
// unless the cell is a plain number; and no number written as text
// ("'+1.23"). It returns the rows.
func checkCSVCells(t *testing.T, what, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Errorf("%s: not valid CSV: %v", what, err)
		return nil
	}
	for i, row := range rows {
		for j, cell := range row {
			if cell == "" || csvPlainNumber.MatchString(cell) {
				continue
			}
			first, _ := utf8.DecodeRuneInString(cell)
			trimmed := strings.TrimLeftFunc(cell, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
			after, _ := utf8.DecodeRuneInString(trimmed)
			switch {
			case strings.ContainsRune("=+-@＝＋－＠", first) || unicode.IsControl(first):
				t.Errorf("%s: row %d, cell %d starts with %q: %q", what, i, j, first, cell)
			case trimmed != cell && strings.ContainsRune("=+-@＝＋－＠", after):
				t.Errorf("%s: row %d, cell %d is a formula behind white space: %q", what, i, j, cell)
			case csvNumberAsText.MatchString(cell):
				t.Errorf("%s: row %d, cell %d is a number written as text: %q", what, i, j, cell)
			}
		}
	}
	return rows
}

// routePattern matches a URL path against a registered route pattern.
func routePattern(route string) *regexp.Regexp {
	var b strings.Builder
	for _, part := range strings.Split(route, "/") {
		if b.Len() > 0 || part != "" {
			b.WriteString("/")
		}
		switch {
		case strings.HasPrefix(part, ":"):
			b.WriteString(`[^/]+`)
		case part == "*":
			b.WriteString(`.*`)
		default:
			b.WriteString(regexp.QuoteMeta(part))
		}
	}
	return regexp.MustCompile("^" + b.String() + "$")
}

var hrefRE = regexp.MustCompile(`href="([^"]+)"`)

// TestSecurity_EveryCSVTwinHoldsSafeCells plants hostile text wherever
// outside words reach a download (ARGO's names, AMIE's resources and
// errors, outbox summaries, a budget request's justification, a billing
// request's note), then follows every "Download CSV" link of every page
// and item page an admin can open, and reads each file back: no cell
// starts like a formula, and the numbers the portal writes itself are
// plain numbers, negative or not. Every CSV route of the security table
// must have been downloaded.
func TestSecurity_EveryCSVTwinHoldsSafeCells(t *testing.T) {
	p := apptest.Start(t, apptest.Options{Env: map[string]string{"PORTAL_AMIE_INTERVAL": "1h", "PORTAL_VERGEOS_INTERVAL": "1h"}})
	p.WaitSynced(t, "argo", "obi", "amie", "vergeos")
	ctx := context.Background()
	plantHostileArgo(t, p)
	day := usage.DayStart(time.Now()).AddDate(0, 0, -1)
	var status []usage.StatusDay
	var failed []usage.FailedRecord
	for i, pl := range sectest.Payloads {
		status = append(status, usage.StatusDay{Day: day, Resource: pl.Raw, Loaded: 1, Failed: 1, TotalCharge: "1"})
		failed = append(failed, usage.FailedRecord{FailedID: int64(900000 + i), UsageType: "Compute", Error: pl.Raw, Resource: pl.Raw,
			LocalProjectID: pl.Raw, LocalRecordID: pl.Raw, Username: pl.Raw, Charge: "1", LocalReference: pl.Raw, Problems: pl.Raw, Raw: "{}"})
		if _, err := p.App.DB.Enqueue(ctx, portal.OutboxItem{Kind: "probe.xss", Upstream: portal.UpstreamArgo,
			Ref: fmt.Sprintf("probe:%d", i), Summary: pl.Raw, Payload: "{}", MaxAttempts: 1, CreatedBy: pl.Raw}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.App.DB.SaveAMIEStatus(ctx, status, day, day.AddDate(0, 0, 1), time.Now(), false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.App.DB.ReplaceAMIEFailed(ctx, failed); err != nil {
		t.Fatal(err)
	}
	manager, admin := p.Login(t, "manager"), p.Login(t, "admin")
	var first int64
	for i, pl := range sectest.Payloads {
		form := assignForm("neuro-sim", "125.50")
		form.Set("justification", pl.Raw)
		form.Set("confirm_duplicate", "1") // the same assignment, once per payload
		if id := request(t, manager, form); i == 0 {
			first = id
		}
	}
	// One request is applied, so its page has the readings and their CSV:
	// the project gains 125.50 and the lab loses as much.
	if r := admin.Post("/requests/"+strconv.FormatInt(first, 10)+"/approve", nil); r.Status != 303 {
		t.Fatalf("approve: %d", r.Status)
	}
	waitState(t, p, first, budgets.Applied)
	if r := admin.Post("/billing/generate", url.Values{"note": {sectest.Payloads[5].Raw}, "range": {"24h"}}); r.Status != 303 {
		t.Fatalf("generate: %d", r.Status)
	}
	if r := postUsageUpload(t, manager, "compute", "jobs.csv", usageJobs(p, "csvsec", 3, time.Now().Add(-48*time.Hour))); r.Status != 303 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}

	// Crawl: every page of the table an admin opens, then up to two item
	// pages per route linked from them; collect their CSV links.
	var patterns []*regexp.Regexp
	routeOf := map[*regexp.Regexp]string{}
	for _, rt := range p.App.Handler.Routes() {
		if rt.Method == "GET" {
			re := routePattern(rt.Path)
			patterns = append(patterns, re)
			routeOf[re] = rt.Path
		}
	}
	match := func(path string) string {
		for _, re := range patterns {
			if re.MatchString(path) {
				return routeOf[re]
			}
		}
		return ""
	}
	var pages []string
	csvs := map[string]bool{}
	for _, rc := range routeTable {
		u := rc.URL
		if u == "" {
			u = rc.Route
		}
		if rc.Method != "GET" || rc.Skip != "" || rc.Want[4] != 200 || strings.Contains(rc.Route, "*") {
			continue
		}
		if strings.Contains(u, ".csv") {
			csvs[u] = true
		} else {
			pages = append(pages, u)
		}
	}
	pages = append(pages, "/requests/"+strconv.FormatInt(first, 10), "/billing/requests/1")
	visited, items := map[string]bool{}, map[string]int{}
	for i := 0; i < len(pages) && i < 300; i++ {
		if visited[pages[i]] {
			continue
		}
		visited[pages[i]] = true
		r := admin.Get(pages[i])
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			continue
		}
		if pu, _ := url.Parse(pages[i]); strings.Contains(match(pu.Path), ":") {
			// An item page's CSV twin is its URL with .csv, linked or not.
			pu.Path += ".csv"
			csvs[pu.String()] = true
		}
		for _, m := range hrefRE.FindAllStringSubmatch(r.Body, -1) {
			link := html.UnescapeString(m[1])
			lu, err := url.Parse(link)
			if err != nil || lu.Host != "" || !strings.HasPrefix(lu.Path, "/") || strings.HasPrefix(lu.Path, "/static/") || strings.HasPrefix(lu.Path, "/auth/") {
				continue
			}
			lu.Fragment = ""
			route := match(lu.Path)
			switch {
			case strings.HasSuffix(lu.Path, ".csv") || lu.Query().Get("format") == "csv":
				csvs[lu.String()] = true
			case strings.Contains(route, ":") && items[route] < 2 && !visited[lu.String()]:
				items[route]++
				pages = append(pages, lu.String())
			}
		}
	}

	downloaded := map[string]bool{}
	for u := range csvs {
		r := admin.Get(u)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
			continue
		}
		lu, _ := url.Parse(u)
		downloaded[match(lu.Path)] = true
		rows := checkCSVCells(t, u, r.Body)
		if strings.HasPrefix(u, "/requests/"+strconv.FormatInt(first, 10)+".csv") {
			cells := map[string]bool{}
			for _, row := range rows {
				for _, c := range row {
					cells[c] = true
				}
			}
			if !cells["125.50"] || !cells["-125.50"] {
				t.Errorf("%s: the changes are not written as the plain numbers 125.50 and -125.50: %q", u, rows)
			}
		}
	}
	if !downloaded["/requests/:id"] {
		t.Errorf("the applied request's readings CSV was not downloaded")
	}
	for _, rc := range routeTable {
		u := rc.URL
		if u == "" {
			u = rc.Route
		}
		if rc.Method == "GET" && strings.Contains(u, ".csv") && !downloaded[rc.Route] {
			t.Errorf("no CSV of %s was downloaded: link it from a page, or plant data for it", rc.Route)
		}
	}
}
