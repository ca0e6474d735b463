package cache

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

// aggregatesMatchRaw fails the test unless argo_metric_totals and
// argo_metric_rollups hold exactly what the metrics add up to now.
func aggregatesMatchRaw(t *testing.T, db *DB, stage string) {
	t.Helper()
	type key struct {
		g, a, b, c string
		period     int64
	}
	type agg struct {
		insts, n    int64
		s, a        float64
		first, last int64
	}
	read := func(q string) map[key]agg {
		rows, err := db.r.Query(q)
		if err != nil {
			t.Fatalf("%s: %v\n%s", stage, err, q)
		}
		defer rows.Close()
		out := map[key]agg{}
		for rows.Next() {
			var k key
			var v agg
			if err := rows.Scan(&k.g, &k.period, &k.a, &k.b, &k.c, &v.insts, &v.n, &v.s, &v.a, &v.first, &v.last); err != nil {
				t.Fatal(err)
			}
			out[k] = v
		}
		return out
	}
	same := func(what string, want, got map[key]agg) {
		t.Helper()
		if len(want) != len(got) {
			t.Errorf("%s: %s: %d rows from the metrics, %d stored", stage, what, len(want), len(got))
		}
		for k, w := range want {
			g, ok := got[k]
			close := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(x)) }
			if !ok || g.insts != w.insts || g.n != w.n || !close(g.s, w.s) || !close(g.a, w.a) || g.first != w.first || g.last != w.last {
				t.Errorf("%s: %s %+v: from the metrics %+v, stored %+v (present %v)", stage, what, k, w, g, ok)
			}
		}
	}
	for _, g := range totalled {
		b, _ := bucket(g)
		want := read(fmt.Sprintf(`SELECT '%s', period, project_id, provider_id, definition_id, COUNT(*), SUM(n), SUM(s), SUM(s / n), 0, 0 FROM (
			SELECT m.project_id, m.provider_id, m.definition_id, m.installation_id, %s AS period, SUM(m.value) AS s, COUNT(*) AS n
			FROM argo_metrics m GROUP BY 1, 2, 3, 4, 5) GROUP BY period, project_id, provider_id, definition_id`, g, b))
		got := read(fmt.Sprintf(`SELECT granularity, period, project_id, provider_id, definition_id, insts, n, s, a, 0, 0
			FROM argo_metric_totals WHERE granularity = '%s'`, g))
		same(g+"ly totals", want, got)
	}
	for _, g := range rolledUp {
		b, _ := bucket(g)
		want := read(fmt.Sprintf(`SELECT '%s', %s AS period, m.installation_id, m.definition_id, MIN(m.project_id) || '/' || MIN(m.provider_id),
			0, COUNT(*), SUM(m.value), 0, MIN(m.start), MAX(m.start) FROM argo_metrics m GROUP BY 2, 3, 4`, g, b))
		got := read(fmt.Sprintf(`SELECT granularity, period, installation_id, definition_id, project_id || '/' || provider_id, 0, n, s, 0, first, last
			FROM argo_metric_rollups WHERE granularity = '%s'`, g))
		same(g+"ly rollups", want, got)
	}
}

// TestArgoAggregates_EqualTheMetricsThroughEveryChange holds the totals
// and rollups to the sum of the raw metrics after a first sync, an
// incremental sync that changes, adds and sweeps metrics, a sync that
// removes an installation, a delivered push and an installation moving
// to another project.
func TestArgoAggregates_EqualTheMetricsThroughEveryChange(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	seedArgo(t, db, 45)
	aggregatesMatchRaw(t, db, "first sync")
	if n := count(t, db, `SELECT COUNT(*) FROM argo_metric_totals`); n == 0 {
		t.Fatal("no totals after the first sync")
	}

	entities := func(without string, move bool) metrics.Entities {
		e := metrics.Entities{
			Projects:    []metrics.Project{{ID: "A", Acronym: "ALPHA", Title: "Alpha project"}, {ID: "B", Acronym: "BETA"}},
			Providers:   []metrics.Provider{{ID: "p1", Name: "Provider One"}, {ID: "p2", Name: "Provider Two"}},
			Definitions: []metrics.Definition{{ID: "cpu", Name: "cpu_hours", MetricType: "aggregated"}, {ID: "users", Name: "active_users", MetricType: "count"}},
		}
		for _, in := range []metrics.Installation{{ID: "iA1", ProjectID: "A", ProviderID: "p1"}, {ID: "iA2", ProjectID: "A", ProviderID: "p2"}, {ID: "iB1", ProjectID: "B", ProviderID: "p1"}} {
			if in.ID == without {
				continue
			}
			if move && in.ID == "iA1" {
				in.ProjectID, in.ProviderID = "B", "p2"
			}
			e.Installations = append(e.Installations, in)
		}
		return e
	}
	sync := func(e metrics.Entities, ms []metrics.Metric, windows map[string]time.Time) {
		t.Helper()
		st, err := db.BeginArgoSync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpsertArgoEntities(ctx, st.Generation, e); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpsertArgoMetrics(ctx, st.Generation, nil, ms); err != nil {
			t.Fatal(err)
		}
		if _, err := db.FinishArgoSync(ctx, metrics.Sweep{Generation: st.Generation, Windows: windows, At: db.Now()}); err != nil {
			t.Fatal(err)
		}
	}

	// An incremental run from day 30 (a Tuesday, mid-week): new values, a
	// new metric, and iA2's metrics from day 38 on no longer in ARGO.
	from := argoDay0.AddDate(0, 0, 30)
	var ms []metrics.Metric
	for _, in := range []string{"iA1", "iA2", "iB1"} {
		for d := 30; d < 45; d++ {
			if in == "iA2" && d >= 38 {
				continue
			}
			s := argoDay0.AddDate(0, 0, d)
			ms = append(ms, metrics.Metric{ID: fmt.Sprintf("%s-cpu-%d", in, d), InstallationID: in, DefinitionID: "cpu", Start: s, End: s.AddDate(0, 0, 1), Value: float64(3 * d)},
				metrics.Metric{ID: fmt.Sprintf("%s-users-%d", in, d), InstallationID: in, DefinitionID: "users", Start: s, End: s.AddDate(0, 0, 1), Value: 9})
		}
	}
	s := argoDay0.AddDate(0, 0, 44).Add(6 * time.Hour)
	ms = append(ms, metrics.Metric{ID: "late", InstallationID: "iB1", DefinitionID: "users", Start: s, End: s.Add(time.Hour), Value: 1})
	sync(entities("", false), ms, map[string]time.Time{"A": from, "B": from})
	if n := count(t, db, `SELECT COUNT(*) FROM argo_metrics WHERE installation_id = 'iA2' AND start >= ?`, secs(argoDay0.AddDate(0, 0, 38))); n != 0 {
		t.Fatalf("the sweep left %d of iA2's metrics", n)
	}
	aggregatesMatchRaw(t, db, "incremental sync")

	// A run that refreshes each project's window as soon as it is stored
	// (as the sync does for windows): iA1's day 44 is gone from ARGO, so
	// the end of the run, which removes it, counts A's window again.
	st, err := db.BeginArgoSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertArgoEntities(ctx, st.Generation, entities("", false)); err != nil {
		t.Fatal(err)
	}
	from40 := argoDay0.AddDate(0, 0, 40)
	var again []metrics.Metric
	for _, m := range ms {
		if !m.Start.Before(from40) && m.ID != "iA1-cpu-44" {
			m.Value += 1
			again = append(again, m)
		}
	}
	if _, err := db.UpsertArgoMetrics(ctx, st.Generation, nil, again); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"A", "B"} {
		if err := db.RefreshArgoTotals(ctx, p, from40); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.FinishArgoSync(ctx, metrics.Sweep{Generation: st.Generation, Windows: map[string]time.Time{"A": from40, "B": from40},
		Refreshed: map[string]bool{"A": true, "B": true}, At: db.Now()}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM argo_metrics WHERE id = 'iA1-cpu-44'`); n != 0 {
		t.Fatal("the sweep kept a metric ARGO no longer has")
	}
	aggregatesMatchRaw(t, db, "windows refreshed as stored, then swept")

	// iB1 is gone from ARGO: its metrics go with it.
	sync(entities("iB1", false), nil, map[string]time.Time{"A": from})
	if n := count(t, db, `SELECT COUNT(*) FROM argo_metrics WHERE installation_id = 'iB1'`); n != 0 {
		t.Fatalf("iB1 left %d metrics", n)
	}
	aggregatesMatchRaw(t, db, "installation removed")

	// A delivered push counts at once.
	err = db.write(ctx, func(tx *sql.Tx) error {
		res := metrics.Result{MetricID: "pushed", MetricDefinitionID: "cpu", Start: argoDay0.AddDate(0, 0, 50), End: argoDay0.AddDate(0, 0, 51), Value: 1000}
		if err := cacheDeliveredMetric(ctx, tx, "iA1", res); err != nil {
			return err
		}
		return refreshPushRollups(ctx, tx, "iA1", res)
	})
	if err != nil {
		t.Fatal(err)
	}
	aggregatesMatchRaw(t, db, "push delivered")

	// iA1 moves to project B and provider p2.
	sync(entities("iB1", true), nil, map[string]time.Time{"A": from, "B": from})
	if n := count(t, db, `SELECT COUNT(*) FROM argo_metric_totals WHERE project_id = 'B' AND provider_id = 'p2'`); n == 0 {
		t.Fatal("the moved installation's totals are not under its new project")
	}
	aggregatesMatchRaw(t, db, "installation moved")
}

// TestMetricTotals_PageWindowMatchesTheWholeList pages through the totals
// sorted by period both ways and checks every page against the same rows
// of the whole list, and the count against its length.
func TestMetricTotals_PageWindowMatchesTheWholeList(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	seedArgo(t, db, 20)
	for _, desc := range []bool{true, false} {
		for _, sort := range []string{"", "period", "total", "project"} {
			q := metrics.TotalsQuery{Filter: metrics.Filter{Scope: portal.Scope{All: true}}, Granularity: metrics.Daily, Sort: sort, Desc: desc}
			var whole []metrics.Total
			if err := db.EachMetricTotal(ctx, q, func(r metrics.Total) error { whole = append(whole, r); return nil }); err != nil {
				t.Fatal(err)
			}
			for _, size := range []int{1, 7, 50} {
				for off := 0; off <= len(whole)+size; off += size {
					q.Limit, q.Offset = size, off
					page, n, err := db.MetricTotals(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					if n != int64(len(whole)) {
						t.Fatalf("sort %q desc %v: count %d, whole list %d", sort, desc, n, len(whole))
					}
					want := whole[min(off, len(whole)):min(off+size, len(whole))]
					if len(page) != len(want) {
						t.Fatalf("sort %q desc %v offset %d size %d: %d rows, want %d", sort, desc, off, size, len(page), len(want))
					}
					for i := range want {
						if page[i] != want[i] {
							t.Fatalf("sort %q desc %v offset %d row %d: %+v, want %+v", sort, desc, off, i, page[i], want[i])
						}
					}
				}
			}
		}
	}
}
