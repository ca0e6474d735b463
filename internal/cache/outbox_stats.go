package cache

import (
	"context"
	"fmt"

	"github.com/accounting-portal/portal/internal/portal"
)

// OutboxStats counts the outbox items of each kind in each state, with the
// creation time of the oldest, for the operators' metrics.
func (db *DB) OutboxStats(ctx context.Context) ([]portal.OutboxStat, error) {
	out, err := all(ctx, db, `SELECT kind, state, COUNT(*), MIN(created_at) FROM outbox GROUP BY kind, state ORDER BY kind, state`, nil,
		func(r rowScanner) (portal.OutboxStat, error) {
			var s portal.OutboxStat
			var oldest int64
			err := r.Scan(&s.Kind, &s.State, &s.Items, &oldest)
			s.Oldest = unix(oldest)
			return s, err
		})
	if err != nil {
		return nil, fmt.Errorf("cache: outbox stats: %w", err)
	}
	return out, nil
}
