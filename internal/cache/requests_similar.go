package cache

import (
	"context"
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
)

// SimilarBudgetRequests lists the requests of n's kind and lab created
// since, in the states a duplicate may have (budgets.LikelyDuplicate
// decides which repeat n), newest first.
func (db *DB) SimilarBudgetRequests(ctx context.Context, n budgets.NewRequest, since time.Time) ([]budgets.Request, error) {
	w := `r.kind = ? AND r.vlab_id = ? AND r.created_at >= ? AND r.state IN (` + placeholders(len(budgets.DuplicateStates)) + `)`
	args := []any{n.Kind, n.VlabID, secs(since)}
	for _, s := range budgets.DuplicateStates {
		args = append(args, s)
	}
	rows, err := all(ctx, db, `SELECT `+requestCols+` FROM `+requestTables+` WHERE `+w+` ORDER BY r.created_at DESC, r.id DESC LIMIT 50`, args, scanRequestValue)
	if err != nil {
		return nil, fmt.Errorf("cache: similar budget requests: %w", err)
	}
	return rows, nil
}
