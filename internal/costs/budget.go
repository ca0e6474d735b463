package costs

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Budget period kinds.
const (
	PeriodMonth   = "month"
	PeriodQuarter = "quarter"
	PeriodYear    = "year"
)

// PeriodKinds lists the kinds a budget may cover.
var PeriodKinds = []string{PeriodMonth, PeriodQuarter, PeriodYear}

// Period is a calendar month, quarter or year (UTC).
type Period struct {
	Kind  string
	Start time.Time
}

// End returns the first day after the period.
func (p Period) End() time.Time {
	switch p.Kind {
	case PeriodQuarter:
		return p.Start.AddDate(0, 3, 0)
	case PeriodYear:
		return p.Start.AddDate(1, 0, 0)
	}
	return p.Start.AddDate(0, 1, 0)
}

// Days returns the number of days in the period.
func (p Period) Days() int { return int(p.End().Sub(p.Start).Hours() / 24) }

// Label writes the period as it is entered: "2026-03", "2026-Q1", "2026".
func (p Period) Label() string {
	switch p.Kind {
	case PeriodQuarter:
		return fmt.Sprintf("%d-Q%d", p.Start.Year(), (int(p.Start.Month())-1)/3+1)
	case PeriodYear:
		return strconv.Itoa(p.Start.Year())
	}
	return p.Start.Format("2006-01")
}

// PeriodOf returns the period of kind that holds t.
func PeriodOf(kind string, t time.Time) Period {
	t = t.UTC()
	switch kind {
	case PeriodQuarter:
		return Period{kind, time.Date(t.Year(), time.Month((int(t.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)}
	case PeriodYear:
		return Period{kind, time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)}
	}
	return Period{PeriodMonth, Month(t)}
}

// ParsePeriod reads a period of kind from its label ("2026-03", "2026-Q1", "2026").
func ParsePeriod(kind, label string) (Period, error) {
	label = strings.TrimSpace(label)
	switch kind {
	case PeriodMonth:
		t, err := ParseMonth(label)
		return Period{kind, t}, err
	case PeriodQuarter:
		y, q, ok := strings.Cut(label, "-Q")
		year, err1 := strconv.Atoi(y)
		n, err2 := strconv.Atoi(q)
		if !ok || err1 != nil || err2 != nil || n < 1 || n > 4 || year < 2000 || year > 2999 {
			return Period{}, fmt.Errorf("%q is not a quarter (YYYY-Qn)", label)
		}
		return Period{kind, time.Date(year, time.Month(3*(n-1)+1), 1, 0, 0, 0, 0, time.UTC)}, nil
	case PeriodYear:
		year, err := strconv.Atoi(label)
		if err != nil || year < 2000 || year > 2999 {
			return Period{}, fmt.Errorf("%q is not a year (YYYY)", label)
		}
		return Period{kind, time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
	}
	return Period{}, fmt.Errorf("%q is not one of %s", kind, strings.Join(PeriodKinds, ", "))
}

// Budget is what a project may spend in a period, in the base currency,
// as an admin set it.
type Budget struct {
	ID               int64
	Project          string
	Period           Period
	Amount           decimal.Decimal
	Note             string
	SetBy, SetByName string
	SetAt            time.Time
}

// Budget levels.
const (
	LevelOK   = "ok"
	LevelWarn = "warn"
	LevelOver = "over"
)

// BudgetStatus is a budget against what was spent in its period, from all
// sources, in the base currency.
type BudgetStatus struct {
	Budget
	Spent     decimal.Decimal
	Remaining decimal.Decimal
	// UsedPct is Spent as a percentage of the budget (one decimal).
	UsedPct decimal.Decimal
	// Elapsed is the days of the period up to AsOf; Burn is Spent per
	// elapsed day; Projected is the spend at the end of the period at that
	// rate.
	Elapsed   int
	Burn      decimal.Decimal
	Projected decimal.Decimal
	// RunOut is the day the remaining budget runs out at the burn rate
	// (zero when it does not run out: nothing is spent); RunsOutEarly says
	// it is before the period ends.
	RunOut       time.Time
	RunsOutEarly bool
	AsOf         time.Time
	// Level is LevelOver past the budget, LevelWarn at WarnPct or when it
	// runs out before the period ends, else LevelOK.
	Level   string
	WarnPct decimal.Decimal
}

// EvaluateBudget compares b with spent, the period's spend as of asOf.
func EvaluateBudget(b Budget, spent decimal.Decimal, asOf time.Time, warnPct decimal.Decimal) BudgetStatus {
	st := BudgetStatus{Budget: b, Spent: spent, Remaining: b.Amount.Sub(spent), WarnPct: warnPct}
	start, end := b.Period.Start, b.Period.End()
	at := asOf.UTC()
	if at.After(end) {
		at = end
	}
	if at.Before(start) {
		at = start
	}
	st.AsOf = at
	st.Elapsed = max(1, int((at.Sub(start)+24*time.Hour-time.Second)/(24*time.Hour)))
	st.Elapsed = min(st.Elapsed, b.Period.Days())
	hundred := decimal.NewFromInt(100)
	if !b.Amount.IsZero() {
		st.UsedPct, _ = spent.Mul(hundred).DivRound(b.Amount, 1)
	}
	st.Burn, _ = spent.DivRound(decimal.NewFromInt(int64(st.Elapsed)), 6)
	st.Projected = st.Burn.Mul(decimal.NewFromInt(int64(b.Period.Days()))).Round(MoneyPlaces)
	if st.Burn.Sign() > 0 {
		if st.Remaining.Sign() <= 0 {
			st.RunOut = Day(at)
		} else {
			days, _ := st.Remaining.DivRound(st.Burn, 0)
			n, _ := strconv.Atoi(days.String())
			st.RunOut = Day(at).AddDate(0, 0, n)
		}
		st.RunsOutEarly = st.RunOut.Before(end)
	}
	switch {
	case spent.Cmp(b.Amount) > 0:
		st.Level = LevelOver
	case !b.Amount.IsZero() && st.UsedPct.Cmp(warnPct) >= 0, st.RunsOutEarly:
		st.Level = LevelWarn
	default:
		st.Level = LevelOK
	}
	return st
}
