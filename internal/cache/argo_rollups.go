package cache

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/metrics"
)

// What the metrics pages read is computed when metrics are stored:
//
//   - argo_metric_rollups: per installation, metric definition and week or
//     month, the sum and number of its metrics and the start of the first
//     and last (installation and definition pages, installation filters);
//   - argo_metric_totals: per day, week and month, project, provider and
//     definition, the number of installations and metrics, the sum of the
//     values and the sum of each installation's mean (the overview, its
//     CSV and its charts).
//
// Both are refreshed for the periods a change touches, in the
// transaction that makes it: the end of a successful sync for the
// windows it read, a delivered push for its own period.

// rolledUp lists the granularities kept in argo_metric_rollups.
var rolledUp = []string{metrics.Weekly, metrics.Monthly}

// totalled lists the granularities kept in argo_metric_totals.
var totalled = []string{metrics.Daily, metrics.Weekly, metrics.Monthly}

// rollupSel selects the metrics whose rollups and totals to refresh: cond
// (on argo_metrics and argo_metric_rollups aliased m) picks the metrics,
// and totalsCond (on argo_metric_totals aliased m, whose columns
// argo_metrics and argo_metric_rollups share) every total they count in.
type rollupSel struct {
	cond       string
	args       []any
	totalsCond string
	totalsArgs []any
}

// allMetrics selects every metric.
var allMetrics = rollupSel{cond: "1=1", totalsCond: "1=1"}

// projectMetrics selects the metrics of one ARGO project.
func projectMetrics(project string) rollupSel {
	return rollupSel{cond: "m.project_id = ?", args: []any{project}, totalsCond: "m.project_id = ?", totalsArgs: []any{project}}
}

// refreshRollups recomputes, inside tx, the rollups and totals of the
// metrics sel selects, from the period that from falls in onwards (from
// the first when from is zero).
func refreshRollups(ctx context.Context, tx *sql.Tx, sel rollupSel, from time.Time) error {
	start := func(g string) int64 {
		if from.IsZero() {
			return 0
		}
		return secs(metrics.PeriodStart(from, g))
	}
	for _, g := range rolledUp {
		b, _ := bucket(g)
		args := append([]any{g, start(g)}, sel.args...)
		if _, err := tx.ExecContext(ctx, `DELETE FROM argo_metric_rollups AS m WHERE granularity = ? AND period >= ? AND `+sel.cond, args...); err != nil {
			return fmt.Errorf("cache: refresh %sly rollups: %w", g, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO argo_metric_rollups(granularity, installation_id, definition_id, period, project_id, provider_id, s, n, first, last)
			SELECT ?, m.installation_id, m.definition_id, `+b+` AS period, MIN(m.project_id), MIN(m.provider_id), SUM(m.value), COUNT(*), MIN(m.start), MAX(m.start)
			FROM argo_metrics m WHERE m.start >= ? AND `+sel.cond+`
			GROUP BY m.installation_id, m.definition_id, period`, args...); err != nil {
			return fmt.Errorf("cache: refresh %sly rollups: %w", g, err)
		}
	}
	for _, g := range totalled {
		args := append([]any{g, start(g)}, sel.totalsArgs...)
		if _, err := tx.ExecContext(ctx, `DELETE FROM argo_metric_totals AS m WHERE granularity = ? AND period >= ? AND `+sel.totalsCond, args...); err != nil {
			return fmt.Errorf("cache: refresh %sly totals: %w", g, err)
		}
		// Days come from the metrics, weeks and months from the rollups
		// just refreshed (a few rows per installation).
		per := `SELECT m.project_id, m.provider_id, m.definition_id, m.period, m.s, m.n
			FROM argo_metric_rollups m WHERE m.granularity = ?1 AND m.period >= ?2 AND ` + sel.totalsCond
		if g == metrics.Daily {
			// In the order of the outer GROUP BY, so that SQLite adds up the
			// days as they come instead of sorting them again: after a first
			// sync there are as many days as metrics.
			b, _ := bucket(g)
			per = `SELECT m.project_id, m.provider_id, m.definition_id, ` + b + ` AS period, SUM(m.value) AS s, COUNT(*) AS n
				FROM argo_metrics m WHERE m.start >= ?2 AND ` + sel.totalsCond + `
				GROUP BY period, m.project_id, m.provider_id, m.definition_id, m.installation_id
				ORDER BY period, m.project_id, m.provider_id, m.definition_id, m.installation_id`
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO argo_metric_totals(granularity, period, project_id, provider_id, definition_id, insts, n, s, a)
			SELECT ?1, per.period, per.project_id, per.provider_id, per.definition_id, COUNT(*), SUM(per.n), SUM(per.s), SUM(per.s / per.n)
			FROM (`+per+`) per GROUP BY per.period, per.project_id, per.provider_id, per.definition_id`, args...); err != nil {
			return fmt.Errorf("cache: refresh %sly totals: %w", g, err)
		}
	}
	return nil
}
