package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/portal"
)

// benchNow is the end of the benchmarks' history.
var benchNow = time.Date(2026, 3, 9, 15, 0, 0, 0, time.UTC)

// billingBenchDB caches years of hourly billing records ending at benchNow.
func billingBenchDB(b *testing.B, years int) *cache.DB {
	b.Helper()
	ctx := context.Background()
	db, err := cache.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	n := years * 365 * 24
	start := benchNow.Add(-time.Duration(n) * time.Hour).Unix()
	batch := make([]billing.Record, 0, 5000)
	for i := 0; i < n; i++ {
		from := start + int64(i)*3600
		r := billing.Record{Key: strconv.Itoa(i + 1), From: from, To: from + 3600, Created: from + 3605, Sent: from + 3606,
			Description: "Hourly billing report", UsedCores: int64(40 + i*7%200), TotalCores: 256, OnlineCores: 256, TotalNodes: 4, OnlineNodes: 4,
			RunningMachines: 30, UsedRAM: int64(900000 + i*13%800000), TotalRAM: 2097152, OnlineRAM: 2097152, PhysRAMUsed: 1 << 40,
			GPUs: int64(i % 5), GPUsTotal: 4, VGPUs: int64(i % 17), VGPUsTotal: 16, WorkloadDatapoints: 1440, StorageDatapoints: 240}
		if i%40 == 0 {
			r.Sent = 0
		}
		for t := 0; t < 4; t++ {
			r.Tiers[t] = billing.Tier{Used: int64(t+1)<<42 + int64(i)<<20, Total: int64(t+1) << 44}
		}
		batch = append(batch, r)
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := db.UpsertBillingRecords(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return db
}

func billingBenchHandler(db *cache.DB) (*Handler, *echo.Echo) {
	h := &Handler{Deps: Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Store: db, Billing: db,
		Now: func() time.Time { return benchNow }, Sources: []Source{{Upstream: portal.UpstreamVergeOS, Configured: true}}}}
	return h, echo.New()
}

func serve(b *testing.B, e *echo.Echo, fn echo.HandlerFunc, target string) int64 {
	w := &discard{h: http.Header{}}
	c := e.NewContext(httptest.NewRequest("GET", target, nil), w)
	if err := fn(c); err != nil {
		b.Fatal(err)
	}
	return w.n
}

// BenchmarkBillingPage_Year renders /billing for the last year of a
// six-year history: summary, weekly chart buckets, reconciliation and the
// first page of records, all aggregated in SQLite.
func BenchmarkBillingPage_Year(b *testing.B) {
	h, e := billingBenchHandler(billingBenchDB(b, 6))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if serve(b, e, h.handleBilling, "/billing?range=1y") < 10000 {
			b.Fatal("a short page")
		}
	}
}

// BenchmarkBillingRecordsCSV_SixYears streams every record of six years
// (52 560 rows, 46 columns) as CSV.
func BenchmarkBillingRecordsCSV_SixYears(b *testing.B) {
	h, e := billingBenchHandler(billingBenchDB(b, 6))
	from := benchNow.AddDate(-7, 0, 0).Format("2006-01-02")
	target := "/billing/records.csv?from=" + from + "&to=" + benchNow.Format("2006-01-02")
	b.ReportAllocs()
	b.ResetTimer()
	var bytes int64
	for i := 0; i < b.N; i++ {
		bytes = serve(b, e, h.handleBillingRecordsCSV, target)
	}
	b.ReportMetric(float64(6*365*24*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(bytes)/(1<<20), "MiB/op")
}

// BenchmarkBillingPage_ExtremeRange renders /billing for the widest range
// the date fields allow over a six-year history: the range is clamped to
// 20 years and every figure is aggregated in SQLite.
func BenchmarkBillingPage_ExtremeRange(b *testing.B) {
	h, e := billingBenchHandler(billingBenchDB(b, 6))
	b.ReportAllocs()
	var bytes int64
	for b.Loop() {
		bytes = serve(b, e, h.handleBilling, "/billing?from=0001-01-01&to=9999-12-31")
	}
	b.ReportMetric(float64(bytes), "bytes/page")
}
