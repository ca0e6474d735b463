package cache

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/metrics"
)

// Weekly and monthly totals are kept in argo_metric_rollups: one row per
// installation, metric definition and period with the sum and the number
// of its metrics. Daily totals are computed from the metrics themselves.

// rolledUp lists the granularities kept in argo_metric_rollups.
var rolledUp = []string{metrics.Weekly, metrics.Monthly}

// refreshRollups recomputes, inside tx, the rolled-up periods from the
// one that from falls in onwards, for the metrics that cond (on
// argo_metrics aliased m, and on the rollups' same-named columns) selects.
func refreshRollups(ctx context.Context, tx *sql.Tx, cond string, args []any, from time.Time) error {
	for _, g := range rolledUp {
		b, _ := bucket(g)
		start := secs(metrics.PeriodStart(from, g))
		if from.IsZero() {
			start = 0
		}
		del := append([]any{g, start}, args...)
		if _, err := tx.ExecContext(ctx, `DELETE FROM argo_metric_rollups AS m WHERE granularity = ? AND period >= ? AND `+cond, del...); err != nil {
			return fmt.Errorf("cache: refresh %sly totals: %w", g, err)
		}
		ins := append([]any{g, start}, args...)
		if _, err := tx.ExecContext(ctx, `INSERT INTO argo_metric_rollups(granularity, installation_id, definition_id, period, project_id, provider_id, s, n)
			SELECT ?, m.installation_id, m.definition_id, `+b+` AS period, MIN(m.project_id), MIN(m.provider_id), SUM(m.value), COUNT(*)
			FROM argo_metrics m WHERE m.start >= ? AND `+cond+`
			GROUP BY m.installation_id, m.definition_id, period`, ins...); err != nil {
			return fmt.Errorf("cache: refresh %sly totals: %w", g, err)
		}
	}
	return nil
}
