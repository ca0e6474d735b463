package budgets

import (
	"strings"
	"unicode/utf8"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// Approval is an admin's decision to approve a request: by whom, an
// optional note the requester reads, and optionally a smaller amount than
// was asked (never a larger one).
type Approval struct {
	Actor, ActorName string
	// Amount is the amount approved; zero approves the whole amount asked.
	Amount decimal.Decimal
	Note   string
}

// MaxNote bounds an approval note, in characters.
const MaxNote = 2000

// CheckApproval checks an approval of r and returns the amount that will
// be moved: the amount asked, or a smaller positive one with at most 2
// decimals (OBI's precision). A larger amount would move credits nobody
// asked for, so it is refused.
func CheckApproval(r *Request, a Approval) (decimal.Decimal, error) {
	if utf8.RuneCountInString(strings.TrimSpace(a.Note)) > MaxNote {
		return decimal.Zero, portal.Errorf(portal.EINVALID, "Keep the note under %d characters.", MaxNote)
	}
	if a.Amount.IsZero() {
		return r.Amount, nil
	}
	switch {
	case a.Amount.Sign() < 0:
		return decimal.Zero, portal.Errorf(portal.EINVALID, "Request %d: the amount approved must be more than 0.", r.ID)
	case a.Amount.Cmp(r.Amount) > 0:
		return decimal.Zero, portal.Errorf(portal.EINVALID, "Request %d: the amount approved (%s) is more than the %s credits asked for; approve at most what was asked.",
			r.ID, a.Amount.StringFixed(2), r.Amount.StringFixed(2))
	case !a.Amount.Equal(a.Amount.Round(2)):
		return decimal.Zero, portal.Errorf(portal.EINVALID, "Request %d: use at most 2 decimal places for the amount approved.", r.ID)
	}
	return a.Amount.Round(2), nil
}

// Granted is the amount the OBI call moves: the amount approved when an
// admin approved less than was asked, else the amount asked.
func (r *Request) Granted() decimal.Decimal {
	if r.ApprovedAmount.Valid {
		return r.ApprovedAmount.Decimal
	}
	return r.Amount
}

// Reduced reports whether an admin approved less than was asked.
func (r *Request) Reduced() bool {
	return r.ApprovedAmount.Valid && r.ApprovedAmount.Decimal.Cmp(r.Amount) < 0
}

// OutboxSummary describes the OBI call of an approved request: its
// summary, and the amount approved when it is less than was asked.
func (r *Request) OutboxSummary() string {
	if !r.Reduced() {
		return r.Summary()
	}
	return r.Summary() + ", approved for " + r.Granted().StringFixed(2) + " credits"
}
