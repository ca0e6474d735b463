package cache

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/portal"
)

// queryPlan returns SQLite's plan of a query, one step per line.
func queryPlan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.r.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return strings.Join(out, "\n")
}

// The page queries use the indexes made for them, and the default orders
// need no sort of their own.
func TestOBIQueries_UseTheirIndexes(t *testing.T) {
	db, now := MustOpen(t)
	f := budgets.JobFilter{From: now.Add(-time.Hour), To: *now, Sort: "finished", Desc: true, Limit: 50}
	w, args := jobWhere(testProj, f)
	plan := queryPlan(t, db, `SELECT `+jobCols+` FROM obi_jobs WHERE `+w+` ORDER BY `+jobOrder(f)+` LIMIT 50`, args...)
	if !strings.Contains(plan, "obi_jobs_by_project_finished") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("jobs page plan:\n%s", plan)
	}
	plan = queryPlan(t, db, `SELECT at, balance FROM obi_balance_snapshots WHERE account = ? AND at >= ? AND at < ? ORDER BY at DESC`, testProj, 0, 1)
	if !strings.Contains(plan, "PRIMARY KEY") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("snapshots plan:\n%s", plan)
	}
	plan = queryPlan(t, db, `SELECT s.proj_id, s.day, s.amount FROM obi_spend_total s WHERE s.day >= ? AND s.day < ? AND s.proj_id IN (?, ?)`, 0, 1, testProj, testProj2)
	if !strings.Contains(plan, "PRIMARY KEY") {
		t.Errorf("spend of a few projects, plan:\n%s", plan)
	}
	plan = queryPlan(t, db, `SELECT s.proj_id, s.day, s.amount FROM obi_spend_total s WHERE s.day >= ? AND s.day < ? AND 1=1`, 0, 1)
	if !strings.Contains(plan, "COVERING INDEX obi_spend_total_by_day") {
		t.Errorf("spend of every project, plan:\n%s", plan)
	}
	fr := budgets.RequestFilter{Scope: portal.Scope{All: true}, States: []string{budgets.Pending}}
	w, args = requestWhere(fr)
	plan = queryPlan(t, db, `SELECT r.id FROM budget_requests r WHERE `+w+` ORDER BY `+requestOrder(fr), args...)
	if !strings.Contains(plan, "budget_requests_by_state") {
		t.Errorf("inbox plan:\n%s", plan)
	}
}

// Every sort key the budgets pages offer has a column, and no column
// waits for a key the pages do not offer.
func TestBudgetSorts_EveryKeyHasAColumn(t *testing.T) {
	for name, c := range map[string]struct {
		keys    []string
		columns map[string]string
	}{"jobs": {budgets.JobSorts, jobSortColumns}, "requests": {budgets.RequestSorts, requestSortColumns}} {
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
