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
// need no sort of their own. The plans are of the queries the cache runs:
// each list's page and count as its listQuery writes them, the spend
// totals as addSpend builds them.
func TestOBIQueries_UseTheirIndexes(t *testing.T) {
	db, now := MustOpen(t)
	jobs := jobQuery(testProj, budgets.JobFilter{From: now.Add(-time.Hour), To: *now, Sort: "finished", Desc: true, Limit: 50})
	q, args := jobs.selectSQL()
	if plan := queryPlan(t, db, q, args...); !strings.Contains(plan, "obi_jobs_by_project_finished") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("jobs page plan:\n%s", plan)
	}
	q, args = jobs.countSQL()
	if plan := queryPlan(t, db, q, args...); !strings.Contains(plan, "obi_jobs_by_project_finished") {
		t.Errorf("jobs count plan:\n%s", plan)
	}
	snaps := snapshotQuery(testProj, budgets.SnapshotFilter{From: now.Add(-time.Hour), To: *now, Desc: true, Limit: 50})
	q, args = snaps.selectSQL()
	if plan := queryPlan(t, db, q, args...); !strings.Contains(plan, "PRIMARY KEY") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("snapshots plan:\n%s", plan)
	}
	// Every project's spend over the window, read once per sync and day.
	if plan := queryPlan(t, db, spendSQL("1=1"), 0, 1); !strings.Contains(plan, "COVERING INDEX obi_spend_total_by_day") {
		t.Errorf("spend of every project, plan:\n%s", plan)
	}
	inbox := requestQuery(budgets.RequestFilter{Scope: portal.Scope{All: true}, States: []string{budgets.Pending}, Limit: 50})
	q, args = inbox.selectSQL()
	if plan := queryPlan(t, db, q, args...); !strings.Contains(plan, "budget_requests_by_state") {
		t.Errorf("inbox plan:\n%s", plan)
	}
	q, args = inbox.countSQL()
	if plan := queryPlan(t, db, q, args...); !strings.Contains(plan, "budget_requests_by_state") {
		t.Errorf("inbox count plan:\n%s", plan)
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
