package cache

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

// argoDay0 is the first day of the seeded metrics: a Monday.
var argoDay0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// seedArgo caches a small ARGO world: projects A and B (portal keys a, b),
// providers p1 and p2, definitions cpu (aggregated, CPU Time) and
// users (count, #), installations iA1 (A, p1), iA2 (A, p2), iB1 (B, p1),
// each with daily cpu and users metrics for days days; values are
// cpu = 10 + day, users = 5 (iA1), 7 (iA2), 100 (iB1).
func seedArgo(tb testing.TB, db *DB, days int) {
	tb.Helper()
	ctx := context.Background()
	if err := db.ReplaceCatalog(ctx, &portal.Catalog{Projects: []portal.CatalogProject{
		{Key: "a", Name: "Alpha", ArgoID: "A"}, {Key: "b", Name: "Beta", ArgoID: "B"},
	}}); err != nil {
		tb.Fatal(err)
	}
	st, err := db.BeginArgoSync(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	e := metrics.Entities{
		Projects:  []metrics.Project{{ID: "A", Acronym: "ALPHA", Title: "Alpha project"}, {ID: "B", Acronym: "BETA"}},
		Providers: []metrics.Provider{{ID: "p1", Name: "Provider One"}, {ID: "p2", Name: "Provider Two"}},
		Definitions: []metrics.Definition{{ID: "cpu", Name: "cpu_hours", UnitType: "CPU Time", MetricType: "aggregated"},
			{ID: "users", Name: "active_users", UnitType: "#", MetricType: "count"}},
		Installations: []metrics.Installation{{ID: "iA1", ProjectID: "A", ProviderID: "p1", Name: "alpha-hpc", UnitOfAccess: "cpu"},
			{ID: "iA2", ProjectID: "A", ProviderID: "p2", Name: "alpha-cloud"}, {ID: "iB1", ProjectID: "B", ProviderID: "p1", Name: "beta-hpc"}},
	}
	if _, err := db.UpsertArgoEntities(ctx, st.Generation, e); err != nil {
		tb.Fatal(err)
	}
	users := map[string]float64{"iA1": 5, "iA2": 7, "iB1": 100}
	var ms []metrics.Metric
	for _, in := range e.Installations {
		for d := range days {
			s := argoDay0.AddDate(0, 0, d)
			ms = append(ms,
				metrics.Metric{ID: fmt.Sprintf("%s-cpu-%d", in.ID, d), InstallationID: in.ID, DefinitionID: "cpu", Start: s, End: s.AddDate(0, 0, 1), Value: float64(10 + d), UserID: "u1"},
				metrics.Metric{ID: fmt.Sprintf("%s-users-%d", in.ID, d), InstallationID: in.ID, DefinitionID: "users", Start: s, End: s.AddDate(0, 0, 1), Value: users[in.ID]})
		}
	}
	if n, err := db.UpsertArgoMetrics(ctx, st.Generation, nil, ms); err != nil || n != int64(len(ms)) {
		tb.Fatalf("upsert metrics: %d %v", n, err)
	}
	if _, err := db.FinishArgoSync(ctx, metrics.Sweep{Generation: st.Generation, Full: true, At: db.Now()}); err != nil {
		tb.Fatal(err)
	}
}

func count(tb testing.TB, db *DB, q string, args ...any) int {
	tb.Helper()
	var n int
	if err := db.r.QueryRow(q, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestArgoSync_SweepRemovesOnlyWhatARunDidNotSee(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	seedArgo(t, db, 10)
	if n := count(t, db, `SELECT COUNT(*) FROM argo_metrics`); n != 60 {
		t.Fatalf("metrics %d", n)
	}
	// A second run sees everything but installation iA2, project B's
	// placeholder-free list, and reads A's metrics from day 5 only, where
	// one metric (iA1 cpu day 7) has gone upstream.
	st, _ := db.BeginArgoSync(ctx)
	if st.Generation != 2 || st.LastFull.IsZero() {
		t.Fatalf("state %+v", st)
	}
	e := metrics.Entities{
		Projects:      []metrics.Project{{ID: "A", Acronym: "ALPHA"}},
		Providers:     []metrics.Provider{{ID: "p1", Name: "Provider One"}},
		Definitions:   []metrics.Definition{{ID: "cpu", Name: "cpu_hours", UnitType: "CPU Time", MetricType: "aggregated"}, {ID: "users", Name: "active_users", UnitType: "#", MetricType: "count"}},
		Installations: []metrics.Installation{{ID: "iA1", ProjectID: "A", ProviderID: "p1"}, {ID: "iB1", ProjectID: "B", ProviderID: "p1"}},
	}
	if _, err := db.UpsertArgoEntities(ctx, st.Generation, e); err != nil {
		t.Fatal(err)
	}
	var ms []metrics.Metric
	for d := 5; d < 10; d++ {
		s := argoDay0.AddDate(0, 0, d)
		if d != 7 {
			ms = append(ms, metrics.Metric{ID: fmt.Sprintf("iA1-cpu-%d", d), InstallationID: "iA1", DefinitionID: "cpu", Start: s, End: s.AddDate(0, 0, 1), Value: 1})
		}
		ms = append(ms, metrics.Metric{ID: fmt.Sprintf("iA1-users-%d", d), InstallationID: "iA1", DefinitionID: "users", Start: s, End: s.AddDate(0, 0, 1), Value: 5})
	}
	// A metric of an installation the cache does not know is skipped.
	ms = append(ms, metrics.Metric{ID: "ghost", InstallationID: "nope", DefinitionID: "cpu", Start: argoDay0, End: argoDay0.Add(time.Hour)})
	if n, err := db.UpsertArgoMetrics(ctx, st.Generation, nil, ms); err != nil || n != int64(len(ms)-1) {
		t.Fatalf("upsert: %d %v", n, err)
	}
	removed, err := db.FinishArgoSync(ctx, metrics.Sweep{Generation: st.Generation, Windows: map[string]time.Time{"A": argoDay0.AddDate(0, 0, 5)},
		Newest: map[string]time.Time{"A": argoDay0.AddDate(0, 0, 9)}})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM argo_installations`); n != 2 {
		t.Errorf("installations %d, want 2 (iA2 gone)", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM argo_metrics WHERE installation_id = 'iA2'`); n != 0 {
		t.Errorf("iA2 left %d metrics", n)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM argo_metrics WHERE id = 'iA1-cpu-7'`); n != 0 {
		t.Error("a metric gone upstream inside the window stayed")
	}
	if n := count(t, db, `SELECT COUNT(*) FROM argo_metrics WHERE installation_id = 'iA1'`); n != 19 {
		t.Errorf("iA1 has %d metrics, want 19 (older ones outside the window kept)", n)
	}
	// B kept its placeholder because iB1 names it; p2 went with iA2's provider.
	if n := count(t, db, `SELECT COUNT(*) FROM argo_projects WHERE id = 'B'`); n != 1 {
		t.Error("project B was swept though an installation refers to it")
	}
	if n := count(t, db, `SELECT COUNT(*) FROM argo_providers WHERE id = 'p2'`); n != 0 {
		t.Error("provider p2 stayed")
	}
	if removed != 13 { // 11 metrics in the window (1 of iA1, 10 of iA2), iA2, p2; cascades are not counted
		t.Errorf("removed %d", removed)
	}
	st, _ = db.BeginArgoSync(ctx)
	if !st.Newest["A"].Equal(argoDay0.AddDate(0, 0, 9)) || !st.Newest["B"].IsZero() {
		t.Errorf("windows %v", st.Newest)
	}
}

func TestMetricTotals_GranularityAggregationScope(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	seedArgo(t, db, 14) // two weeks from a Monday
	all := portal.Scope{All: true}
	q := metrics.TotalsQuery{Filter: metrics.Filter{Scope: all}, Granularity: metrics.Weekly, Sort: "period"}
	rows, total, err := db.MetricTotals(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// 2 weeks x (A/p1, A/p2, B/p1) x 2 definitions.
	if total != 12 || len(rows) != 12 {
		t.Fatalf("total %d rows %d", total, len(rows))
	}
	find := func(rows []metrics.Total, period time.Time, project, provider, def string) metrics.Total {
		for _, r := range rows {
			if r.Period.Equal(period) && r.ProjectID == project && r.ProviderID == provider && r.DefinitionID == def {
				return r
			}
		}
		t.Fatalf("no total %v %s %s %s", period, project, provider, def)
		return metrics.Total{}
	}
	w1 := find(rows, argoDay0, "A", "p1", "cpu")
	// cpu is aggregated: the sum of days 0..6 = 7*10 + 21.
	if w1.Total != 91 || w1.Metrics != 7 || w1.Installations != 1 || w1.ProjectName != "Alpha" || w1.ProjectKey != "a" || w1.ProviderName != "Provider One" {
		t.Errorf("week 1 cpu A/p1: %+v", w1)
	}
	// users is a count: the mean per installation (5), not the sum (35).
	if u := find(rows, argoDay0.AddDate(0, 0, 7), "A", "p1", "users"); u.Total != 5 || u.UnitType != "#" {
		t.Errorf("week 2 users A/p1: %+v", u)
	}
	// Per project over both providers: the installations' means add up (5 + 7).
	byProject, _, _ := db.MetricTotals(ctx, metrics.TotalsQuery{Filter: metrics.Filter{Scope: all, DefinitionID: "users", ProjectID: "A"}, Granularity: metrics.Monthly})
	var sum float64
	for _, r := range byProject {
		sum += r.Total
	}
	if len(byProject) != 2 || sum != 12 {
		t.Errorf("month users of A: %+v", byProject)
	}
	// Daily, time-ranged and sorted by total.
	daily, total, _ := db.MetricTotals(ctx, metrics.TotalsQuery{Filter: metrics.Filter{Scope: all, DefinitionID: "cpu",
		From: argoDay0.AddDate(0, 0, 2), To: argoDay0.AddDate(0, 0, 4)}, Granularity: metrics.Daily, Sort: "total", Desc: true, Limit: 2})
	if total != 6 || len(daily) != 2 || daily[0].Total != 13 || !daily[0].Period.Equal(argoDay0.AddDate(0, 0, 3)) {
		t.Errorf("daily page %+v (total %d)", daily, total)
	}
	// A page past the end still knows the total.
	if rows, total, _ := db.MetricTotals(ctx, metrics.TotalsQuery{Filter: metrics.Filter{Scope: all}, Granularity: metrics.Weekly, Limit: 50, Offset: 100}); len(rows) != 0 || total != 12 {
		t.Errorf("past the end: %d rows, total %d", len(rows), total)
	}
	// Scope: a user of b sees only B, even when filtering for A.
	bOnly := metrics.Filter{Scope: portal.Scope{Projects: []string{"b"}}}
	rows, total, _ = db.MetricTotals(ctx, metrics.TotalsQuery{Filter: bOnly, Granularity: metrics.Weekly})
	for _, r := range rows {
		if r.ProjectID != "B" {
			t.Fatalf("scope b sees %s", r.ProjectID)
		}
	}
	if total != 4 {
		t.Errorf("scope b: %d totals", total)
	}
	bOnly.ProjectID = "A"
	if rows, _, _ := db.MetricTotals(ctx, metrics.TotalsQuery{Filter: bOnly, Granularity: metrics.Weekly}); len(rows) != 0 {
		t.Error("scope b filtering for A saw A")
	}
	if rows, _, _ := db.MetricTotals(ctx, metrics.TotalsQuery{Filter: metrics.Filter{}, Granularity: metrics.Weekly}); len(rows) != 0 {
		t.Error("an empty scope saw totals")
	}
	// The stream gives the same rows in the same order as the pages.
	var streamed []metrics.Total
	db.EachMetricTotal(ctx, q, func(r metrics.Total) error { streamed = append(streamed, r); return nil })
	paged, _, _ := db.MetricTotals(ctx, q)
	if fmt.Sprint(streamed) != fmt.Sprint(paged) {
		t.Error("stream and page differ")
	}
	if _, _, err := db.MetricTotals(ctx, metrics.TotalsQuery{Filter: metrics.Filter{Scope: all}, Granularity: "hour"}); portal.ErrorCode(err) != portal.EINVALID {
		t.Errorf("hour granularity: %v", err)
	}
}

func TestMetricSeries_PerProjectAndPerDefinition(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	seedArgo(t, db, 14)
	q := metrics.TotalsQuery{Filter: metrics.Filter{Scope: portal.Scope{All: true}, DefinitionID: "users"}, Granularity: metrics.Weekly}
	pts, err := db.MetricSeries(ctx, q, "project")
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 4 || pts[0].Label != "Alpha" || pts[0].Total != 12 || pts[2].Label != "Beta" || pts[2].Total != 100 {
		t.Fatalf("series %+v", pts)
	}
	q.DefinitionID, q.InstallationID = "", "iA1"
	pts, _ = db.MetricSeries(ctx, q, "definition")
	if len(pts) != 4 || pts[0].Label != "active_users" || pts[2].Label != "cpu_hours" || pts[2].UnitType != "CPU Time" || pts[2].Total != 91 {
		t.Fatalf("per definition %+v", pts)
	}
}

func TestArgoLists_InstallationsDefinitionsMetrics(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	seedArgo(t, db, 3)
	a := portal.Scope{Projects: []string{"a"}}
	opts, err := db.ArgoFilterOptions(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Projects) != 1 || opts.Projects[0].Label != "Alpha" || len(opts.Installations) != 2 || len(opts.Providers) != 2 || len(opts.Definitions) != 2 {
		t.Fatalf("options %+v", opts)
	}
	rows, total, err := db.ArgoInstallations(ctx, metrics.InstallationQuery{Scope: a, Sort: "installation"})
	if err != nil || total != 2 || rows[0].Name != "alpha-cloud" || rows[1].Metrics != 6 || rows[1].UnitOfAccessName != "cpu_hours" ||
		!rows[1].Last.Equal(argoDay0.AddDate(0, 0, 2)) || rows[1].ProjectKey != "a" {
		t.Fatalf("installations %+v %d %v", rows, total, err)
	}
	if _, err := db.ArgoInstallation(ctx, "iB1", a); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("B's installation for a user of a: %v", err)
	}
	if in, err := db.ArgoInstallation(ctx, "iB1", portal.Scope{All: true}); err != nil || in.ProjectName != "Beta" {
		t.Errorf("admin: %+v %v", in, err)
	}
	if ok, _ := db.ArgoInstallationInScope(ctx, "iA1", a); !ok {
		t.Error("iA1 not in scope a")
	}
	defs, _, err := db.ArgoDefinitions(ctx, metrics.DefinitionQuery{Scope: a, Sort: "name"})
	if err != nil || len(defs) != 2 || defs[0].Name != "active_users" || defs[0].Metrics != 6 || defs[0].Installations != 2 {
		t.Fatalf("definitions %+v %v", defs, err)
	}
	ms, total, err := db.ArgoMetrics(ctx, metrics.ListQuery{Filter: metrics.Filter{Scope: a, InstallationID: "iA1", DefinitionID: "cpu"}, Sort: "value", Desc: true})
	if err != nil || total != 3 || ms[0].Value != 12 || ms[0].DefinitionName != "cpu_hours" || ms[0].UserID != "u1" {
		t.Fatalf("metrics %+v %d %v", ms, total, err)
	}
}

func TestArgoQueries_UseTheirIndexes(t *testing.T) {
	db, _ := MustOpen(t)
	seedArgo(t, db, 3)
	db.w.Exec(`ANALYZE`)
	plan := func(q string, args ...any) string {
		rows, err := db.r.Query(`EXPLAIN QUERY PLAN `+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			b.WriteString(detail + "\n")
		}
		return b.String()
	}
	scoped := metrics.TotalsQuery{Filter: metrics.Filter{Scope: portal.Scope{Projects: []string{"a"}}, From: argoDay0, To: argoDay0.AddDate(0, 1, 0)}, Granularity: metrics.Daily}
	s, args, _ := totalsSQL(scoped, false, false, 0, 0)
	if p := plan(s, args...); !strings.Contains(p, "SEARCH m USING") || strings.Contains(p, "SCAN m") {
		t.Errorf("scoped daily totals do not search the totals by index:\n%s", p)
	}
	scoped.Granularity = metrics.Weekly
	s, args, _ = totalsSQL(scoped, false, true, secs(argoDay0), secs(argoDay0.AddDate(0, 0, 14)))
	if p := plan(s, args...); !strings.Contains(p, "SEARCH m USING") || strings.Contains(p, "SCAN m") {
		t.Errorf("scoped weekly totals do not search the totals by index:\n%s", p)
	}
	scoped.Scope, scoped.Granularity = portal.Scope{All: true}, metrics.Monthly
	s, args, _ = totalsSQL(scoped, false, true, secs(argoDay0), secs(argoDay0.AddDate(0, 2, 0)))
	if p := plan(s, args...); !strings.Contains(p, "SEARCH m USING PRIMARY KEY (granularity=? AND period>? AND period<?)") {
		t.Errorf("monthly totals of every project do not read their periods off the totals' key:\n%s", p)
	}
	scoped.Filter.InstallationID = "iA1"
	s, args, _ = totalsSQL(scoped, true, false, 0, 0)
	if p := plan(s, args...); !strings.Contains(p, "argo_metric_rollups") {
		t.Errorf("an installation's monthly totals do not read the rollups:\n%s", p)
	}
	list := metrics.ListQuery{Filter: metrics.Filter{Scope: portal.Scope{All: true}, InstallationID: "iA1"}, Sort: "start", Limit: 50}
	s, args = metricQuery(list).selectSQL()
	if p := plan(s, args...); !strings.Contains(p, "argo_metrics_by_installation") {
		t.Errorf("installation metrics do not use the installation index:\n%s", p)
	}
}

// TestMetricSorts_EveryKeyHasAColumn holds the sort keys the metrics pages
// offer (internal/metrics) and their columns here together.
func TestMetricSorts_EveryKeyHasAColumn(t *testing.T) {
	for name, c := range map[string]struct {
		keys    []string
		columns map[string]string
	}{
		"installations": {metrics.InstallationSorts, installationSorts}, "definitions": {metrics.DefinitionSorts, definitionSorts},
		"metrics": {metrics.ListSorts, metricListSorts}, "totals": {metrics.TotalSorts, metricTotalSorts}, "pushes": {metrics.PushSorts, pushSorts},
	} {
		if len(c.keys) != len(c.columns) {
			t.Errorf("%s: %d sort keys, %d columns", name, len(c.keys), len(c.columns))
		}
		for _, k := range c.keys {
			if c.columns[k] == "" {
				t.Errorf("%s: sort key %q has no column", name, k)
			}
		}
	}
}
