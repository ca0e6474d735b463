package cache

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/accounting-portal/portal/internal/portal"
)

type countedTable struct{ label, table string }

// countedTables lists, per upstream, the tables the data-sources page
// counts. Each area adds its tables in an init function.
var countedTables = map[string][]countedTable{}

func registerCountedTable(upstream, label, table string) {
	countedTables[upstream] = append(countedTables[upstream], countedTable{label, table})
}

// CachedRowCounts counts the cached rows of an upstream's tables, in one snapshot.
func (db *DB) CachedRowCounts(ctx context.Context, upstream string) ([]portal.RowCount, error) {
	var out []portal.RowCount
	err := db.read(ctx, func(tx *sql.Tx) error {
		for _, t := range countedTables[upstream] {
			var n int64
			// Table names come from code, never from a request.
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.table).Scan(&n); err != nil {
				return fmt.Errorf("cache: count %s: %w", t.table, err)
			}
			out = append(out, portal.RowCount{Label: t.label, Rows: n})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
