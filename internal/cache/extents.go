package cache

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

// Extents: where each area's data begins and ends, whatever range a page
// shows. Pages ask only when their range holds nothing, to say where the
// data is instead of showing zeros.

// extent runs a query of two nullable Unix-second columns.
func (db *DB) extent(ctx context.Context, what, query string, args ...any) (portal.Extent, error) {
	e, err := one(ctx, db, query, args, func(r rowScanner) (portal.Extent, error) {
		var lo, hi sql.NullInt64
		if err := r.Scan(&lo, &hi); err != nil {
			return portal.Extent{}, err
		}
		return portal.Extent{First: unix(lo.Int64), Last: unix(hi.Int64)}, nil
	})
	if err != nil {
		return portal.Extent{}, fmt.Errorf("cache: %s extent: %w", what, err)
	}
	return e, nil
}

// BillingExtent is the start of the first and of the last billed period
// held.
func (db *DB) BillingExtent(ctx context.Context) (portal.Extent, error) {
	return db.extent(ctx, "billing", `SELECT MIN(period_from), MAX(period_from) FROM vergeos_billing`)
}

// UsageStatusExtent is the first and last UTC day AMIE reported status
// for (of one resource, when named).
func (db *DB) UsageStatusExtent(ctx context.Context, resource string) (portal.Extent, error) {
	q, args := `SELECT MIN(day), MAX(day) FROM amie_status_days`, []any{}
	if resource != "" {
		q, args = q+` WHERE resource = ?`, append(args, resource)
	}
	return db.extent(ctx, "usage status", q, args...)
}

// MetricExtent is the start of the first and last metric the filter
// selects, whatever its time range (scope and the other filters apply).
func (db *DB) MetricExtent(ctx context.Context, f metrics.Filter) (portal.Extent, error) {
	f.From, f.To = time.Time{}, time.Time{}
	w, args := metricWhere(f)
	return db.extent(ctx, "metrics", `SELECT MIN(m.start), MAX(m.start) FROM argo_metrics m WHERE `+w, args...)
}

// BudgetJobExtent is when the project's first and last recorded job
// finished.
func (db *DB) BudgetJobExtent(ctx context.Context, projID string) (portal.Extent, error) {
	return db.extent(ctx, "jobs", `SELECT MIN(finished_at), MAX(finished_at) FROM obi_jobs WHERE proj_id = ?`, projID)
}
