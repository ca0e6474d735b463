package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

// Benchmarks of the metrics pages on a cache of over a million metrics:
//
//	go test -run x -bench Metrics -benchtime 10x ./internal/handlers
//
// The database is built once (about a minute) and kept in the temporary
// directory for later runs.

const (
	benchProjects      = 50
	benchProviders     = 5
	benchInstallations = 700 // 4 daily series each for a year: 1,022,000 metrics
	benchDays          = 365
)

var benchEnd = time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)

// benchDB opens (building it the first time) the benchmark database.
func benchDB(b *testing.B) *cache.DB {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("portal-argo-bench-%d-%d-v2.db", benchInstallations, benchDays))
	_, statErr := os.Stat(path)
	db, err := cache.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if statErr == nil {
		return db
	}
	start := time.Now()
	if err := seedBench(ctx, db); err != nil {
		db.Close()
		os.Remove(path)
		b.Fatal(err)
	}
	b.Logf("built %s in %v", path, time.Since(start))
	return db
}

func seedBench(ctx context.Context, db *cache.DB) error {
	var cat portal.Catalog
	var e metrics.Entities
	for p := range benchProjects {
		id := fmt.Sprintf("P%03d", p)
		cat.Projects = append(cat.Projects, portal.CatalogProject{Key: fmt.Sprintf("p%03d", p), Name: fmt.Sprintf("Project %03d", p), ArgoID: id})
		e.Projects = append(e.Projects, metrics.Project{ID: id, Acronym: id})
	}
	for v := range benchProviders {
		e.Providers = append(e.Providers, metrics.Provider{ID: fmt.Sprintf("prov-%d", v), Name: fmt.Sprintf("Provider %d", v)})
	}
	types := []string{"aggregated", "averaged", "count", "summarised"}
	for d := range 10 {
		e.Definitions = append(e.Definitions, metrics.Definition{ID: fmt.Sprintf("def-%d", d), Name: fmt.Sprintf("metric_%d", d),
			UnitType: "unit", MetricType: types[d%len(types)]})
	}
	for i := range benchInstallations {
		e.Installations = append(e.Installations, metrics.Installation{ID: fmt.Sprintf("inst-%04d", i),
			ProjectID: fmt.Sprintf("P%03d", i%benchProjects), ProviderID: fmt.Sprintf("prov-%d", i%benchProviders), Name: fmt.Sprintf("installation-%04d", i)})
	}
	if err := db.ReplaceCatalog(ctx, &cat); err != nil {
		return err
	}
	st, err := db.BeginArgoSync(ctx)
	if err != nil {
		return err
	}
	if _, err := db.UpsertArgoEntities(ctx, st.Generation, e); err != nil {
		return err
	}
	var batch []metrics.Metric
	for i := range benchInstallations {
		for day := range benchDays {
			s := benchEnd.AddDate(0, 0, day-benchDays)
			for k := range 4 {
				batch = append(batch, metrics.Metric{ID: fmt.Sprintf("m-%04d-%03d-%d", i, day, k), InstallationID: fmt.Sprintf("inst-%04d", i),
					DefinitionID: fmt.Sprintf("def-%d", (i+k)%10), Start: s, End: s.AddDate(0, 0, 1), Value: float64((i*31+day*7+k)%1000) + 0.25})
			}
		}
		if len(batch) >= 20000 || i == benchInstallations-1 {
			if _, err := db.UpsertArgoMetrics(ctx, st.Generation, nil, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	_, err = db.FinishArgoSync(ctx, metrics.Sweep{Generation: st.Generation, Full: true, At: benchEnd})
	return err
}

var (
	benchAdmin   = &portal.User{Subject: "a", Admin: true}
	benchManager = &portal.User{Subject: "m", Manages: []string{"p001", "p002"}, Member: []string{"p001", "p002"}}
)

// BenchmarkMetricsOverviewQuery is the overview's main query: one page of
// weekly totals over 90 days (from the rollups) and of daily totals over
// 30 days (from the metrics), for an admin (every project) and for a
// manager of two projects.
func BenchmarkMetricsOverviewQuery(b *testing.B) {
	db := benchDB(b)
	for _, g := range []struct {
		granularity string
		days        int
	}{{metrics.Weekly, 90}, {metrics.Daily, 30}} {
		for _, u := range []*portal.User{benchAdmin, benchManager} {
			b.Run(fmt.Sprintf("%s-%dd/admin=%v", g.granularity, g.days, u.Admin), func(b *testing.B) {
				q := metrics.TotalsQuery{Filter: metrics.Filter{Scope: u.Scope(),
					From: metrics.PeriodStart(benchEnd.AddDate(0, 0, -g.days), g.granularity), To: benchEnd},
					Granularity: g.granularity, Sort: "period", Desc: true, Limit: 50}
				var total int64
				for b.Loop() {
					var err error
					if _, total, err = db.MetricTotals(context.Background(), q); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(total), "totals")
			})
		}
	}
}

func metricsBenchHandler(db *cache.DB) *Handler {
	return &Handler{Deps: Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Store: db, Metrics: db,
		Now: func() time.Time { return benchEnd }}}
}

func serveBench(b *testing.B, h *Handler, u *portal.User, target string, fn echo.HandlerFunc) int64 {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req = req.WithContext(portal.NewContextWithUser(req.Context(), u))
	w := &discard{h: http.Header{}}
	if err := fn(echo.New().NewContext(req, w)); err != nil {
		b.Fatal(err)
	}
	return w.n
}

// BenchmarkMetricsOverviewPage renders the whole overview page (totals,
// filter options, chart) for an admin.
func BenchmarkMetricsOverviewPage(b *testing.B) {
	h := metricsBenchHandler(benchDB(b))
	for b.Loop() {
		serveBench(b, h, benchAdmin, "/metrics?range=90d", h.handleMetrics)
	}
}

// BenchmarkMetricsCSV streams CSV downloads for an admin: a year of daily
// totals (every project, provider and definition) and one installation's
// raw metrics. Memory per download stays flat however many rows.
func BenchmarkMetricsCSV(b *testing.B) {
	h := metricsBenchHandler(benchDB(b))
	for _, tc := range []struct{ name, target string }{
		{"totals-daily-1y", "/metrics.csv?range=1y&granularity=day"},
		{"totals-monthly-1y", "/metrics.csv?range=1y&granularity=month"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var n int64
			for b.Loop() {
				n = serveBench(b, h, benchAdmin, tc.target, h.handleMetrics)
			}
			b.ReportMetric(float64(n), "bytes/download")
		})
	}
	b.Run("installation-metrics-1y", func(b *testing.B) {
		var n int64
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/metrics/installations/inst-0001.csv?range=1y", nil)
			req = req.WithContext(portal.NewContextWithUser(req.Context(), benchAdmin))
			w := &discard{h: http.Header{}}
			c := echo.New().NewContext(req, w)
			c.SetParamNames("id")
			c.SetParamValues("inst-0001.csv")
			if err := h.handleMetricInstallation(c); err != nil {
				b.Fatal(err)
			}
			n = w.n
		}
		b.ReportMetric(float64(n), "bytes/download")
	})
}
