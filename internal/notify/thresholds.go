package notify

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Thresholds are the levels at which a project's budget raises an
// event: a percentage of the budget spent in the period, and a number of
// days left before it runs out at the current burn rate. Percents are
// ascending, days descending.
type Thresholds struct {
	Percents []int
	Days     []int
}

// SiteDefaults are the thresholds of a site whose admins set none.
var SiteDefaults = Thresholds{Percents: []int{50, 80, 100}, Days: []int{14, 3}}

// Bounds of a threshold list.
const (
	MaxPercent = 1000
	MaxDays    = 366
	MaxLevels  = 8
)

// ParseThresholds reads comma- or space-separated percents and days, as
// a form or the database holds them. The error names the field and the
// value that is wrong.
func ParseThresholds(percents, days string) (Thresholds, error) {
	p, err := parseLevels(percents, "percent", 1, MaxPercent)
	if err != nil {
		return Thresholds{}, err
	}
	d, err := parseLevels(days, "days", 1, MaxDays)
	if err != nil {
		return Thresholds{}, err
	}
	return Thresholds{Percents: p, Days: d}.normalized(), nil
}

func parseLevels(s, what string, lo, hi int) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		f = strings.TrimSuffix(strings.TrimSpace(f), "%")
		n, err := strconv.Atoi(f)
		if err != nil || n < lo || n > hi {
			return nil, fmt.Errorf("%s: %q is not a whole number from %d to %d", what, f, lo, hi)
		}
		out = append(out, n)
	}
	if len(out) > MaxLevels {
		return nil, fmt.Errorf("%s: at most %d levels", what, MaxLevels)
	}
	return out, nil
}

func (t Thresholds) normalized() Thresholds {
	p := slices.Clone(t.Percents)
	slices.Sort(p)
	d := slices.Clone(t.Days)
	slices.Sort(d)
	slices.Reverse(d)
	return Thresholds{Percents: slices.Compact(p), Days: slices.Compact(d)}
}

// With returns the union of t and extra: a project's managers tighten
// the site's thresholds by adding levels, never by removing one.
func (t Thresholds) With(extra Thresholds) Thresholds {
	return Thresholds{Percents: append(slices.Clone(t.Percents), extra.Percents...), Days: append(slices.Clone(t.Days), extra.Days...)}.normalized()
}

// Only returns the levels of t that are not in site: what a project adds.
func (t Thresholds) Only(site Thresholds) Thresholds {
	var out Thresholds
	for _, p := range t.Percents {
		if !slices.Contains(site.Percents, p) {
			out.Percents = append(out.Percents, p)
		}
	}
	for _, d := range t.Days {
		if !slices.Contains(site.Days, d) {
			out.Days = append(out.Days, d)
		}
	}
	return out
}

// PercentText and DaysText write the lists as forms and the database hold them.
func (t Thresholds) PercentText() string { return joinInts(t.Percents) }

// DaysText writes the days as forms and the database hold them.
func (t Thresholds) DaysText() string { return joinInts(t.Days) }

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

// Budgets that thresholds watch.
const (
	BudgetOBI = "obi" // the OBI credits a project received in the month
	// BudgetLedgerPrefix + a period kind is a budget set on the ledger,
	// in the base currency ("ledger:month").
	BudgetLedgerPrefix = "ledger:"
)

// Metrics of a threshold.
const (
	MetricPercent = "percent"
	MetricDays    = "days"
)

// Measure is one budget of a project in its current period: what it
// received (or was given), what it spent, and when it runs out at the
// current burn rate.
type Measure struct {
	Project, ProjectName string
	Budget               string // BudgetOBI or BudgetLedgerPrefix + kind
	What                 string // "OBI credits", "the budget of 2026-Q1"
	Unit                 string // "credits", "EUR"
	Period               string // the period's label: "2026-03", "2026-Q1", "2026"
	Received, Spent      decimal.Decimal
	// RunOut is the day the budget runs out at the burn rate (zero: it
	// does not, before the period ends for a ledger budget).
	RunOut time.Time
	// Link is the page that shows the budget.
	Link string
}

// UsedPct is the share of the budget spent, in percent with one decimal;
// ok is false when nothing was received (no share to speak of).
func (m Measure) UsedPct() (decimal.Decimal, bool) {
	if m.Received.Sign() <= 0 {
		return decimal.Zero, false
	}
	p, err := m.Spent.Mul(decimal.NewFromInt(100)).DivRound(m.Received, 1)
	return p, err == nil
}

// DaysLeft is the number of whole days until the run-out (-1: none).
func (m Measure) DaysLeft(now time.Time) int {
	if m.RunOut.IsZero() {
		return -1
	}
	return max(0, int(m.RunOut.Sub(now)/(24*time.Hour)))
}

// Fired is a threshold that fired in a period (Amount: the budget then).
type Fired struct {
	Project, Budget, Period, Metric string
	Level                           int
	Amount                          decimal.Decimal
}

// Evaluation is what one measure's thresholds do now: the levels that
// fire (at most one event says so), and those that re-arm because the
// budget was topped up above them.
type Evaluation struct {
	Fire  []Fired
	Rearm []Fired
	Event *Event
}

// Evaluate checks m against th, given the levels that already fired in
// its period. A level fires once per period; it re-arms when the budget
// has grown since it fired and the measure is back below it.
func Evaluate(m Measure, th Thresholds, fired []Fired, now time.Time) Evaluation {
	var ev Evaluation
	isFired := func(metric string, level int) (Fired, bool) {
		for _, f := range fired {
			if f.Budget == m.Budget && f.Period == m.Period && f.Metric == metric && f.Level == level {
				return f, true
			}
		}
		return Fired{}, false
	}
	// walk fires the levels of metric that crossed and had not fired,
	// re-arms those back below after a top-up, and returns the last level
	// that fired now (-1: none).
	walk := func(metric string, levels []int, crossed func(level int) bool) int {
		newest := -1
		for _, level := range levels {
			f, was := isFired(metric, level)
			switch c := crossed(level); {
			case c && !was:
				ev.Fire = append(ev.Fire, Fired{m.Project, m.Budget, m.Period, metric, level, m.Received})
				newest = level
			case !c && was && m.Received.Cmp(f.Amount) > 0:
				ev.Rearm = append(ev.Rearm, f)
			}
		}
		return newest
	}
	pct, hasPct := m.UsedPct()
	overdrawn := m.Received.Sign() <= 0 && m.Spent.Sign() > 0
	newPct := walk(MetricPercent, th.Percents, func(level int) bool {
		return overdrawn || (hasPct && pct.Cmp(decimal.NewFromInt(int64(level))) >= 0)
	})
	left := m.DaysLeft(now)
	newDays := walk(MetricDays, th.Days, func(level int) bool { return left >= 0 && left <= level })
	if newPct >= 0 || newDays >= 0 {
		e := crossingEvent(m, pct, hasPct, newPct, left, newDays, now)
		ev.Event = &e
	}
	return ev
}

func crossingEvent(m Measure, pct decimal.Decimal, hasPct bool, level, left, dayLevel int, now time.Time) Event {
	name := OneLine(m.ProjectName)
	if name == "" {
		name = m.Project
	}
	var parts []string
	if level >= 0 {
		used := "more than it received"
		if hasPct {
			used = pct.String() + "%"
		}
		parts = append(parts, fmt.Sprintf("spent %s of %s (%d%% threshold)", used, m.What, level))
	}
	if dayLevel >= 0 {
		parts = append(parts, fmt.Sprintf("runs out %s at the current burn rate (%d-day threshold)", inDays(left), dayLevel))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, as of %s:\n", name, m.Period, now.UTC().Format(stamp))
	fmt.Fprintf(&b, "Budget: %s %s; spent: %s %s; remaining: %s %s.\n", m.Received.StringFixed(2), m.Unit, m.Spent.StringFixed(2), m.Unit,
		m.Received.Sub(m.Spent).StringFixed(2), m.Unit)
	if !m.RunOut.IsZero() {
		fmt.Fprintf(&b, "At the current burn rate it runs out on %s.\n", m.RunOut.UTC().Format("2006-01-02"))
	}
	b.WriteString("You are told once per period; a top-up above a threshold re-arms it.")
	return Event{Kind: KindThreshold, At: now, Actor: "system", Subject: "threshold:" + m.Project + ":" + m.Budget + ":" + m.Period,
		Project: m.Project, Title: name + ": " + strings.Join(parts, "; "), Body: b.String(), Link: m.Link}
}

func inDays(left int) string {
	switch left {
	case 0:
		return "today"
	case 1:
		return "within a day"
	}
	return "in " + strconv.Itoa(left) + " days"
}
