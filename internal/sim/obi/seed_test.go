package obi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// get serves one GET through the handler, with Host "test".
func get(t testing.TB, h http.Handler, path string) []byte {
	t.Helper()
	req := httptest.NewRequest("GET", "http://test"+path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s", path, rec.Code, b)
	}
	return b
}

type pageData struct {
	Items []map[string]any `json:"items"`
	Meta  struct {
		TotalItems int `json:"total_items"`
		TotalPages int `json:"total_pages"`
	} `json:"meta"`
	Links map[string]*string `json:"links"`
}

func getPage(t testing.TB, h http.Handler, path string) pageData {
	t.Helper()
	var env struct {
		Data pageData `json:"data"`
	}
	if err := json.Unmarshal(get(t, h, path), &env); err != nil {
		t.Fatal(err)
	}
	return env.Data
}

func seeded(seed int64, scale float64) (*Server, *world.World) {
	w := world.New(seed, scale)
	return New(Options{World: w, Now: func() time.Time { return testT0 }}), w
}

func TestSeed_Deterministic(t *testing.T) {
	a, w := seeded(7, 1)
	b, _ := seeded(7, 1)
	c, _ := seeded(8, 1)
	p := w.Projects[2].OBIID
	paths := []string{"/balance/system", "/balance/virtual-lab/" + w.VirtualLabs[1].ID + "?include_projects=true",
		"/report/project/" + p + "?page_size=7&page=3", "/report/system?page_size=50&page=20", "/job/longrun/open"}
	for _, path := range paths {
		if string(get(t, a, path)) != string(get(t, b, path)) {
			t.Errorf("%s differs between two simulators of the same seed", path)
		}
	}
	if string(get(t, a, paths[0])) == string(get(t, c, paths[0])) {
		t.Error("another seed gave the same system balance")
	}
}

func TestSeed_DirectoryAndNames(t *testing.T) {
	s, w := seeded(1, 1)
	labs := Directory(w)
	if len(labs) != len(w.VirtualLabs) || labs[0].Name != "Cortex Lab" || len(labs[0].Projects) != 2 {
		t.Fatalf("directory %+v", labs)
	}
	if got := labs[0].Projects[0].AccountName; got != "Cortex Lab/Neural Circuit Simulation" {
		t.Fatalf("account name %q", got)
	}
	acc := s.Accounts()
	for i, lab := range labs {
		if acc[i].ID != lab.ID || acc[i].Name != lab.Name || len(acc[i].Projects) != len(lab.Projects) {
			t.Fatalf("registered %+v, directory %+v", acc[i], lab)
		}
		for j, p := range lab.Projects {
			if acc[i].Projects[j].ID != p.ID || acc[i].Projects[j].AccountName != p.AccountName {
				t.Fatalf("project %+v vs %+v", acc[i].Projects[j], p)
			}
		}
	}
	if s.SystemID() != SystemAccountID(w) {
		t.Fatal("system account id")
	}
	// Double entry: all balances, the system's included, sum to zero.
	total := decimal.Zero
	for _, a := range s.led.accounts {
		total = total.Add(a.balance)
	}
	if len(s.led.accounts) != 1+len(w.VirtualLabs)+2*len(w.Projects) {
		t.Fatalf("%d accounts", len(s.led.accounts))
	}
	if !total.IsZero() {
		t.Fatalf("balances sum to %s", total)
	}
}

// TestSeed_Budgets checks the demo story: spend in the last 7 and 30
// days for every project, at least one project a few days from running
// out at its recent burn rate, and most with weeks left.
func TestSeed_Budgets(t *testing.T) {
	s, w := seeded(1, 1)
	near, comfortable := 0, 0
	for _, p := range w.Projects {
		var week, month decimal.Decimal
		rep := getPage(t, s, "/report/project/"+p.OBIID)
		for _, it := range rep.Items {
			started, _ := time.Parse(time.RFC3339Nano, it["started_at"].(string))
			amount := dec(it["amount"].(string))
			if age := testT0.Sub(started); age < 30*24*time.Hour {
				month = month.Add(amount)
				if age < 7*24*time.Hour {
					week = week.Add(amount)
				}
			}
		}
		if week.Sign() <= 0 || month.Cmp(week) <= 0 {
			t.Fatalf("%s: spend week %s month %s", p.Key, week, month)
		}
		bal, _, _ := s.ProjectBalance(p.OBIID)
		perDay, _ := week.DivRound(decimal.NewFromInt(7), 6)
		days, _ := bal.DivRound(perDay, 1)
		switch {
		case days.Cmp(dec("10")) < 0:
			near++
		case days.Cmp(dec("14")) > 0:
			comfortable++
		}
		t.Logf("%s: balance %s, 7-day burn %s/day, %s days left", p.Key, bal, perDay, days)
	}
	if near == 0 || comfortable < len(w.Projects)/2 {
		t.Fatalf("%d projects near the end, %d comfortable", near, comfortable)
	}
}

// TestSeed_ReportsWalk walks a seeded project's report page by page and
// checks the order, the totals and the mix of jobs, and that the lab and
// system reports add up.
func TestSeed_ReportsWalk(t *testing.T) {
	s, w := seeded(3, 1)
	lab := w.VirtualLabs[1]
	sum := 0
	kinds := map[string]int{}
	cancelled := 0
	for _, p := range w.ProjectsOfLab(lab.ID) {
		first := getPage(t, s, "/report/project/"+p.OBIID+"?page_size=25")
		seen := map[string]bool{}
		var last time.Time
		for page := 1; page <= first.Meta.TotalPages; page++ {
			pg := getPage(t, s, fmt.Sprintf("/report/project/%s?page_size=25&page=%d", p.OBIID, page))
			for _, it := range pg.Items {
				id := it["job_id"].(string)
				started, _ := time.Parse(time.RFC3339Nano, it["started_at"].(string))
				if seen[id] || (!last.IsZero() && started.After(last)) {
					t.Fatalf("page %d: job %s repeated or out of order", page, id)
				}
				if _, ok := it["proj_id"]; ok {
					t.Fatalf("project report item with proj_id: %v", it)
				}
				seen[id], last = true, started
				kinds[it["type"].(string)]++
				if it["cancelled_at"] != nil && it["type"] == "longrun" {
					cancelled++
				}
			}
		}
		if len(seen) != first.Meta.TotalItems {
			t.Fatalf("%s: walked %d jobs, total_items %d", p.Key, len(seen), first.Meta.TotalItems)
		}
		if testT0.Sub(last) < 85*24*time.Hour {
			t.Fatalf("%s: history starts %s", p.Key, last)
		}
		sum += len(seen)
	}
	if kinds["oneshot"] == 0 || kinds["longrun"] == 0 || kinds["storage"] == 0 || cancelled == 0 {
		t.Fatalf("kinds %v, cancelled %d", kinds, cancelled)
	}
	vl := getPage(t, s, "/report/virtual-lab/"+lab.ID+"?page_size=1")
	if vl.Meta.TotalItems != sum || vl.Items[0]["proj_id"] == nil || vl.Items[0]["vlab_id"] != nil {
		t.Fatalf("lab report: %d items, projects sum %d; item %v", vl.Meta.TotalItems, sum, vl.Items[0])
	}
	other := getPage(t, s, "/report/virtual-lab/"+w.VirtualLabs[0].ID+"?page_size=1").Meta.TotalItems
	sys := getPage(t, s, "/report/system?page_size=3&page=2")
	if sys.Meta.TotalItems != sum+other || sys.Items[0]["vlab_id"] == nil {
		t.Fatalf("system report: %d items, labs sum %d", sys.Meta.TotalItems, sum+other)
	}
}

// TestReport_Links: absolute URLs from the request, page replaced where
// it stands and other parameters kept in order.
func TestReport_Links(t *testing.T) {
	s, w := seeded(1, 1)
	p := w.Projects[0].OBIID
	pg := getPage(t, s, "/report/project/"+p+"?x=a+b&page=2&page_size=5&y=1")
	base := "http://test/report/project/" + p
	want := map[string]string{
		"self":  base + "?x=a+b&page=2&page_size=5&y=1",
		"prev":  base + "?x=a+b&page=1&page_size=5&y=1",
		"next":  base + "?x=a+b&page=3&page_size=5&y=1",
		"first": base + "?x=a+b&page=1&page_size=5&y=1",
		"last":  base + fmt.Sprintf("?x=a+b&page=%d&page_size=5&y=1", pg.Meta.TotalPages),
	}
	for k, v := range want {
		if pg.Links[k] == nil || *pg.Links[k] != v {
			t.Errorf("%s = %v, want %s", k, pg.Links[k], v)
		}
	}
	pg = getPage(t, s, "/report/project/"+p)
	if *pg.Links["self"] != base || *pg.Links["first"] != base+"?page=1" || pg.Links["prev"] != nil {
		t.Errorf("links without a query: %v", pg.Links)
	}
}

func TestSeed_OpenJobs(t *testing.T) {
	s, w := seeded(1, 1)
	open := getPage(t, s, "/job/longrun/open")
	if open.Meta.TotalItems == 0 {
		t.Fatal("no open jobs in the demo")
	}
	reserved := decimal.Zero
	for _, p := range w.Projects {
		_, r, _ := s.ProjectBalance(p.OBIID)
		reserved = reserved.Add(r)
	}
	if reserved.Sign() <= 0 {
		t.Fatal("open jobs reserve nothing")
	}
	for _, it := range open.Items {
		if it["started_at"] != nil && !strings.HasSuffix(it["started_at"].(string), "Z") {
			t.Fatalf("item %v", it)
		}
	}
}
