package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/usage"
)

// TestUsage_RolesAndScope: who may do what on the usage pages, and that
// records never leak across projects.
func TestUsage_RolesAndScope(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	v, m, a := p.Login(t, "viewer"), p.Login(t, "manager"), p.Login(t, "admin")
	for _, b := range []*apptest.Browser{v, m, a} {
		if r := b.Get("/usage"); r.Status != 200 || !strings.Contains(r.Body, `data-testid="usage-status-table"`) {
			t.Errorf("status page: %d", r.Status)
		}
	}
	if r := v.Get("/usage/upload"); r.Status != http.StatusForbidden {
		t.Errorf("viewer upload form: %d", r.Status)
	}
	if r := postUsageUpload(t, v, "compute", "x.csv", usageJobs(p, "v", 1, time.Now().Add(-time.Hour))); r.Status != http.StatusForbidden {
		t.Errorf("viewer upload: %d", r.Status)
	}
	ids := usageFailedRowRE.FindAllStringSubmatch(a.Get("/usage/failed").Body, 1)
	if r := m.PostRaw("/usage/failed/clear", url.Values{"csrf_token": {m.CSRF()}, "id": {ids[0][1]}}, nil); r.Status != http.StatusForbidden {
		t.Errorf("manager clear: %d", r.Status)
	}
	// Failed records are scoped: each person sees only their projects'.
	projOf := regexp.MustCompile(`<td>\s*(TG-[A-Z]+\d+)`)
	for _, tc := range []struct {
		b       *apptest.Browser
		allowed []string
	}{{v, []string{"TG-CLI"}}, {m, []string{"TG-NEU", "TG-BRA"}}} {
		body := tc.b.Get("/usage/failed?size=500").Body
		found := projOf.FindAllStringSubmatch(body, -1)
		if len(found) == 0 {
			t.Errorf("no failed records shown to %v", tc.allowed)
		}
		for _, f := range found {
			ok := false
			for _, a := range tc.allowed {
				ok = ok || strings.HasPrefix(f[1], a)
			}
			if !ok {
				t.Errorf("%v sees a record of %s", tc.allowed, f[1])
			}
		}
		rows := usageReadCSV(t, tc.b.Get("/usage/failed.csv"))
		if len(rows) < 2 {
			t.Errorf("%v's failed-records CSV is empty", tc.allowed)
		}
		for _, row := range rows[1:] {
			if ok := strings.HasPrefix(row[4], tc.allowed[0]) || (len(tc.allowed) > 1 && strings.HasPrefix(row[4], tc.allowed[1])); !ok {
				t.Errorf("%v's CSV has a record of %s", tc.allowed, row[4])
			}
		}
	}
	if r := v.Get("/usage/failed?project=" + p.Sims.AMIE.Projects()[0].LocalProjectID); strings.Contains(r.Body, `<tr data-id=`) {
		t.Error("the viewer sees neuro-sim's records by naming the project in the URL")
	}
}

// An admin's upload is not the manager's to see.
func TestUsage_AnAdminsUploadIsNotAManagers(t *testing.T) {
	t.Parallel()
	p := startUsagePortal(t, apptest.Options{})
	m, a := p.Login(t, "manager"), p.Login(t, "admin")
	proj := p.Sims.AMIE.Projects()[3].LocalProjectID
	file := strings.ReplaceAll(usageJobs(p, "adm", 2, time.Now().Add(-time.Hour)), p.Sims.AMIE.Projects()[0].LocalProjectID, proj)
	id := usageUploadID(t, postUsageUpload(t, a, "compute", "admin.csv", file))
	for _, path := range []string{"/usage/uploads/%d", "/usage/uploads/%d.csv"} {
		if r := m.Get(fmt.Sprintf(path, id)); r.Status != http.StatusNotFound {
			t.Errorf("manager sees the admin's upload at %s: %d", path, r.Status)
		}
		if r := a.Get(fmt.Sprintf(path, id)); r.Status != http.StatusOK {
			t.Errorf("admin's own upload at %s: %d", path, r.Status)
		}
	}
	if body := m.Get("/usage/uploads").Body; strings.Contains(body, `data-id="`+fmt.Sprint(id)+`"`) {
		t.Error("the manager's upload list shows the admin's upload")
	}
}

var usageStatusRowRE = regexp.MustCompile(`(?s)<tr data-day="([^"]+)" data-resource="([^"]+)"><td>[^<]*</td><td>[^<]*</td><td class="num" data-col="loaded">([^<]*)</td><td class="num" data-col="failed">([^<]*)</td><td class="num" data-col="charge">([^<]*)</td>`)

// TestUsage_CSVTwinsMatchTables compares each table with its CSV twin
// for the same filters.
func TestUsage_CSVTwinsMatchTables(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	a := p.Login(t, "admin")
	res := p.Sims.AMIE.Resources()[1]
	// Past days only, so a sync between the two requests cannot change them.
	q := "from=" + usage.FormatDay(time.Now().AddDate(0, 0, -30)) + "&to=" + usage.FormatDay(time.Now().AddDate(0, 0, -1)) +
		"&resource=" + url.QueryEscape(res) + "&sort=-loaded&size=500"
	var page []string
	for _, m := range usageStatusRowRE.FindAllStringSubmatch(a.Get("/usage?"+q).Body, -1) {
		page = append(page, strings.Join([]string{m[1], m[2], strings.ReplaceAll(m[3], ",", ""), strings.ReplaceAll(m[4], ",", ""), strings.ReplaceAll(m[5], ",", "")}, "|"))
	}
	rows := usageReadCSV(t, a.Get("/usage.csv?"+q))
	if strings.Join(rows[0], ",") != "day_utc,resource,loaded_records,failed_records,total_charge_allocation_units" {
		t.Errorf("status CSV header %v", rows[0])
	}
	var csvRows []string
	for _, r := range rows[1:] {
		csvRows = append(csvRows, strings.Join(r, "|"))
	}
	if len(page) < 28 || strings.Join(page, "\n") != strings.Join(csvRows, "\n") {
		t.Errorf("status page (%d rows) and CSV (%d rows) differ", len(page), len(csvRows))
	}
	r := a.Get("/usage.csv?" + q)
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "usage_status_"+res) {
		t.Errorf("Content-Disposition %q", cd)
	}

	// Failed records: ids in the same order.
	fq := "error=Unknown+user&sort=-start&size=500"
	var pageIDs []string
	for _, m := range usageFailedRowRE.FindAllStringSubmatch(a.Get("/usage/failed?"+fq).Body, -1) {
		pageIDs = append(pageIDs, m[1])
	}
	var csvIDs []string
	for _, r := range usageReadCSV(t, a.Get("/usage/failed.csv?"+fq))[1:] {
		if r[0] != "Unknown user" {
			t.Fatalf("CSV row of error %q", r[0])
		}
		csvIDs = append(csvIDs, r[1])
	}
	if len(pageIDs) == 0 || strings.Join(pageIDs, ",") != strings.Join(csvIDs, ",") {
		t.Errorf("failed page %v, CSV %v", pageIDs, csvIDs)
	}
}

// An upload's records table and the uploads list have their CSV twins.
func TestUsage_UploadCSVTwinsMatchTables(t *testing.T) {
	t.Parallel()
	p := startUsagePortal(t, apptest.Options{})
	a := p.Login(t, "admin")
	id := usageUploadID(t, postUsageUpload(t, a, "compute", "twin.csv", usageJobs(p, "twin", 30, time.Now().Add(-2*time.Hour))))
	uploadIn(t, p, id, usage.UploadDelivered)
	lineRE := regexp.MustCompile(`<tr data-line="(\d+)">`)
	var lines []string
	for _, m := range lineRE.FindAllStringSubmatch(a.Get(fmt.Sprintf("/usage/uploads/%d?sort=-charge&size=500", id)).Body, -1) {
		lines = append(lines, m[1])
	}
	var csvLines []string
	for _, r := range usageReadCSV(t, a.Get(fmt.Sprintf("/usage/uploads/%d.csv?sort=-charge", id)))[1:] {
		csvLines = append(csvLines, r[0])
		if r[9] != usage.RecordAccepted {
			t.Errorf("record on line %s: %s", r[0], r[9])
		}
	}
	if len(lines) != 30 || strings.Join(lines, ",") != strings.Join(csvLines, ",") {
		t.Errorf("upload page lines %v, CSV %v", lines, csvLines)
	}
	ups := usageReadCSV(t, a.Get("/usage/uploads.csv"))
	if len(ups) != 2 || ups[1][0] != fmt.Sprint(id) || ups[1][5] != "30" || ups[1][13] != usage.UploadDelivered {
		t.Errorf("uploads CSV %v", ups)
	}
	if !strings.Contains(a.Get("/usage/uploads").Body, `<tr data-id="`+fmt.Sprint(id)+`">`) {
		t.Error("uploads page does not list the upload")
	}
}

// TestUsage_Upload100k uploads 100,000 compute records: checked, stored
// with their planned requests, delivered and accepted. Under the race
// detector, which makes it thirty times slower and its figures
// meaningless, it uploads 10,000 (three requests: the same paths); CI
// runs the full size without it (.ci/run).
func TestUsage_Upload100k(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("large upload")
	}
	n := 100_000
	if raceEnabled {
		n = 10_000
	}
	p := startUsagePortal(t, apptest.Options{})
	m := p.Login(t, "manager")
	m.Client.Timeout = 5 * time.Minute // the race detector makes this slow
	file := usageJobs(p, "big", n, time.Now().Add(-5*time.Hour))
	peak := usageWatchHeap()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	startAlloc := ms.TotalAlloc
	start := time.Now()
	r := postUsageUpload(t, m, "compute", "big.csv", file)
	checked := time.Since(start)
	id := usageUploadID(t, r)
	up := uploadIn(t, p, id, usage.UploadDelivered)
	delivered := time.Since(start)
	runtime.ReadMemStats(&ms)
	t.Logf("%d records (%.1f MB): checked and stored in %d requests in %v, delivered in %v; allocated %.0f MB in total, peak heap %.0f MB (portal and simulator together)",
		n, float64(len(file))/1e6, up.Chunks, checked.Round(time.Millisecond), delivered.Round(time.Millisecond),
		float64(ms.TotalAlloc-startAlloc)/1e6, float64(peak())/1e6)
	// A request holds at most 768 KiB, about 3,300 of these records.
	if up.Records != n || up.Accepted != n || up.Chunks < n/3500 {
		t.Fatalf("upload %+v", up)
	}
	last := n / 50
	page := m.Get(fmt.Sprintf("/usage/uploads/%d?outcome=accepted&page=%d", id, last))
	if page.Status != 200 || !strings.Contains(page.Body, fmt.Sprintf(`data-line="%d"`, n+1)) {
		t.Errorf("last page of records: %d", page.Status)
	}
	// The whole upload's outcome is in one CSV.
	if rows := usageReadCSV(t, m.Get(fmt.Sprintf("/usage/uploads/%d.csv", id))); len(rows) != n+1 {
		t.Errorf("records CSV has %d rows", len(rows))
	}
}

// usageWatchHeap samples the heap until the returned function is called; it
// returns the highest HeapAlloc seen.
func usageWatchHeap() func() uint64 {
	var mu sync.Mutex
	var peak uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
