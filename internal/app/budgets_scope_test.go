package app_test

import (
	"encoding/csv"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/web/templates"
)

func TestBudgets_EachUserSeesOnlyTheirLabsAndProjects(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	manager, viewer, admin := p.Login(t, "manager"), p.Login(t, "viewer"), p.Login(t, "admin")
	cases := []struct {
		b         *apptest.Browser
		sees, not []string
		labs      []string
		notLabs   []string
	}{
		{manager, []string{"neuro-sim", "brain-atlas"}, []string{"climate-ml", "genomics", "materials"}, []string{"Cortex Lab"}, []string{"Earth Systems Lab"}},
		{p.Login(t, "manager-b"), []string{"climate-ml"}, []string{"neuro-sim", "brain-atlas", "genomics"}, []string{"Earth Systems Lab"}, []string{"Cortex Lab"}},
		{viewer, []string{"climate-ml"}, []string{"neuro-sim", "brain-atlas", "genomics"}, []string{"Earth Systems Lab"}, []string{"Cortex Lab"}},
		{admin, []string{"neuro-sim", "brain-atlas", "climate-ml", "genomics", "materials"}, nil, []string{"Cortex Lab", "Earth Systems Lab"}, nil},
	}
	for _, c := range cases {
		page := c.b.Get("/budgets")
		csvBody := c.b.Get("/budgets.csv").Body
		labsCSV := c.b.Get("/budgets/labs.csv").Body
		for _, k := range c.sees {
			if !strings.Contains(page.Body, `data-project="`+k+`"`) || !strings.Contains(csvBody, ","+k+",") {
				t.Errorf("%s is missing from the page or CSV", k)
			}
		}
		for _, k := range c.not {
			if strings.Contains(page.Body, k) || strings.Contains(csvBody, k) {
				t.Errorf("%s leaks into the page or CSV", k)
			}
		}
		for _, l := range c.labs {
			if !strings.Contains(page.Body, l) || !strings.Contains(labsCSV, l) {
				t.Errorf("lab %s is missing", l)
			}
		}
		for _, l := range c.notLabs {
			if strings.Contains(page.Body, l) || strings.Contains(labsCSV, l) {
				t.Errorf("lab %s leaks", l)
			}
		}
	}
	// Another project's pages, by editing the URL: not found, in every form.
	for _, suffix := range []string{"", "/jobs.csv", "/spend.csv", "/discounts.csv", "/balances", "/balances.csv"} {
		if r := manager.Get("/budgets/projects/climate-ml" + suffix); r.Status != http.StatusNotFound {
			t.Errorf("manager GET climate-ml%s: %d", suffix, r.Status)
		}
		if r := viewer.Get("/budgets/projects/neuro-sim" + suffix); r.Status != http.StatusNotFound {
			t.Errorf("viewer GET neuro-sim%s: %d", suffix, r.Status)
		}
		if r := manager.Get("/budgets/projects/neuro-sim" + suffix); r.Status != http.StatusOK {
			t.Errorf("manager GET neuro-sim%s: %d", suffix, r.Status)
		}
	}
}

func TestBudgetRequests_PerObjectAndPerRole(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, nil)
	manager, viewer, admin := p.Login(t, "manager"), p.Login(t, "viewer"), p.Login(t, "admin")

	// An admin's request (admins may request anything) is not the manager's to see or cancel.
	theirs := request(t, admin, assignForm("climate-ml", "3"))
	u := "/requests/" + strconv.FormatInt(theirs, 10)
	if r := manager.Get(u); r.Status != http.StatusNotFound {
		t.Errorf("manager sees an admin's request: %d", r.Status)
	}
	if r := manager.Post(u+"/cancel", nil); r.Status != http.StatusNotFound {
		t.Errorf("manager cancels an admin's request: %d", r.Status)
	}
	if l := manager.Get("/requests"); strings.Contains(l.Body, `data-request="`+strconv.FormatInt(theirs, 10)+`"`) {
		t.Error("an admin's request is in the manager's list")
	}
	if c := manager.Get("/requests.csv"); strings.Contains(c.Body, "climate-ml") {
		t.Error("an admin's request is in the manager's CSV")
	}
	mine := request(t, manager, assignForm("neuro-sim", "3"))
	m := "/requests/" + strconv.FormatInt(mine, 10)
	// Its readings table has a CSV twin for its requester and admins.
	for _, b := range []*apptest.Browser{manager, admin} {
		if r := b.Get(m + ".csv"); r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "account,before (credits)") {
			t.Errorf("readings CSV of the manager's request: %d %.80q", r.Status, r.Body)
		}
	}
	// The manager of climate-ml and the manager of neuro-sim cannot see or
	// act on each other's requests, nor request for each other's projects.
	managerB := p.Login(t, "manager-b")
	bs := request(t, managerB, assignForm("climate-ml", "4"))
	bu := "/requests/" + strconv.FormatInt(bs, 10)
	for _, c := range []struct {
		b    *apptest.Browser
		path string
	}{{manager, bu}, {managerB, m}} {
		if r := c.b.Get(c.path); r.Status != http.StatusNotFound {
			t.Errorf("GET %s of another manager: %d", c.path, r.Status)
		}
		if r := c.b.Get(c.path + ".csv"); r.Status != http.StatusNotFound {
			t.Errorf("GET %s.csv of another manager: %d", c.path, r.Status)
		}
		if r := c.b.Post(c.path+"/cancel", nil); r.Status != http.StatusNotFound {
			t.Errorf("cancel %s of another manager: %d", c.path, r.Status)
		}
	}
	if r := managerB.Post("/requests", assignForm("neuro-sim", "1")); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("manager-b requests for neuro-sim: %d", r.Status)
	}
	if f := managerB.Get("/requests/new"); strings.Contains(f.Body, "neuro-sim") || !strings.Contains(f.Body, `value="climate-ml"`) {
		t.Errorf("manager-b's form offers the wrong projects")
	}
	// Viewers read their project's requests and make none: climate-ml's
	// member reads manager-b's request, not the manager's, and cancels nothing.
	for path, want := range map[string]int{"/requests": 200, "/requests.csv": 200, bu: 200, bu + ".csv": 200, m: 404, m + ".csv": 404,
		"/requests/new": 403, "/approvals": 403} {
		if r := viewer.Get(path); r.Status != want {
			t.Errorf("viewer GET %s: %d, want %d", path, r.Status, want)
		}
	}
	if l := viewer.Get("/requests"); !strings.Contains(l.Body, `data-request="`+strconv.FormatInt(bs, 10)+`"`) ||
		strings.Contains(l.Body, `data-request="`+strconv.FormatInt(mine, 10)+`"`) {
		t.Error("the viewer's list is not climate-ml's requests")
	}
	if r := viewer.Post(bu+"/cancel", nil); r.Status != http.StatusForbidden {
		t.Errorf("viewer cancels a request of their project: %d", r.Status)
	}
	if r := viewer.Post("/requests", assignForm("climate-ml", "1")); r.Status != http.StatusForbidden {
		t.Errorf("viewer POST /requests: %d", r.Status)
	}
	if r := manager.Get("/approvals"); r.Status != http.StatusForbidden {
		t.Errorf("manager GET /approvals: %d", r.Status)
	}
}

var rowRE = regexp.MustCompile(`data-(?:project|job|request)="([^"]+)"`)

// tableRows reads a table's row ids and its cells of column col (marked
// data-col), in order.
func tableRows(t *testing.T, html, testid string, col ...string) (ids []string, cells []string) {
	t.Helper()
	table := between(html, `data-testid="`+testid+`"`, "</table>")
	if table == "" {
		t.Fatalf("no table %s", testid)
	}
	for _, m := range rowRE.FindAllStringSubmatch(table, -1) {
		ids = append(ids, m[1])
	}
	if len(col) > 0 {
		cellRE := regexp.MustCompile(`data-col="` + col[0] + `"[^>]*>\s*([^<\s]+)`)
		for _, m := range cellRE.FindAllStringSubmatch(table, -1) {
			cells = append(cells, m[1])
		}
	}
	return ids, cells
}

func budgetCSV(t *testing.T, r *apptest.Response) [][]string {
	t.Helper()
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment; filename=") {
		t.Fatalf("CSV answer %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func budgetColumn(rows [][]string, name string) []string {
	idx := -1
	for i, h := range rows[0] {
		if h == name {
			idx = i
		}
	}
	var out []string
	for _, r := range rows[1:] {
		if idx >= 0 {
			out = append(out, r[idx])
		}
	}
	return out
}

func round2(t *testing.T, s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		d, err := decimal.Parse(v)
		if err != nil {
			t.Fatalf("%q is not an exact decimal", v)
		}
		out[i] = d.StringFixed(2)
	}
	return out
}

// checkTableCSV compares a page's table (rows by id, one column's cells)
// with its CSV twin.
func checkTableCSV(t *testing.T, b *apptest.Browser, page, csvURL, testid, idCol, cellCol string, exact bool) {
	t.Helper()
	ids, cells := tableRows(t, b.Get(page).Body, testid, strings.Fields(cellCol)[0])
	rows := budgetCSV(t, b.Get(csvURL))
	gotIDs, gotCells := budgetColumn(rows, idCol), budgetColumn(rows, cellCol)
	if exact {
		gotCells = round2(t, gotCells)
	}
	for i, c := range gotCells {
		gotCells[i] = templates.Group(c) // the page's separators
	}
	n := min(len(ids), len(gotIDs))
	if len(ids) == 0 || strings.Join(ids, ",") != strings.Join(gotIDs[:n], ",") {
		t.Errorf("%s: rows %v, CSV %v", page, ids, gotIDs[:n])
	}
	if strings.Join(cells, ",") != strings.Join(gotCells[:min(len(cells), len(gotCells))], ",") {
		t.Errorf("%s: cells %v, CSV %v", page, cells, gotCells)
	}
}

func TestBudgets_CSVMatchesTheTables(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	admin, manager := p.Login(t, "admin"), p.Login(t, "manager")
	check := func(b *apptest.Browser, page, csvURL, testid, idCol, cellCol string, exact bool) {
		t.Helper()
		checkTableCSV(t, b, page, csvURL, testid, idCol, cellCol, exact)
	}
	for _, q := range []string{"", "?sort=-balance", "?sort=runout&warn=1"} {
		check(admin, "/budgets"+q, "/budgets.csv"+q, "projects-table", "project_key", "balance (credits)", false)
	}
	for _, q := range []string{"?range=90d", "?range=30d&sort=-cost&type=oneshot", "?range=1y&sort=subtype&size=20&page=2"} {
		csvQ := strings.Replace(strings.Replace(q, "&page=2", "", 1), "&size=20", "", 1)
		if strings.Contains(q, "page=2") {
			// Page 2 starts at the 21st row of the CSV.
			ids, _ := tableRows(t, manager.Get("/budgets/projects/neuro-sim"+q).Body, "jobs-table")
			all := budgetColumn(budgetCSV(t, manager.Get("/budgets/projects/neuro-sim/jobs.csv"+csvQ)), "job_id")
			if len(ids) == 0 || strings.Join(ids, ",") != strings.Join(all[20:20+len(ids)], ",") {
				t.Errorf("page 2 of jobs is not rows 21.. of the CSV")
			}
			continue
		}
		check(manager, "/budgets/projects/neuro-sim"+q, "/budgets/projects/neuro-sim/jobs.csv"+q, "jobs-table", "job_id", "cost (credits)", true)
	}
	// Every job of the range is in the CSV: the count on the page equals the CSV's rows.
	page := manager.Get("/budgets/projects/neuro-sim?range=1y")
	count := between(page.Body, `data-testid="row-count">`, " rows")
	rows := budgetCSV(t, manager.Get("/budgets/projects/neuro-sim/jobs.csv?range=1y"))
	if n, _ := strconv.Atoi(strings.ReplaceAll(count, ",", "")); n != len(rows)-1 || n == 0 {
		t.Errorf("the page counts %s jobs, the CSV has %d", count, len(rows)-1)
	}
	if !strings.Contains(strings.Join(rows[0], ","), "cost (credits)") {
		t.Errorf("CSV header without units: %v", rows[0])
	}
	bal := manager.Get("/budgets/projects/neuro-sim/balances")
	if !strings.Contains(bal.Body, `data-testid="balances-table"`) {
		t.Fatal("no balances table")
	}
	brow := budgetCSV(t, manager.Get("/budgets/projects/neuro-sim/balances.csv"))
	if len(brow) < 2 || !strings.Contains(bal.Body, brow[1][1]) {
		t.Errorf("balance history CSV %v does not match the page", brow)
	}
}

// The requests list and the approvals inbox have their CSV twins.
func TestBudgetRequests_CSVMatchesTheTables(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, nil)
	admin, manager := p.Login(t, "admin"), p.Login(t, "manager")
	check := func(b *apptest.Browser, page, csvURL, testid, idCol, cellCol string, exact bool) {
		t.Helper()
		checkTableCSV(t, b, page, csvURL, testid, idCol, cellCol, exact)
	}
	for i := range 3 {
		request(t, manager, assignForm("neuro-sim", strconv.Itoa(10+i)))
	}
	check(manager, "/requests", "/requests.csv", "requests-table", "id", "amount (credits)", false)
	check(admin, "/approvals", "/approvals.csv", "requests-table", "id", "amount (credits)", false)
	check(admin, "/approvals?sort=-amount", "/approvals.csv?sort=-amount", "requests-table", "id", "amount (credits)", false)
}
