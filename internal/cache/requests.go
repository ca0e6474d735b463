package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// Budget requests (the budgets package has their state machine): a
// request row, and once approved an outbox item that delivers its OBI call
// (portal.KindOBIBudget), written in one transaction.

// CreateBudgetRequest records a pending request and returns its id.
func (db *DB) CreateBudgetRequest(ctx context.Context, n budgets.NewRequest) (int64, error) {
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := db.now()
		err := tx.QueryRowContext(ctx, `INSERT INTO budget_requests(kind, vlab_id, proj_id, project_key, to_proj_id, to_project_key,
			amount, amount_cents, justification, state, requested_by, requested_by_name, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) RETURNING id`,
			n.Kind, n.VlabID, n.ProjID, n.ProjectKey, n.ToProjID, n.ToProjectKey, n.Amount.StringFixed(2), cents(n.Amount),
			n.Justification, n.Actor, n.ActorName, now, now).Scan(&id)
		if err != nil {
			return err
		}
		db.bumpOnCommit(tx, genRequests)
		if err := db.audit(ctx, tx, portal.AuditEntry{Actor: n.Actor, ActorName: n.ActorName, Subject: budgets.RequestRef(id), To: budgets.Pending,
			Reason: n.Justification}); err != nil {
			return err
		}
		return db.noteRequest(ctx, tx, id, budgets.Pending, n.Actor, n.ActorName)
	})
	if err != nil {
		return 0, fmt.Errorf("cache: create budget request: %w", err)
	}
	return id, nil
}

// cents is an amount of at most 2 decimals in hundredths, exactly.
func cents(d decimal.Decimal) int64 { return nanos(d) / 10_000_000 }

const requestCols = `r.id, r.kind, r.vlab_id, COALESCE(l.name, ''), r.proj_id, r.project_key, COALESCE(p.name, ''),
	r.to_proj_id, r.to_project_key, COALESCE(p2.name, ''), r.amount, r.justification, r.state, r.requested_by, r.requested_by_name,
	r.created_at, r.updated_at, r.decided_by, r.decided_by_name, r.decided_at, r.deny_reason, COALESCE(r.outbox_id, 0),
	r.upstream_error, r.delivery, r.settled_by, r.settled_by_name, r.settled_at, r.settle_reason,
	lb.balance, pb.balance, pb2.balance, r.approved_amount, r.approve_note`

const requestFrom = ` FROM ` + requestTables

const requestTables = `budget_requests r
	LEFT JOIN virtual_labs l ON l.id = r.vlab_id
	LEFT JOIN projects p ON p.key = r.project_key
	LEFT JOIN projects p2 ON p2.key = r.to_project_key
	LEFT JOIN obi_lab_balances lb ON lb.vlab_id = r.vlab_id
	LEFT JOIN obi_project_balances pb ON pb.proj_id = r.proj_id AND r.proj_id <> ''
	LEFT JOIN obi_project_balances pb2 ON pb2.proj_id = r.to_proj_id AND r.to_proj_id <> ''`

func scanRequest(row rowScanner) (*budgets.Request, error) {
	var r budgets.Request
	var created, updated, decided, settled int64
	var delivery string
	var lab, proj, to decimal.Null // NULL: the account's balance was never read
	var approved string
	err := row.Scan(&r.ID, &r.Kind, &r.VlabID, &r.VlabName, &r.ProjID, &r.ProjectKey, &r.ProjName, &r.ToProjID, &r.ToProjectKey,
		&r.ToName, &r.Amount, &r.Justification, &r.State, &r.RequestedBy, &r.RequestedByName, &created, &updated, &r.DecidedBy,
		&r.DecidedByName, &decided, &r.DenyReason, &r.OutboxID, &r.UpstreamError, &delivery, &r.SettledBy, &r.SettledByName,
		&settled, &r.SettleReason, &lab, &proj, &to, &approved, &r.ApproveNote)
	if err != nil {
		return nil, err
	}
	r.Created, r.Updated, r.Decided, r.Settled = unix(created), unix(updated), unix(decided), unix(settled)
	if delivery != "" {
		if err := json.Unmarshal([]byte(delivery), &r.Delivery); err != nil {
			return nil, fmt.Errorf("request %d: delivery: %w", r.ID, err)
		}
	}
	if approved != "" {
		d, err := decimal.Parse(approved)
		if err != nil {
			return nil, fmt.Errorf("request %d: approved amount: %w", r.ID, err)
		}
		r.ApprovedAmount = decimal.NullOf(d)
	}
	r.LabBalance = budgets.CachedBalance{Value: lab.Decimal, Known: lab.Valid}
	r.ProjBalance = budgets.CachedBalance{Value: proj.Decimal, Known: proj.Valid}
	r.ToBalance = budgets.CachedBalance{Value: to.Decimal, Known: to.Valid}
	return &r, nil
}

// BudgetRequestByID returns one request (ENOTFOUND if there is none).
func (db *DB) BudgetRequestByID(ctx context.Context, id int64) (*budgets.Request, error) {
	var r *budgets.Request
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = budgetRequest(ctx, tx, id)
		return err
	})
	return r, err
}

type queryRower interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func budgetRequest(ctx context.Context, q queryRower, id int64) (*budgets.Request, error) {
	r, err := scanRequest(q.QueryRowContext(ctx, `SELECT `+requestCols+requestFrom+` WHERE r.id = ?`, id))
	if err != nil {
		if err == sql.ErrNoRows {
			return nil, portal.Errorf(portal.ENOTFOUND, "There is no budget request %d.", id)
		}
		return nil, fmt.Errorf("cache: budget request %d: %w", id, err)
	}
	return r, nil
}
