package syncer

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/simtls"
	simvergeos "github.com/accounting-portal/portal/internal/sim/vergeos"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// clock is a settable clock for the simulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// startVergeOS serves a VergeOS simulator over HTTPS and returns it with a
// client that trusts its CA.
func startVergeOS(tb testing.TB, scale float64, now func() time.Time, cfg vergeos.Config) (*simvergeos.Server, *vergeos.Client) {
	tb.Helper()
	sim := simvergeos.New(simvergeos.Options{World: world.New(3, scale), Now: now})
	ca, err := simtls.New()
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = ca.ServerConfig()
	srv.StartTLS()
	tb.Cleanup(srv.Close)
	cfg.BaseURL, cfg.APIKey = srv.URL, sim.APIKey()
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	c, err := vergeos.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return sim, c
}

// dump returns every cached record, except when it was synced, in key order.
func dump(t testing.TB, db *cache.DB) []string {
	t.Helper()
	var out []string
	err := db.EachBillingRecord(context.Background(), billing.RecordFilter{From: time.Unix(0, 0), To: time.Unix(1<<40, 0), Sort: "created"}, func(r *billing.Record) error {
		c := *r
		c.SyncedAt = 0
		out = append(out, fmt.Sprintf("%+v", c))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSyncVergeOS_TwiceGivesTheSameRows(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 9, 15, 30, 0, 0, time.UTC)}
	sim, client := startVergeOS(t, 1, clk.Now, vergeos.Config{PageSize: 250})
	db := openDB(t)
	ctx := context.Background()
	n, err := SyncVergeOS(ctx, client, db)
	if err != nil || n != sim.RecordCount() {
		t.Fatalf("first run wrote %d of %d records: %v", n, sim.RecordCount(), err)
	}
	first := dump(t, db)
	if int64(len(first)) != sim.RecordCount() {
		t.Fatalf("%d rows cached, the simulator has %d", len(first), sim.RecordCount())
	}
	n, err = SyncVergeOS(ctx, client, db)
	if err != nil || n != 0 {
		t.Fatalf("second run wrote %d rows: %v", n, err)
	}
	if second := dump(t, db); strings.Join(second, "\n") != strings.Join(first, "\n") {
		t.Fatal("the second run changed the rows")
	}
	// Raw units are kept: the simulator's first record as the client reads it.
	want, err := client.Get(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.BillingRecordByKey(ctx, "1")
	if err != nil || got.UsedRAM != want.UsedRAM || got.Tiers[2].Total != want.Tiers[2].Total || got.PhysRAMUsed != want.PhysRAMUsed || got.From != want.From {
		t.Fatalf("record 1: %+v, VergeOS says %+v", got, want)
	}
}

func TestSyncVergeOS_FailureKeepsDataAndTheNextRunContinues(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 9, 15, 30, 0, 0, time.UTC)}
	sim, client := startVergeOS(t, 1, clk.Now, vergeos.Config{PageSize: 100})
	db := openDB(t)
	ctx := context.Background()
	// The third page of the first run is garbage: the run fails with the
	// two pages before it stored.
	sim.Faults().Set(fault.Fault{Mode: fault.Garbage, PathPrefix: "/api/v4/billing", Every: 3, Count: 1})
	n, err := SyncVergeOS(ctx, client, db)
	if err == nil || n != 200 {
		t.Fatalf("a run with a bad page: %d rows, %v", n, err)
	}
	if rows := dump(t, db); len(rows) != 200 {
		t.Fatalf("%d rows kept after the failure, want the 200 stored", len(rows))
	}
	n, err = SyncVergeOS(ctx, client, db)
	if err != nil || int64(len(dump(t, db))) != sim.RecordCount() || n != sim.RecordCount()-200 {
		t.Fatalf("the next run: %v; wrote %d, %d rows of %d", err, n, len(dump(t, db)), sim.RecordCount())
	}
	complete := dump(t, db)
	// VergeOS down: the run fails and nothing is lost.
	sim.Faults().Set(fault.Fault{Mode: fault.Outage})
	if _, err := SyncVergeOS(ctx, client, db); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("outage: %v", err)
	}
	if after := dump(t, db); strings.Join(after, "\n") != strings.Join(complete, "\n") {
		t.Fatal("a failed run changed the cached rows")
	}
}

func TestSyncVergeOS_IncrementalPicksUpNewAndGeneratedRecords(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 9, 15, 30, 0, 0, time.UTC)}
	sim, client := startVergeOS(t, 0.2, clk.Now, vergeos.Config{})
	db := openDB(t)
	ctx := context.Background()
	if _, err := SyncVergeOS(ctx, client, db); err != nil {
		t.Fatal(err)
	}
	before := sim.RecordCount()
	clk.Add(3 * time.Hour) // three hourly records are written
	key := sim.Generate()  // and one on request
	n, err := SyncVergeOS(ctx, client, db)
	if err != nil || n != 4 || sim.RecordCount() != before+4 {
		t.Fatalf("incremental run wrote %d (simulator grew by %d): %v", n, sim.RecordCount()-before, err)
	}
	if rows := dump(t, db); int64(len(rows)) != sim.RecordCount() {
		t.Fatalf("%d rows cached, the simulator has %d", len(rows), sim.RecordCount())
	}
	gen, err := db.BillingRecordByKey(ctx, fmt.Sprint(key))
	if err != nil || gen.Created != clk.Now().Unix() || !strings.Contains(gen.Description, "generated") {
		t.Fatalf("generated record %d: %+v %v", key, gen, err)
	}
}

// fakeSource records the queries of a sync and answers with pages.
type fakeSource struct {
	queries []vergeos.Query
	pages   [][]vergeos.BillingRecord
	err     error
}

func (f *fakeSource) Each(ctx context.Context, q vergeos.Query, fn func([]vergeos.BillingRecord) error) error {
	f.queries = append(f.queries, q)
	for _, p := range f.pages {
		if err := fn(p); err != nil {
			return err
		}
	}
	return f.err
}

// Two records can share a created second, and VergeOS may have written
// only the first when the last run read: the next run must ask for that
// second again ("ge", not "gt"), and it re-reads a refresh window for
// records whose `sent` was set later.
func TestSyncVergeOS_AsksFromTheHighWaterMarkInclusive(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	a := vergeos.BillingRecord{Key: "1", Created: 1_700_003_600, From: 1_700_000_000, To: 1_700_003_600}
	src := &fakeSource{pages: [][]vergeos.BillingRecord{{a}}}
	if _, err := SyncVergeOS(ctx, src, db); err != nil {
		t.Fatal(err)
	}
	if q := src.queries[0]; q.Filter != "" || q.Sort != "+created" {
		t.Fatalf("first run asked %+v, want the whole history oldest first", q)
	}
	b := a
	b.Key = "2" // written in the same second, after the first run read
	a.Sent = a.Created + 30
	src.pages = [][]vergeos.BillingRecord{{a, b}}
	n, err := SyncVergeOS(ctx, src, db)
	if err != nil || n != 2 {
		t.Fatalf("second run wrote %d: %v", n, err)
	}
	want := fmt.Sprintf("created ge %d", a.Created-int64(VergeOSRefresh/time.Second))
	if q := src.queries[1]; q.Filter != want || q.Sort != "+created" {
		t.Fatalf("second run asked %+v, want %q", q, want)
	}
	if r, _ := db.BillingRecordByKey(ctx, "1"); r.Sent != a.Sent {
		t.Fatal("a record reported later was not refreshed")
	}
}

func TestVergeOSJob(t *testing.T) {
	j := VergeOSJob(&fakeSource{}, openDB(t), 7*time.Minute)
	if j.Upstream != portal.UpstreamVergeOS || j.Interval != 7*time.Minute || j.Run == nil {
		t.Fatalf("%+v", j)
	}
}

// BenchmarkSyncVergeOS_FirstRunScale10 measures the first sync of about two
// years of hourly records (scale 10) from the simulator over HTTPS into a
// fresh database, in the pages of 1000 the portal asks for.
func BenchmarkSyncVergeOS_FirstRunScale10(b *testing.B) {
	now := time.Date(2026, 3, 9, 15, 30, 0, 0, time.UTC)
	sim, client := startVergeOS(b, 10, func() time.Time { return now }, vergeos.Config{PageSize: vergeos.MaxPageSize})
	ctx := context.Background()
	var rows int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, err := cache.Open(ctx, fmt.Sprintf("%s/b%d.db", b.TempDir(), i))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		n, err := SyncVergeOS(ctx, client, db)
		if err != nil || n != sim.RecordCount() {
			b.Fatalf("%d rows: %v", n, err)
		}
		rows += n
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(sim.RecordCount()), "rows/run")
}
