// Package budgets is the domain of the Budgets pages (OBI): budget
// requests and their state machine, what the OBI call of an approved
// request read and changed, the forecast of a project's spending, and the
// rows and filters the pages and the sync read and write. It holds no SQL
// and no client: internal/cache stores these types, internal/outbox
// delivers a request's payload, internal/syncer fills the read model.
package budgets

import (
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Budget requests: a manager asks for a top-up of a virtual lab, an
// assignment to a project, a reversal from a project or a move between
// two projects of a lab; an admin approves (which queues the OBI call in
// the outbox, in the same transaction) or denies it with a reason.
//
//	pending -> approved -> applied | failed | needs-reconciliation
//	pending -> denied | cancelled
//	needs-reconciliation -> applied | failed   (an admin, after checking OBI)
//	failed -> approved                         (an admin sent the call again)
//
// OBI's budget calls are not idempotent, so an approval is a conditional
// update from pending: of two approvals racing, one queues the call and
// the other is told who was first (DecidedConflict).

// Request kinds.
const (
	TopUp   = "top-up"
	Assign  = "assign"
	Reverse = "reverse"
	Move    = "move"
)

// Kinds lists the kinds in form order.
var Kinds = []string{TopUp, Assign, Reverse, Move}

// Request states.
const (
	Pending             = "pending"
	Approved            = "approved"
	Applied             = "applied"
	Failed              = "failed"
	NeedsReconciliation = "needs-reconciliation"
	Denied              = "denied"
	Cancelled           = "cancelled"
)

// States lists the states in the order of their lifecycle.
var States = []string{Pending, Approved, Applied, Failed, NeedsReconciliation, Denied, Cancelled}

// NewRequest is what a manager asks for; the handler has validated it.
type NewRequest struct {
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

// Request is a stored request with the names and cached balances of the
// accounts it involves.
type Request struct {
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
	Delivery                       Delivery
	SettledBy, SettledByName       string
	Settled                        time.Time
	SettleReason                   string
	// ApprovedAmount is set when an admin approved less than was asked
	// (see Granted); ApproveNote is the note they left when approving.
	ApprovedAmount decimal.Null
	ApproveNote    string
	// LabBalance, ProjBalance and ToBalance are the cached balances of the
	// lab and the project(s) involved.
	LabBalance, ProjBalance, ToBalance CachedBalance
}

// RequestRef is a request's outbox ref and audit subject.
func RequestRef(id int64) string { return "budget_request:" + strconv.FormatInt(id, 10) }

// Summary describes the request in one line, e.g. "Assign 500.00 credits
// from Cortex Lab to Neural Circuit Simulation".
func (r *Request) Summary() string {
	amt := r.Amount.StringFixed(2) + " credits"
	lab, proj, to := orID(r.VlabName, r.VlabID), orID(r.ProjName, r.ProjectKey), orID(r.ToName, r.ToProjectKey)
	switch r.Kind {
	case TopUp:
		return "Top up " + lab + " with " + amt
	case Assign:
		return "Assign " + amt + " from " + lab + " to " + proj
	case Reverse:
		return "Return " + amt + " from " + proj + " to " + lab
	case Move:
		return "Move " + amt + " from " + proj + " to " + to + " (" + lab + ")"
	}
	return r.Kind + " " + amt
}

func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// Payload returns the outbox payload of r.
func (r *Request) Payload() Payload {
	return Payload{RequestID: r.ID, Kind: r.Kind, VlabID: r.VlabID, ProjID: r.ProjID, ToProjID: r.ToProjID, Amount: r.Granted()}
}

// Payload is the outbox payload of an approved request: the OBI call.
type Payload struct {
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
func (p Payload) Accounts() []Account {
	switch p.Kind {
	case TopUp:
		return []Account{{"vlab", p.VlabID}}
	case Assign, Reverse:
		return []Account{{"vlab", p.VlabID}, {"project", p.ProjID}}
	case Move:
		return []Account{{"project", p.ProjID}, {"project", p.ToProjID}}
	}
	return nil
}

// Change is how the request changes an account's balance when applied.
func (p Payload) Change(a Account) decimal.Decimal {
	plus, minus := p.Amount, p.Amount.Neg()
	switch {
	case p.Kind == TopUp && a.Kind == "vlab":
		return plus
	case p.Kind == Assign && a.Kind == "vlab", p.Kind == Reverse && a.Kind == "project", p.Kind == Move && a.ID == p.ProjID:
		return minus
	case p.Kind == Assign && a.Kind == "project", p.Kind == Reverse && a.Kind == "vlab", p.Kind == Move && a.ID == p.ToProjID:
		return plus
	}
	return decimal.Zero
}

// Delivery is what the deliverer saw: the balances of the accounts
// involved just before the call and, when the outcome is unknown or the
// call succeeded, just after it.
type Delivery struct {
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
