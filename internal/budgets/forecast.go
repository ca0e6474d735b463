package budgets

import (
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// RunOutWarning is how close a projected run-out date must be for a
// project to be flagged.
const RunOutWarning = 14 * 24 * time.Hour

// Forecast is a project's burn rate over the last 7 and 30 full days and
// the moment its balance runs out if it keeps spending at that rate.
type Forecast struct {
	Burn7, Burn30 decimal.Decimal // credits per day
	// RunOut7 and RunOut30 are zero when the rate is zero ("not at this rate").
	RunOut7, RunOut30 time.Time
	// Overdrawn is set when the balance is below zero.
	Overdrawn bool
	// Soon is set when either rate runs the balance out within RunOutWarning.
	Soon bool
}

// maxHorizon caps a projection: a run-out centuries away is "not at this rate" in all but name.
const maxHorizon = 100 * 365 * 24 * time.Hour

// NewForecast computes a forecast from a balance and the spend of the 7
// and 30 full days before now, exactly (decimal arithmetic; only the
// final number of seconds is an integer).
func NewForecast(balance, spend7, spend30 decimal.Decimal, now time.Time) Forecast {
	return NewProjection(balance, spend7, spend30).At(now)
}

// Projection is the part of a forecast that does not depend on the
// moment it is asked for: the burn rates and how long the balance lasts
// at each. It changes only with the balance and the spend, so a page can
// keep it for as long as those (see the cache's budget overview) and
// place it in time on each request, which is cheap: the exact division
// is the costly part.
type Projection struct {
	Burn7, Burn30 decimal.Decimal
	// Left7 and Left30 are how long the balance lasts at each rate;
	// negative when the rate is zero ("not at this rate").
	Left7, Left30 time.Duration
	Overdrawn     bool
}

// NewProjection computes the rates and durations of a forecast exactly.
func NewProjection(balance, spend7, spend30 decimal.Decimal) Projection {
	p := Projection{Overdrawn: balance.Sign() < 0}
	p.Burn7, _ = spend7.DivRound(decimal.NewFromInt(7), 6)
	p.Burn30, _ = spend30.DivRound(decimal.NewFromInt(30), 6)
	p.Left7 = lasts(balance, p.Burn7)
	p.Left30 = lasts(balance, p.Burn30)
	return p
}

// At places the projection at now.
func (p Projection) At(now time.Time) Forecast {
	f := Forecast{Burn7: p.Burn7, Burn30: p.Burn30, Overdrawn: p.Overdrawn}
	at := func(left time.Duration) time.Time {
		if left < 0 {
			return time.Time{}
		}
		if left <= RunOutWarning {
			f.Soon = true
		}
		return now.Add(left)
	}
	f.RunOut7, f.RunOut30 = at(p.Left7), at(p.Left30)
	return f
}

// lasts is how long balance lasts at burn per day: zero if it is already
// spent, negative if nothing is being spent.
func lasts(balance, burn decimal.Decimal) time.Duration {
	if burn.Sign() <= 0 {
		return -1
	}
	if balance.Sign() <= 0 {
		return 0
	}
	days, err := balance.DivRound(burn, 6)
	if err != nil {
		return -1
	}
	s, err := strconv.ParseInt(days.Mul(decimal.NewFromInt(86400)).StringFixed(0), 10, 64)
	if err != nil || s > int64(maxHorizon/time.Second) {
		return maxHorizon
	}
	return time.Duration(s) * time.Second
}

// SpendWindows returns the starts of the 7- and 30-day windows that end at
// today's UTC midnight: burn rates use full days only, so they do not
// dip every morning while today's jobs are still to come.
func SpendWindows(now time.Time) (from7, from30, to time.Time) {
	y, m, d := now.UTC().Date()
	to = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return to.AddDate(0, 0, -7), to.AddDate(0, 0, -30), to
}
