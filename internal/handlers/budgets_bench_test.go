package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// Benchmarks of the budgets pages at a large scale, through the handlers
// (the SQL, the exact sums, the forecast and the rendering or the CSV).

var benchSnapDays = 2

var budgetBenchNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func benchID(kind string, i int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012d", len(kind), i)
}

// bigBudgets fills a cache with labs×perLab projects, days of daily spend
// per project, snapshots per account every 5 minutes for snapDays, and
// jobs in the first project.
func bigBudgets(b *testing.B, labs, perLab, days, snapDays, jobs int) *cache.DB {
	b.Helper()
	ctx := context.Background()
	db, err := cache.Open(ctx, filepath.Join(b.TempDir(), "portal.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.Now = func() time.Time { return budgetBenchNow }
	c := &portal.Catalog{}
	for l := range labs {
		c.VirtualLabs = append(c.VirtualLabs, portal.VirtualLab{ID: benchID("lab", l), Name: fmt.Sprintf("Lab %03d", l)})
		for p := range perLab {
			n := l*perLab + p
			c.Projects = append(c.Projects, portal.CatalogProject{Key: fmt.Sprintf("project-%05d", n), Name: fmt.Sprintf("Project %05d", n),
				OBIID: benchID("project", n), OBIVlabID: benchID("lab", l)})
		}
	}
	if err := db.ReplaceCatalog(ctx, c); err != nil {
		b.Fatal(err)
	}
	// Snapshots: one reading of everything every 5 minutes.
	for s := range snapDays * 288 {
		at := budgetBenchNow.Add(-time.Duration(snapDays*288-s) * 5 * time.Minute)
		var readings []budgets.LabReading
		for l := range labs {
			r := budgets.LabReading{VlabID: benchID("lab", l), Balance: decimal.New(int64(100000+s), -2)}
			for p := range perLab {
				r.Projects = append(r.Projects, budgets.ProjectReading{ProjID: benchID("project", l*perLab+p),
					Balance: decimal.New(int64(500000-s*10-p), -2), Reservation: decimal.New(int64(p), -2)})
			}
			readings = append(readings, r)
		}
		if _, err := db.SaveOBIBalances(ctx, at, readings); err != nil {
			b.Fatal(err)
		}
	}
	// Daily spend: one job per type per day per project.
	batch := make([]budgets.Job, 0, 1000)
	flush := func() {
		if _, err := db.SaveOBIJobs(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	k := 0
	for n := range labs * perLab {
		for d := range days {
			for t, typ := range []string{"oneshot", "longrun", "storage"} {
				at := budgetBenchNow.AddDate(0, 0, -d-1).Add(time.Duration(t+1) * time.Hour)
				batch = append(batch, benchJob(k, n, typ, at))
				k++
				if len(batch) == cap(batch) {
					flush()
				}
			}
		}
	}
	for j := range jobs {
		batch = append(batch, benchJob(k, 0, "oneshot", budgetBenchNow.Add(-time.Duration(j)*time.Minute)))
		k++
		if len(batch) == cap(batch) {
			flush()
		}
	}
	flush()
	return db
}

func benchJob(k, proj int, typ string, at time.Time) budgets.Job {
	return budgets.Job{ID: benchID("job", k), ProjID: benchID("project", proj), VlabID: benchID("lab", 0), Type: typ, Subtype: "ml-llm",
		Status: budgets.JobFinished, Name: fmt.Sprintf("run-%d", k), UserID: benchID("user", k%7), ReservedAt: at.Add(-time.Minute),
		StartedAt: at, FinishedAt: at, Amount: decimal.New(int64(k%997+1), -5), ReservedAmount: decimal.New(1, 0), HasReservation: true, Count: int64(k)}
}

func benchHandler(db *cache.DB) *Handler {
	return &Handler{Deps: Deps{Logger: slog.New(slog.DiscardHandler), Store: db, Budgets: db, Now: func() time.Time { return budgetBenchNow },
		Sources: []Source{{Upstream: portal.UpstreamOBI, Configured: true}}}}
}

func serveBudget(b *testing.B, fn echo.HandlerFunc, u *portal.User, target string, params ...string) int64 {
	e := echo.New()
	req := httptest.NewRequest("GET", target, nil)
	req = req.WithContext(portal.NewContextWithUser(req.Context(), u))
	w := &discard{h: http.Header{}}
	c := e.NewContext(req, w)
	if len(params) == 2 {
		c.SetParamNames(params[0])
		c.SetParamValues(params[1])
	}
	if err := fn(c); err != nil {
		b.Fatal(err)
	}
	return w.n
}

// BenchmarkBudgetsOverview renders /budgets for an admin over 100 labs of
// 10 projects, with 90 days of spend (270,000 jobs) and 2 days of
// snapshots every 5 minutes (633,600 snapshot rows).
func BenchmarkBudgetsOverview(b *testing.B) {
	db := bigBudgets(b, 100, 10, 90, benchSnapDays, 0)
	h := benchHandler(db)
	for _, who := range []struct {
		name string
		u    *portal.User
	}{{"admin", &portal.User{Subject: "a", Admin: true}}, {"member-of-2", &portal.User{Subject: "m", Member: []string{"project-00000", "project-00001"}}}} {
		b.Run(who.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				serveBudget(b, h.handleBudgets, who.u, "/budgets?sort=-burn")
			}
		})
	}
	b.Run("project-page-1y", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serveBudget(b, h.handleBudgetProject, &portal.User{Subject: "a", Admin: true}, "/budgets/projects/project-00000?range=1y", "key", "project-00000")
		}
	})
}

// BenchmarkBudgetJobsCSV streams the jobs CSV of a project with 100,000 jobs.
func BenchmarkBudgetJobsCSV(b *testing.B) {
	const jobs = 100_000
	db := bigBudgets(b, 1, 1, 0, 0, jobs)
	h := benchHandler(db)
	u := &portal.User{Subject: "a", Admin: true}
	b.ReportAllocs()
	var bytes int64
	start := time.Now()
	for b.Loop() {
		bytes = serveBudget(b, h.handleBudgetJobsCSV, u, "/budgets/projects/project-00000/jobs.csv?range=1y", "key", "project-00000")
	}
	b.ReportMetric(float64(jobs)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
	b.ReportMetric(float64(bytes), "bytes/csv")
}

// BenchmarkBudgetProject_ExtremeRange renders a project page for the
// widest range the date fields allow (from=0001-01-01&to=9999-12-31),
// with ten years of daily spend before the first balance snapshot: the
// range is clamped to 20 years, the reconstructed balance walks only the
// days with data, and the chart draws at most MaxChartPoints points.
func BenchmarkBudgetProject_ExtremeRange(b *testing.B) {
	db := bigBudgets(b, 1, 1, 3650, 1, 0)
	h := benchHandler(db)
	u := &portal.User{Subject: "a", Admin: true}
	b.ReportAllocs()
	var bytes int64
	for b.Loop() {
		bytes = serveBudget(b, h.handleBudgetProject, u, "/budgets/projects/project-00000?from=0001-01-01&to=9999-12-31", "key", "project-00000")
	}
	b.ReportMetric(float64(bytes), "bytes/page")
}
