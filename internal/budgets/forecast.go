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
	f := Forecast{Overdrawn: balance.Sign() < 0}
	f.Burn7, _ = spend7.DivRound(decimal.NewFromInt(7), 6)
	f.Burn30, _ = spend30.DivRound(decimal.NewFromInt(30), 6)
	f.RunOut7 = runOut(balance, f.Burn7, now)
	f.RunOut30 = runOut(balance, f.Burn30, now)
	for _, t := range []time.Time{f.RunOut7, f.RunOut30} {
		if !t.IsZero() && t.Sub(now) <= RunOutWarning {
			f.Soon = true
		}
	}
	return f
}

// runOut is when balance is spent at burn per day: now if it is already
// spent, zero if nothing is being spent.
func runOut(balance, burn decimal.Decimal, now time.Time) time.Time {
	if burn.Sign() <= 0 {
		return time.Time{}
	}
	if balance.Sign() <= 0 {
		return now
	}
	days, err := balance.DivRound(burn, 6)
	if err != nil {
		return time.Time{}
	}
	s, err := strconv.ParseInt(days.Mul(decimal.NewFromInt(86400)).StringFixed(0), 10, 64)
	if err != nil || s > int64(maxHorizon/time.Second) {
		return now.Add(maxHorizon)
	}
	return now.Add(time.Duration(s) * time.Second)
}

// SpendWindows returns the starts of the 7- and 30-day windows that end at
// today's UTC midnight: burn rates use full days only, so they do not
// dip every morning while today's jobs are still to come.
func SpendWindows(now time.Time) (from7, from30, to time.Time) {
	y, m, d := now.UTC().Date()
	to = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return to.AddDate(0, 0, -7), to.AddDate(0, 0, -30), to
}
