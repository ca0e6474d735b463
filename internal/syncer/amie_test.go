package syncer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/amie"
	"github.com/accounting-portal/portal/internal/portal"
	simamie "github.com/accounting-portal/portal/internal/sim/amie"
	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
	"github.com/accounting-portal/portal/internal/usage"
)

// amieFixture is a simulator with 10 days of history, its client (with
// Status calls counted) and a fresh cache, all on one clock.
type amieFixture struct {
	sim    *simamie.Server
	client *amie.Client
	calls  *amieCountingReader
	db     *cache.DB
	now    *time.Time
	opts   AMIEOptions
}

type amieCountingReader struct {
	AMIEReader
	status atomic.Int64
}

func (c *amieCountingReader) Status(ctx context.Context, from, to time.Time) ([]amie.ResourceStatus, error) {
	c.status.Add(1)
	return c.AMIEReader.Status(ctx, from, to)
}

func newAMIEFixture(tb testing.TB, scale float64, historyDays int) *amieFixture {
	tb.Helper()
	now := time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sim := simamie.New(simamie.Options{World: world.New(7, scale), Now: clock, HistoryDays: historyDays, ProcessDelay: -1})
	srv := httptest.NewServer(sim)
	tb.Cleanup(srv.Close)
	c, err := amie.New(amie.Config{BaseURL: srv.URL + simamie.BasePath, Site: sim.Site(), APIKey: sim.APIKey(), Timeout: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}
	db, err := cache.Open(context.Background(), filepath.Join(tb.TempDir(), "p.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	db.Now = clock
	return &amieFixture{sim: sim, client: c, calls: &amieCountingReader{AMIEReader: c}, db: db, now: &now,
		opts: AMIEOptions{WindowDays: historyDays, Now: clock}}
}

func (f *amieFixture) run(t testing.TB) int64 {
	t.Helper()
	n, err := AMIEJob(f.calls, f.db, time.Minute, f.opts).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *amieFixture) rows(t testing.TB) []usage.StatusDay {
	t.Helper()
	rows, _, err := f.db.ListUsageStatus(context.Background(), usage.StatusFilter{From: f.now.AddDate(0, 0, -30), To: f.now.AddDate(0, 0, 1), Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestAMIESync_FullWindowThenRecentDays_SameRowsTwice(t *testing.T) {
	f := newAMIEFixture(t, 1, 10)
	f.run(t)
	if got := f.calls.status.Load(); got != 11 {
		t.Fatalf("first run: %d status calls, want 11 (10 days and today)", got)
	}
	first := f.rows(t)
	if len(first) != 33 { // 3 resources × 11 days
		t.Fatalf("%d status rows", len(first))
	}
	// The cache's days equal the upstream's own answer for the window.
	st, err := f.client.Status(context.Background(), usage.DayStart(f.now.AddDate(0, 0, -10)), f.now.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := f.db.UsageStatusSummary(context.Background(), usage.StatusFilter{From: f.now.AddDate(0, 0, -10), To: f.now.AddDate(0, 0, 1)})
	var loaded, failed int64
	for _, r := range st {
		loaded += r.LoadedRecordCount
		failed += r.FailedJobCount
	}
	if sum.Loaded != loaded || sum.Failed != failed {
		t.Errorf("cache %d/%d, upstream %d/%d", sum.Loaded, sum.Failed, loaded, failed)
	}
	failedRecs, _, _ := f.db.ListFailed(context.Background(), usage.FailedFilter{Scope: portal.Scope{All: true}, Limit: 1000})
	if int64(len(failedRecs)) != failed || failed == 0 {
		t.Errorf("%d failed records cached, status says %d", len(failedRecs), failed)
	}

	// A second run re-reads the last 3 days and today only, and gives the
	// same rows (the clock stands still, so the upstream has not changed).
	f.calls.status.Store(0)
	f.run(t)
	if got := f.calls.status.Load(); got != 4 {
		t.Errorf("second run: %d status calls, want 4", got)
	}
	if again := f.rows(t); !reflect.DeepEqual(first, again) {
		t.Errorf("a second sync changed the rows")
	}
	// An hour later, still only the recent days; today has grown.
	*f.now = f.now.Add(time.Hour)
	f.calls.status.Store(0)
	f.run(t)
	if got := f.calls.status.Load(); got != 4 {
		t.Errorf("an hour later: %d status calls, want 4", got)
	}
	// A day later, the whole window again.
	*f.now = f.now.Add(24 * time.Hour)
	f.calls.status.Store(0)
	f.run(t)
	if got := f.calls.status.Load(); got != 11 {
		t.Errorf("a day later: %d status calls, want 11", got)
	}
}

func TestAMIESync_FailedRunKeepsData(t *testing.T) {
	f := newAMIEFixture(t, 1, 5)
	f.run(t)
	before := f.rows(t)
	failedBefore, _, _ := f.db.ListFailed(context.Background(), usage.FailedFilter{Scope: portal.Scope{All: true}, Limit: 1000})
	for _, path := range []string{"/api/v1/usage/status", "/api/v1/usage/failed"} {
		f.sim.Faults().Set(fault.Fault{Mode: fault.Outage, PathPrefix: path})
		if _, err := AMIEJob(f.calls, f.db, time.Minute, f.opts).Run(context.Background()); portal.ErrorCode(err) != portal.EUNAVAILABLE {
			t.Fatalf("%s down: %v", path, err)
		}
		f.sim.Faults().Clear()
		if after := f.rows(t); !reflect.DeepEqual(before, after) {
			t.Errorf("%s down: status rows changed", path)
		}
		failedAfter, _, _ := f.db.ListFailed(context.Background(), usage.FailedFilter{Scope: portal.Scope{All: true}, Limit: 1000})
		if len(failedAfter) != len(failedBefore) {
			t.Errorf("%s down: %d failed records, had %d", path, len(failedAfter), len(failedBefore))
		}
	}
}

func TestAMIESync_ClearedRecordsDisappearAndPastDaysMove(t *testing.T) {
	f := newAMIEFixture(t, 1, 5)
	f.run(t)
	ctx := context.Background()
	all := usage.FailedFilter{Scope: portal.Scope{All: true}, Limit: 1000}
	recs, _, _ := f.db.ListFailed(ctx, all)
	if len(recs) < 2 {
		t.Fatalf("only %d failed records", len(recs))
	}
	old := recs[0] // a failure of a past day
	sumBefore, _ := f.db.UsageStatusSummary(ctx, usage.StatusFilter{From: f.now.AddDate(0, 0, -5), To: f.now.AddDate(0, 0, 1)})
	if _, err := f.client.ClearFailed(ctx, []int64{old.FailedID}); err != nil {
		t.Fatal(err)
	}
	// What the clear's settle does: ask for a full re-read.
	id, err := f.db.CreateUsageClear(ctx, []int64{old.FailedID}, "admin", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	items, _ := f.db.OutboxByRef(ctx, "usage_clear:"+strconv.FormatInt(id, 10))
	*f.now = f.now.Add(time.Minute)
	f.db.SetSettlers(map[string]cache.Settler{portal.KindAMIEClear: f.db.SettleUsageClear}) // as the outbox table does
	if _, err := f.db.SettleOutbox(ctx, items[0].ID, []string{portal.OutboxQueued}, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: `{"cleared":1}`}); err != nil {
		t.Fatal(err)
	}
	*f.now = f.now.Add(time.Minute)
	f.calls.status.Store(0)
	f.run(t)
	if f.calls.status.Load() != 6 {
		t.Errorf("after a clear: %d status calls, want the whole window (6)", f.calls.status.Load())
	}
	after, _, _ := f.db.ListFailed(ctx, all)
	if len(after) != len(recs)-1 {
		t.Errorf("%d failed records after clearing one of %d", len(after), len(recs))
	}
	sumAfter, _ := f.db.UsageStatusSummary(ctx, usage.StatusFilter{From: f.now.AddDate(0, 0, -5), To: f.now.AddDate(0, 0, 1)})
	if sumAfter.Failed != sumBefore.Failed-1 {
		t.Errorf("failed count %d → %d", sumBefore.Failed, sumAfter.Failed)
	}
}

// BenchmarkAMIESync_First is a first sync into an empty cache at scale
// 100 (300 resources, 90 days of history: about 2.4 million records, 1%
// failed): 91 status calls, about 27,000 status rows and 24,000 failed
// records written.
func BenchmarkAMIESync_First(b *testing.B) {
	f := newAMIEFixture(b, 100, 90)
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		b.StopTimer()
		db, err := cache.Open(context.Background(), filepath.Join(b.TempDir(), "first.db"))
		if err != nil {
			b.Fatal(err)
		}
		db.Now = f.db.Now
		f.db = db
		b.StartTimer()
		rows = f.run(b)
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows), "rows/run")
}

// BenchmarkAMIESync_Full is the daily re-read of the whole window at scale
// 100 when little has changed: 91 status calls and the failed list, with
// only changed rows written.
func BenchmarkAMIESync_Full(b *testing.B) {
	f := newAMIEFixture(b, 100, 90)
	f.run(b)
	f.opts.FullEvery = time.Nanosecond // every run reads the whole window
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		*f.now = f.now.Add(time.Minute)
		rows = f.run(b)
	}
	b.ReportMetric(float64(rows), "rows/run")
}

// BenchmarkAMIESync_Recent is a later run at scale 100: the last 3 days,
// today and the whole failed list.
func BenchmarkAMIESync_Recent(b *testing.B) {
	f := newAMIEFixture(b, 100, 90)
	f.run(b)
	b.ReportAllocs()
	var rows int64
	for b.Loop() {
		*f.now = f.now.Add(time.Minute)
		rows = f.run(b)
	}
	b.ReportMetric(float64(rows), "rows/run")
}

// TestAMIEFailedRows_LetsGoOfWhatTheUpstreamSent: each upstream record is
// emptied once its row is made, so the sync never holds both whole lists
// (at scale 100 they are tens of megabytes each).
func TestAMIEFailedRows_LetsGoOfWhatTheUpstreamSent(t *testing.T) {
	failed := []amie.FailedRecord{
		{FailedRecordID: 7, Error: "Unknown user", UsageType: "Compute", Raw: []byte(`{"FailedRecordID": 7, "Resource": "r1"}`),
			Compute: &amie.ComputeRecord{Resource: "r1", LocalProjectID: "p1", LocalRecordID: "j1", Username: "u"}},
		{FailedRecordID: 8, Error: "Bad", UsageType: "Storage", Raw: []byte(`{"FailedRecordID":8}`)},
	}
	rows := amieFailedRows(failed)
	if len(rows) != 2 || rows[0].FailedID != 7 || rows[0].Resource != "r1" || rows[0].LocalRecordID != "j1" ||
		rows[0].Raw != `{"FailedRecordID":7,"Resource":"r1"}` || rows[1].FailedID != 8 || rows[1].Error != "Bad" {
		t.Fatalf("rows %+v", rows)
	}
	for i, f := range failed {
		if f.Compute != nil || f.Raw != nil || f.Error != "" {
			t.Errorf("upstream record %d is still held after its row was made: %+v", i, f)
		}
	}
}

// A failed list that turns out malformed part way, after batches of new
// records were handed over, is refused with where the problem is, and
// the cached list stays exactly as it was: nothing of the answer is kept,
// nothing is removed.
func TestAMIESync_MalformedFailedListPartWayKeepsTheCachedList(t *testing.T) {
	f := newAMIEFixture(t, 1, 5)
	f.run(t)
	ctx := context.Background()
	all := usage.FailedFilter{Scope: portal.Scope{All: true}, Sort: "id", Limit: 100000}
	before, _, _ := f.db.ListFailed(ctx, all)
	if len(before) == 0 {
		t.Fatal("no failed records to keep")
	}
	// The simulator's answer, with 1,200 new records and a broken one in
	// front of its own: the client hands over two batches of 500 before
	// it meets the problem.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != simamie.BasePath+"/usage/failed" {
			f.sim.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		f.sim.ServeHTTP(rec, r)
		var extra strings.Builder
		for i := range 1200 {
			fmt.Fprintf(&extra, `{"UsageType": "Compute", "Error": "Unknown user", "FailedRecordID": %d, "Resource": "r", "Attributes": {}}, `, 900000+i)
		}
		extra.WriteString(`{"UsageType": "Compute", "FailedRecordID": "not a number", "Attributes": {}}, `)
		body := strings.Replace(rec.Body.String(), "[", "["+extra.String(), 1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	t.Cleanup(proxy.Close)
	c, err := amie.New(amie.Config{BaseURL: proxy.URL + simamie.BasePath, Site: f.sim.Site(), APIKey: f.sim.APIKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	*f.now = f.now.Add(time.Minute)
	_, err = AMIEJob(c, f.db, time.Minute, f.opts).Run(ctx)
	if portal.ErrorCode(err) != portal.EUNAVAILABLE || !strings.Contains(err.Error(), `GET usage/failed: ValidationFailedRecords[1200].FailedRecordID: not an integer: "not a number"`) {
		t.Fatalf("malformed list: %v", err)
	}
	after, _, _ := f.db.ListFailed(ctx, all)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("the cached list changed: %d records before, %d after", len(before), len(after))
	}
	// The next good read is stored whole, like the first.
	f.run(t)
	if again, _, _ := f.db.ListFailed(ctx, all); !reflect.DeepEqual(before, again) {
		t.Errorf("a good read after the malformed one: %d records, want %d", len(again), len(before))
	}
}

// The sync, which stores the failed list batch by batch as it arrives,
// caches exactly what storing the whole list at once does.
func TestAMIESync_StreamedListStoresWhatTheWholeListDoes(t *testing.T) {
	f := newAMIEFixture(t, 20, 15)
	f.run(t)
	ctx := context.Background()
	whole, err := f.client.FailedRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) <= amie.FailedBatch {
		t.Fatalf("only %d failed records: the list comes in one batch", len(whole))
	}
	db, err := cache.Open(ctx, filepath.Join(t.TempDir(), "whole.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Now = f.db.Now
	if _, err := db.ReplaceAMIEFailed(ctx, amieFailedRows(whole)); err != nil {
		t.Fatal(err)
	}
	all := usage.FailedFilter{Scope: portal.Scope{All: true}, Sort: "id", Limit: 100000}
	streamed, _, _ := f.db.ListFailed(ctx, all)
	held, _, _ := db.ListFailed(ctx, all)
	if len(streamed) != len(whole) || !reflect.DeepEqual(streamed, held) {
		t.Errorf("streamed %d records, held whole %d, upstream %d; equal: %v", len(streamed), len(held), len(whole), reflect.DeepEqual(streamed, held))
	}
}
