package outbox

import (
	"context"
	"encoding/json"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/clients/obi"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// OBIBudgetClient is what the budget deliverer calls; *obi.Client implements it.
type OBIBudgetClient interface {
	VirtualLabBalanceWithProjects(ctx context.Context, vlabID string) (obi.VirtualLabBalance, error)
	TopUp(ctx context.Context, vlabID string, amount decimal.Decimal) error
	Assign(ctx context.Context, vlabID, projID string, amount decimal.Decimal) error
	Reverse(ctx context.Context, vlabID, projID string, amount decimal.Decimal) error
	Move(ctx context.Context, vlabID, fromProjID, toProjID string, amount decimal.Decimal) error
}

// OBIBudget delivers approved budget requests (portal.KindOBIBudget).
//
// OBI's budget calls are not idempotent and cannot be looked up (the
// service has no ledger endpoint), so OBIBudget is not a Checker: a call
// whose outcome is unknown (no answer, a 5xx, an unreadable 2xx) goes to
// an admin and is never sent again by the portal; only a call that
// provably had no effect (never written, refused connection, 429) is. To
// help the admin, every attempt reads the balances of the accounts
// involved just before the call and again just after it, whatever came of
// it; the readings are the attempt's result. The request keeps the
// reading from before its first call (budgets.Delivery), and each
// attempt's readings stay with the attempt, so the admin sees what moved.
type OBIBudget struct {
	Client OBIBudgetClient
	// OnApplied is called after a call succeeded; the app triggers an OBI
	// sync so the new balances show.
	OnApplied func()
	// AfterTimeout bounds the reading after the call (default 30 s); it
	// gets its own time, as the call may have used up the delivery's.
	AfterTimeout time.Duration
	Now          func() time.Time
}

// Deliver sends one budget operation between two balance readings.
func (d OBIBudget) Deliver(ctx context.Context, it portal.OutboxItem) (string, error) {
	var p budgets.Payload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		return "", portal.WrapError(portal.EINVALID, err, "the budget request in outbox item %d cannot be read", it.ID)
	}
	before, err := d.read(ctx, p)
	if err != nil {
		return "", portal.WrapError(portal.ErrorCode(err), err, "reading the balances before sending (nothing was sent): %s", portal.ErrorMessage(err))
	}
	rec := budgets.Delivery{Before: before}
	err = d.send(ctx, p)
	var aerr error
	if rec.After, aerr = d.readAfter(ctx, p); aerr != nil {
		rec.AfterError = portal.ErrorMessage(aerr)
	}
	if err == nil && d.OnApplied != nil {
		d.OnApplied()
	}
	b, merr := json.Marshal(rec)
	if merr != nil {
		return "", portal.WrapError(portal.EINTERNAL, merr, "encoding the balance readings")
	}
	return string(b), err
}

func (d OBIBudget) send(ctx context.Context, p budgets.Payload) error {
	switch p.Kind {
	case budgets.TopUp:
		return d.Client.TopUp(ctx, p.VlabID, p.Amount)
	case budgets.Assign:
		return d.Client.Assign(ctx, p.VlabID, p.ProjID, p.Amount)
	case budgets.Reverse:
		return d.Client.Reverse(ctx, p.VlabID, p.ProjID, p.Amount)
	case budgets.Move:
		return d.Client.Move(ctx, p.VlabID, p.ProjID, p.ToProjID, p.Amount)
	}
	return portal.Errorf(portal.EINVALID, "unknown budget request kind %q", p.Kind)
}

// readAfter reads the balances after the call, with time of its own.
func (d OBIBudget) readAfter(ctx context.Context, p budgets.Payload) (*budgets.BalanceReading, error) {
	t := d.AfterTimeout
	if t <= 0 {
		t = 30 * time.Second
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t)
	defer cancel()
	return d.read(actx, p)
}

// read reads the balances of the accounts p involves, in one call: the
// lab's balance with its projects'. A project missing from the lab is
// left out (OBI will refuse the call and say why).
func (d OBIBudget) read(ctx context.Context, p budgets.Payload) (*budgets.BalanceReading, error) {
	b, err := d.Client.VirtualLabBalanceWithProjects(ctx, p.VlabID)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	r := &budgets.BalanceReading{At: now().UTC()}
	for _, a := range p.Accounts() {
		if a.Kind == "vlab" {
			r.Accounts = append(r.Accounts, budgets.AccountBalance{Account: a, Balance: b.Balance, Reservation: decimal.Zero})
			continue
		}
		for _, pb := range b.Projects {
			if pb.ProjID == a.ID {
				r.Accounts = append(r.Accounts, budgets.AccountBalance{Account: a, Balance: pb.Balance, Reservation: pb.Reservation})
			}
		}
	}
	return r, nil
}
