package syncer_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/obi"
	"github.com/accounting-portal/portal/internal/demo"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/fault"
	simobi "github.com/accounting-portal/portal/internal/sim/obi"
	"github.com/accounting-portal/portal/internal/sim/world"
	"github.com/accounting-portal/portal/internal/syncer"
)

// obiFixture is the OBI simulator behind HTTP, the portal's client, and a
// cache holding the demo catalogue, sharing one clock.
type obiFixture struct {
	t      testing.TB
	w      *world.World
	sim    *simobi.Server
	client *obi.Client
	src    *countingSource
	db     *cache.DB
	mu     sync.Mutex
	now    time.Time
}

var obiT0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func newOBIFixture(t testing.TB, scale float64, live bool) *obiFixture {
	t.Helper()
	f := &obiFixture{t: t, w: world.New(1, scale), now: obiT0}
	f.sim = simobi.New(simobi.Options{World: f.w, Now: f.clock, ChargeEvery: -1, Live: live})
	srv := httptest.NewServer(f.sim)
	t.Cleanup(srv.Close)
	var err error
	f.client, err = obi.New(obi.Config{BaseURL: srv.URL, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.src = &countingSource{OBISource: f.client}
	f.db, err = cache.Open(context.Background(), filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	f.db.Now = f.clock
	t.Cleanup(func() { f.db.Close() })
	if err := f.db.ReplaceCatalog(context.Background(), demo.Catalog(f.w)); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *obiFixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// advance moves both the portal's and the simulator's clocks.
func (f *obiFixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *obiFixture) sync(o syncer.OBIOptions) (int64, error) {
	o.Now = f.clock
	return syncer.SyncOBI(context.Background(), f.src, f.db, o)
}

// countingSource counts report pages read.
type countingSource struct {
	syncer.OBISource
	pages atomic.Int64
}

func (c *countingSource) ProjectReportPage(ctx context.Context, projID string, page, size int) (obi.JobPage, error) {
	c.pages.Add(1)
	return c.OBISource.ProjectReportPage(ctx, projID, page, size)
}

// dump returns every row of the OBI tables, one string per row.
func dump(t testing.TB, db *cache.DB, tables ...string) map[string][]string {
	t.Helper()
	r, err := sql.Open("sqlite", "file:"+db.Path()+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[string][]string{}
	for _, tb := range tables {
		rows, err := r.Query(`SELECT * FROM ` + tb + ` ORDER BY 1, 2`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out[tb] = append(out[tb], fmt.Sprint(vals...))
		}
		rows.Close()
	}
	return out
}

var obiDataTables = []string{"obi_lab_balances", "obi_project_balances", "obi_jobs", "obi_spend_daily", "obi_spend_total", "obi_discounts"}

func TestSyncOBI_ReadsTheCatalogue_TwiceGivesSameRowsPlusASnapshot(t *testing.T) {
	f := newOBIFixture(t, 1, false)
	ctx := context.Background()
	rows, err := f.sync(syncer.OBIOptions{PageSize: 100})
	firstPages := f.src.pages.Load()
	if err != nil || rows == 0 {
		t.Fatalf("first sync: %d rows, %v", rows, err)
	}
	first := dump(t, f.db, obiDataTables...)
	// Every catalogued project's report is stored whole, with exact amounts.
	for _, p := range f.w.Projects {
		jobs, err := f.client.ProjectJobs(ctx, p.OBIID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, r := range first["obi_jobs"] {
			if strings.Contains(r, p.OBIID) {
				n++
			}
		}
		if n != len(jobs) || n == 0 {
			t.Errorf("%s: %d jobs stored, the report has %d", p.Key, n, len(jobs))
		}
		bal, rsv, _ := f.sim.ProjectBalance(p.OBIID)
		want := p.OBIID + p.VlabID + bal.StringFixed(2) + rsv.StringFixed(2)
		found := false
		for _, r := range first["obi_project_balances"] {
			found = found || r == want
		}
		if !found {
			t.Errorf("%s: balance row not %q in %v", p.Key, want, first["obi_project_balances"])
		}
	}
	snaps := len(dump(t, f.db, "obi_balance_snapshots")["obi_balance_snapshots"])
	if want := len(f.w.VirtualLabs) + len(f.w.Projects); snaps != want {
		t.Fatalf("%d snapshots after one sync, want %d", snaps, want)
	}

	f.advance(time.Minute)
	f.src.pages.Store(0)
	if _, err := f.sync(syncer.OBIOptions{PageSize: 100}); err != nil {
		t.Fatal(err)
	}
	second := dump(t, f.db, obiDataTables...)
	for _, tb := range obiDataTables {
		if strings.Join(first[tb], "\n") != strings.Join(second[tb], "\n") {
			t.Errorf("%s changed on a second sync with nothing new upstream", tb)
		}
	}
	if got := len(dump(t, f.db, "obi_balance_snapshots")["obi_balance_snapshots"]); got != 2*snaps {
		t.Errorf("%d snapshots after two syncs, want %d", got, 2*snaps)
	}
	// Incremental: the newest page (jobs inside the margin) and the next
	// (known jobs below it) per project, not the whole report again.
	if got := f.src.pages.Load(); got != 2*int64(len(f.w.Projects)) || got >= firstPages {
		t.Errorf("second sync read %d report pages (first: %d), want two per project (%d)", got, firstPages, 2*len(f.w.Projects))
	}
}

func TestSyncOBI_IncrementalPicksUpNewJobs_FullWalkAfterADay(t *testing.T) {
	f := newOBIFixture(t, 1, true)
	ctx := context.Background()
	if _, err := f.sync(syncer.OBIOptions{PageSize: 50}); err != nil {
		t.Fatal(err)
	}
	// Time passes: live jobs run and are charged.
	f.advance(6 * time.Hour)
	f.sim.RunChargers()
	if _, err := f.sync(syncer.OBIOptions{PageSize: 50}); err != nil {
		t.Fatal(err)
	}
	stored := dump(t, f.db, "obi_jobs")["obi_jobs"]
	total := 0
	for _, p := range f.w.Projects {
		jobs, err := f.client.ProjectJobs(ctx, p.OBIID)
		if err != nil {
			t.Fatal(err)
		}
		total += len(jobs)
	}
	if len(stored) != total {
		t.Fatalf("after an incremental sync %d jobs stored, the reports hold %d", len(stored), total)
	}
	// The spend rollup equals the jobs, exactly.
	spend := dump(t, f.db, "obi_spend_daily")["obi_spend_daily"]
	if len(spend) == 0 {
		t.Fatal("no daily spend")
	}
	// A day later the whole report is read again.
	f.advance(25 * time.Hour)
	f.src.pages.Store(0)
	if _, err := f.sync(syncer.OBIOptions{PageSize: 50}); err != nil {
		t.Fatal(err)
	}
	if got := f.src.pages.Load(); got <= int64(len(f.w.Projects)) {
		t.Errorf("the daily full walk read only %d pages", got)
	}
}

func TestSyncOBI_FailedRunKeepsTheLastGoodData(t *testing.T) {
	f := newOBIFixture(t, 1, false)
	if _, err := f.sync(syncer.OBIOptions{}); err != nil {
		t.Fatal(err)
	}
	before := dump(t, f.db, obiDataTables...)
	f.sim.Faults().Set(fault.Fault{Mode: fault.Outage})
	f.advance(time.Minute)
	_, err := f.sync(syncer.OBIOptions{})
	if portal.ErrorCode(err) != portal.EUNAVAILABLE || !strings.Contains(portal.ErrorMessage(err), "Cortex Lab") {
		t.Fatalf("sync during an outage: %v", err)
	}
	after := dump(t, f.db, obiDataTables...)
	for _, tb := range obiDataTables {
		if strings.Join(before[tb], "\n") != strings.Join(after[tb], "\n") {
			t.Errorf("%s changed by a failed sync", tb)
		}
	}
}

func TestSyncOBI_OnlyTheCatalogue_WrongProjectReported(t *testing.T) {
	f := newOBIFixture(t, 1, false)
	ctx := context.Background()
	c := demo.Catalog(f.w)
	// Keep the first lab's first project only, and misfile a project under the other lab.
	c.Projects = []portal.CatalogProject{c.Projects[0], c.Projects[1]}
	c.Projects[1].OBIVlabID = c.VirtualLabs[1].ID
	if err := f.db.ReplaceCatalog(ctx, c); err != nil {
		t.Fatal(err)
	}
	_, err := f.sync(syncer.OBIOptions{})
	if err == nil || !strings.Contains(portal.ErrorMessage(err), "brain-atlas") {
		t.Fatalf("a project filed under the wrong lab was not reported: %v", err)
	}
	d := dump(t, f.db, "obi_project_balances")["obi_project_balances"]
	if len(d) != 1 || !strings.HasPrefix(d[0], c.Projects[0].OBIID) {
		t.Fatalf("balances of uncatalogued projects stored: %v", d)
	}
}

// BenchmarkSyncOBI syncs a simulated service of 40 virtual labs and 100
// projects with 90 days of jobs each: the first (full) sync, then
// incremental ones.
func BenchmarkSyncOBI(b *testing.B) {
	b.Run("first", func(b *testing.B) {
		var rows int64
		var took time.Duration
		for b.Loop() {
			b.StopTimer()
			f := newOBIFixture(b, 20, false)
			b.StartTimer()
			start := time.Now()
			n, err := f.sync(syncer.OBIOptions{})
			took += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			rows = n
		}
		b.ReportMetric(float64(rows), "rows/sync")
		b.ReportMetric(float64(rows)*float64(b.N)/took.Seconds(), "rows/s")
	})
	b.Run("incremental", func(b *testing.B) {
		f := newOBIFixture(b, 20, false)
		if _, err := f.sync(syncer.OBIOptions{}); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			f.advance(time.Minute)
			if _, err := f.sync(syncer.OBIOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// An amount beyond the decimal bounds fails the sync of the lab it is in,
// with a sync error that names the lab, the field and what is wrong; the
// other labs are stored.
func TestSyncOBI_OutOfBoundsAmountFailsThatLab(t *testing.T) {
	f := newOBIFixture(t, 1, false)
	lab := demo.Catalog(f.w).VirtualLabs[0]
	balance := regexp.MustCompile(`"balance":"[^"]*"`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		f.sim.ServeHTTP(rec, r)
		body := rec.Body.String()
		if r.URL.Path == "/balance/virtual-lab/"+lab.ID {
			body = balance.ReplaceAllString(body, `"balance":"1E+200"`)
		}
		w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
		w.WriteHeader(rec.Code)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	client, err := obi.New(obi.Config{BaseURL: srv.URL, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	_, err = syncer.SyncOBI(context.Background(), client, f.db, syncer.OBIOptions{Now: f.clock})
	msg := portal.ErrorMessage(err)
	if err == nil || !strings.Contains(msg, "virtual lab "+lab.Name+": OBI: GET /balance/virtual-lab/"+lab.ID+": data.balance: \"1E+200\" is too large") {
		t.Fatalf("sync error %q", msg)
	}
	stored := strings.Join(dump(t, f.db, "obi_lab_balances")["obi_lab_balances"], "\n")
	if strings.Contains(stored, lab.ID) || !strings.Contains(stored, demo.Catalog(f.w).VirtualLabs[1].ID) {
		t.Fatalf("lab balances stored: %s", stored)
	}
}
