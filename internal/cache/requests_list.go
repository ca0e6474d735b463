package cache

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/portal"
)

// requestSortColumns are the columns of budgets.RequestSorts.
var requestSortColumns = map[string]string{
	"id": "r.id", "created": "r.created_at", "updated": "r.updated_at", "amount": "r.amount_cents", "kind": "r.kind",
	"state": "r.state", "requester": "r.requested_by_name",
}

const inboxOrder = `CASE r.state WHEN 'pending' THEN 0 WHEN 'needs-reconciliation' THEN 1 ELSE 2 END,
	CASE WHEN r.state IN ('pending', 'needs-reconciliation') THEN r.created_at END ASC,
	CASE WHEN r.state IN ('pending', 'needs-reconciliation') THEN r.id END ASC, r.created_at DESC, r.id DESC`

func requestWhere(f budgets.RequestFilter) (string, []any) {
	w, args := requestScope(f.Scope)
	if f.RequestedBy != "" {
		w += " AND r.requested_by = ?"
		args = append(args, f.RequestedBy)
	}
	if len(f.States) > 0 {
		w += " AND r.state IN (" + placeholders(len(f.States)) + ")"
		args = append(args, anys(f.States)...)
	}
	return w, args
}

// requestScope is the SQL condition of budgets.RequestFilter.Scope: the
// request names one of the scope's projects, or tops up a lab that holds
// one (a top-up names no project, and its lab's balance is on every
// member's budgets page).
func requestScope(scope portal.Scope) (string, []any) {
	if scope.All {
		return "1=1", []any{}
	}
	if len(scope.Projects) == 0 {
		return "0=1", []any{}
	}
	ph, keys := placeholders(len(scope.Projects)), anys(scope.Projects)
	args := append(append(append([]any{}, keys...), keys...), keys...)
	return `(r.project_key IN (` + ph + `) OR r.to_project_key IN (` + ph + `) OR (r.kind = 'top-up' AND r.vlab_id IN
		(SELECT pi.vlab_id FROM project_ids pi WHERE pi.upstream = 'obi' AND pi.project_key IN (` + ph + `))))`, args
}

func requestOrder(f budgets.RequestFilter) string {
	col, ok := requestSortColumns[f.Sort]
	if !ok {
		return inboxOrder
	}
	d := dir(f.Desc)
	return col + d + ", r.id" + d
}

// ListBudgetRequests returns a page of requests and how many match.
func (db *DB) ListBudgetRequests(ctx context.Context, f budgets.RequestFilter) ([]budgets.Request, int64, error) {
	out, total, err := list(ctx, db, requestQuery(f), scanRequestValue)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: list budget requests: %w", err)
	}
	return out, total, nil
}

// EachBudgetRequest calls fn with every matching request in order, streaming.
func (db *DB) EachBudgetRequest(ctx context.Context, f budgets.RequestFilter, fn func(budgets.Request) error) error {
	f.Limit, f.Offset = 0, 0
	return each(ctx, db, requestQuery(f), scanRequestValue, fn)
}

// BudgetRequestCounts counts the requests f selects per state (whatever
// states f names).
func (db *DB) BudgetRequestCounts(ctx context.Context, f budgets.RequestFilter) (map[string]int, error) {
	f.States = nil
	w, args := requestWhere(f)
	out, err := db.readCounts(ctx, `SELECT r.state, COUNT(*) FROM budget_requests r WHERE `+w+` GROUP BY r.state`, args...)
	if err != nil {
		return nil, fmt.Errorf("cache: budget request counts: %w", err)
	}
	return out, nil
}

// TakeBudgetOutcomes returns the requests of subject whose state moved
// since the requester was last told (approved, applied, failed, needs
// reconciliation, denied), and records that they have now been told.
func (db *DB) TakeBudgetOutcomes(ctx context.Context, subject string) ([]budgets.Request, error) {
	// Most page views have nothing to tell: look on a reader first, so that
	// a page does not queue for the one writer connection behind a sync,
	// and keep the answer until a request changes (memo.go).
	pending, err := rememberedIn(&db.personal, "outcomes:"+subject, db.gen(genRequests), func() (bool, error) {
		return one(ctx, db, `SELECT EXISTS (SELECT 1 FROM budget_requests WHERE requested_by = ?
		AND state IN ('approved', 'applied', 'failed', 'needs-reconciliation', 'denied') AND notified <> state)`, []any{subject}, scanValue[bool])
	}, same)
	if err != nil {
		return nil, fmt.Errorf("cache: budget outcomes: %w", err)
	}
	if !pending {
		return nil, nil
	}
	var out []budgets.Request
	err = db.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+requestCols+requestFrom+` WHERE r.requested_by = ?
			AND r.state IN ('approved', 'applied', 'failed', 'needs-reconciliation', 'denied') AND r.notified <> r.state
			ORDER BY r.updated_at, r.id`, subject)
		if err != nil {
			return err
		}
		for rows.Next() {
			r, err := scanRequest(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, *r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE budget_requests SET notified = ? WHERE id = ?`, r.State, r.ID); err != nil {
				return err
			}
		}
		db.bumpOnCommit(tx, genRequests)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cache: budget outcomes: %w", err)
	}
	return out, nil
}

// BudgetAccounts lists the catalogued labs and projects a person may
// request budget for (every one for scope.All), with cached balances:
// what the request form offers.
func (db *DB) BudgetAccounts(ctx context.Context, manage portal.Scope) ([]budgets.Lab, error) {
	var labs []budgets.Lab
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		if labs, err = budgetLabs(ctx, tx, manage); err != nil {
			return err
		}
		projects, err := budgetProjects(ctx, tx, manage, "")
		if err != nil {
			return err
		}
		idx := map[string]int{}
		for i, l := range labs {
			idx[l.VlabID] = i
		}
		for _, p := range projects {
			if i, ok := idx[p.VlabID]; ok {
				labs[i].Projects = append(labs[i].Projects, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cache: budget accounts: %w", err)
	}
	return labs, nil
}

// BudgetRequestInScope returns one request if scope covers it, and
// ENOTFOUND (as for a request that does not exist) if not.
func (db *DB) BudgetRequestInScope(ctx context.Context, scope portal.Scope, id int64) (*budgets.Request, error) {
	w, args := requestScope(scope)
	r, err := one(ctx, db, `SELECT `+requestCols+requestFrom+` WHERE r.id = ? AND `+w, append([]any{id}, args...), scanRequestValue)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("There is no budget request %d.", id))
	}
	return &r, nil
}

// requestQuery is the list of requests f selects.
func requestQuery(f budgets.RequestFilter) listQuery {
	w, args := requestWhere(f)
	return listQuery{cols: requestCols, from: requestTables, countFrom: `budget_requests r`, where: w, args: args, order: requestOrder(f),
		limit: f.Limit, offset: f.Offset}
}

func scanRequestValue(row rowScanner) (budgets.Request, error) {
	r, err := scanRequest(row)
	if err != nil {
		return budgets.Request{}, err
	}
	return *r, nil
}
