package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// Budget requests: a manager asks for a top-up of a virtual lab, an
// assignment to a project, a reversal from a project or a move between
// two projects of a lab; an admin approves (which queues the OBI call in
// the outbox, in the same transaction) or denies it with a reason.
//
//	pending -> approved -> applied | failed | needs-reconciliation
//	pending -> denied | cancelled
//	needs-reconciliation -> applied | failed   (an admin, after checking OBI)
//
// OBI's budget calls are not idempotent, so an approval is a conditional
// update from pending: of two approvals racing, one queues the call and
// the other is told who was first.

// Budget request kinds.
const (
	BudgetTopUp   = "top-up"
	BudgetAssign  = "assign"
	BudgetReverse = "reverse"
	BudgetMove    = "move"
)

// BudgetKinds lists the kinds in form order.
var BudgetKinds = []string{BudgetTopUp, BudgetAssign, BudgetReverse, BudgetMove}

// Budget request states.
const (
	RequestPending             = "pending"
	RequestApproved            = "approved"
	RequestApplied             = "applied"
	RequestFailed              = "failed"
	RequestNeedsReconciliation = "needs-reconciliation"
	RequestDenied              = "denied"
	RequestCancelled           = "cancelled"
)

// RequestStates lists the states in the order of their lifecycle.
var RequestStates = []string{RequestPending, RequestApproved, RequestApplied, RequestFailed, RequestNeedsReconciliation,
	RequestDenied, RequestCancelled}

// NewBudgetRequest is what a manager asks for; the handler has validated it.
type NewBudgetRequest struct {
	Kind                   string
	VlabID                 string
	ProjID, ProjectKey     string
	ToProjID, ToProjectKey string
	Amount                 decimal.Decimal // positive, at most 2 decimals
	Justification          string
	Actor, ActorName       string
}

// CachedBalance is a balance as last synced; Known is false before that.
type CachedBalance struct {
	Value decimal.Decimal
	Known bool
}

// BudgetRequest is a stored request with the names and cached balances
// of the accounts it involves.
type BudgetRequest struct {
	ID                             int64
	Kind                           string
	VlabID, VlabName               string
	ProjID, ProjectKey, ProjName   string
	ToProjID, ToProjectKey, ToName string
	Amount                         decimal.Decimal
	Justification                  string
	State                          string
	RequestedBy, RequestedByName   string
	Created, Updated               time.Time
	DecidedBy, DecidedByName       string
	Decided                        time.Time
	DenyReason                     string
	OutboxID                       int64
	UpstreamError                  string
	Delivery                       BudgetDelivery
	SettledBy, SettledByName       string
	Settled                        time.Time
	SettleReason                   string
	// LabBalance, ProjBalance and ToBalance are the cached balances of the
	// lab and the project(s) involved.
	LabBalance, ProjBalance, ToBalance CachedBalance
}

// BudgetPayload is the outbox payload of an approved request.
type BudgetPayload struct {
	RequestID int64           `json:"request_id"`
	Kind      string          `json:"kind"`
	VlabID    string          `json:"vlab_id"`
	ProjID    string          `json:"proj_id,omitempty"`
	ToProjID  string          `json:"to_proj_id,omitempty"`
	Amount    decimal.Decimal `json:"amount"`
}

// Account is an OBI account a request involves.
type Account struct {
	Kind string `json:"kind"` // "vlab" or "project"
	ID   string `json:"id"`
}

// Accounts lists the accounts whose balances the request changes.
func (p BudgetPayload) Accounts() []Account {
	switch p.Kind {
	case BudgetTopUp:
		return []Account{{"vlab", p.VlabID}}
	case BudgetAssign, BudgetReverse:
		return []Account{{"vlab", p.VlabID}, {"project", p.ProjID}}
	case BudgetMove:
		return []Account{{"project", p.ProjID}, {"project", p.ToProjID}}
	}
	return nil
}

// Change is how the request changes an account's balance when applied.
func (p BudgetPayload) Change(a Account) decimal.Decimal {
	plus, minus := p.Amount, p.Amount.Neg()
	switch {
	case p.Kind == BudgetTopUp && a.Kind == "vlab":
		return plus
	case p.Kind == BudgetAssign && a.Kind == "vlab", p.Kind == BudgetReverse && a.Kind == "project", p.Kind == BudgetMove && a.ID == p.ProjID:
		return minus
	case p.Kind == BudgetAssign && a.Kind == "project", p.Kind == BudgetReverse && a.Kind == "vlab", p.Kind == BudgetMove && a.ID == p.ToProjID:
		return plus
	}
	return decimal.Zero
}

// Payload returns the outbox payload of r.
func (r *BudgetRequest) Payload() BudgetPayload {
	return BudgetPayload{RequestID: r.ID, Kind: r.Kind, VlabID: r.VlabID, ProjID: r.ProjID, ToProjID: r.ToProjID, Amount: r.Amount}
}

// BudgetDelivery is what the deliverer saw: the balances of the accounts
// involved just before the call and, when the outcome is unknown or the
// call succeeded, just after it.
type BudgetDelivery struct {
	Before     *BalanceReading `json:"before,omitempty"`
	After      *BalanceReading `json:"after,omitempty"`
	AfterError string          `json:"after_error,omitempty"`
}

// BalanceReading is one reading of some accounts' balances.
type BalanceReading struct {
	At       time.Time        `json:"at"`
	Accounts []AccountBalance `json:"accounts"`
}

// AccountBalance is one account's balance in a reading.
type AccountBalance struct {
	Account
	Balance     decimal.Decimal `json:"balance"`
	Reservation decimal.Decimal `json:"reservation"`
}

// Find returns the reading of account a.
func (r *BalanceReading) Find(a Account) (AccountBalance, bool) {
	if r == nil {
		return AccountBalance{}, false
	}
	for _, b := range r.Accounts {
		if b.Account == a {
			return b, true
		}
	}
	return AccountBalance{}, false
}

func requestSubject(id int64) string { return "budget_request:" + strconv.FormatInt(id, 10) }

// BudgetRequestRef is the outbox ref of a request.
func BudgetRequestRef(id int64) string { return requestSubject(id) }

// CreateBudgetRequest records a pending request and returns its id.
func (db *DB) CreateBudgetRequest(ctx context.Context, n NewBudgetRequest) (int64, error) {
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
		return db.audit(ctx, tx, portal.AuditEntry{Actor: n.Actor, ActorName: n.ActorName, Subject: requestSubject(id), To: RequestPending,
			Reason: n.Justification})
	})
	if err != nil {
		return 0, fmt.Errorf("cache: create budget request: %w", err)
	}
	return id, nil
}

// cents is an amount of at most 2 decimals in hundredths, exactly.
func cents(d decimal.Decimal) int64 { return Nanos(d) / 10_000_000 }

const requestCols = `r.id, r.kind, r.vlab_id, COALESCE(l.name, ''), r.proj_id, r.project_key, COALESCE(p.name, ''),
	r.to_proj_id, r.to_project_key, COALESCE(p2.name, ''), r.amount, r.justification, r.state, r.requested_by, r.requested_by_name,
	r.created_at, r.updated_at, r.decided_by, r.decided_by_name, r.decided_at, r.deny_reason, COALESCE(r.outbox_id, 0),
	r.upstream_error, r.delivery, r.settled_by, r.settled_by_name, r.settled_at, r.settle_reason,
	lb.balance, pb.balance, pb2.balance`

const requestFrom = ` FROM ` + requestTables

const requestTables = `budget_requests r
	LEFT JOIN virtual_labs l ON l.id = r.vlab_id
	LEFT JOIN projects p ON p.key = r.project_key
	LEFT JOIN projects p2 ON p2.key = r.to_project_key
	LEFT JOIN obi_lab_balances lb ON lb.vlab_id = r.vlab_id
	LEFT JOIN obi_project_balances pb ON pb.proj_id = r.proj_id AND r.proj_id <> ''
	LEFT JOIN obi_project_balances pb2 ON pb2.proj_id = r.to_proj_id AND r.to_proj_id <> ''`

func scanRequest(row rowScanner) (*BudgetRequest, error) {
	var r BudgetRequest
	var created, updated, decided, settled int64
	var delivery string
	var lab, proj, to decimal.Null // NULL: the account's balance was never read
	err := row.Scan(&r.ID, &r.Kind, &r.VlabID, &r.VlabName, &r.ProjID, &r.ProjectKey, &r.ProjName, &r.ToProjID, &r.ToProjectKey,
		&r.ToName, &r.Amount, &r.Justification, &r.State, &r.RequestedBy, &r.RequestedByName, &created, &updated, &r.DecidedBy,
		&r.DecidedByName, &decided, &r.DenyReason, &r.OutboxID, &r.UpstreamError, &delivery, &r.SettledBy, &r.SettledByName,
		&settled, &r.SettleReason, &lab, &proj, &to)
	if err != nil {
		return nil, err
	}
	r.Created, r.Updated, r.Decided, r.Settled = unix(created), unix(updated), unix(decided), unix(settled)
	if delivery != "" {
		if err := json.Unmarshal([]byte(delivery), &r.Delivery); err != nil {
			return nil, fmt.Errorf("request %d: delivery: %w", r.ID, err)
		}
	}
	r.LabBalance = CachedBalance{Value: lab.Decimal, Known: lab.Valid}
	r.ProjBalance = CachedBalance{Value: proj.Decimal, Known: proj.Valid}
	r.ToBalance = CachedBalance{Value: to.Decimal, Known: to.Valid}
	return &r, nil
}

// BudgetRequestByID returns one request (ENOTFOUND if there is none).
func (db *DB) BudgetRequestByID(ctx context.Context, id int64) (*BudgetRequest, error) {
	var r *BudgetRequest
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

func budgetRequest(ctx context.Context, q queryRower, id int64) (*BudgetRequest, error) {
	r, err := scanRequest(q.QueryRowContext(ctx, `SELECT `+requestCols+requestFrom+` WHERE r.id = ?`, id))
	if err != nil {
		if err == sql.ErrNoRows {
			return nil, portal.Errorf(portal.ENOTFOUND, "There is no budget request %d.", id)
		}
		return nil, fmt.Errorf("cache: budget request %d: %w", id, err)
	}
	return r, nil
}
