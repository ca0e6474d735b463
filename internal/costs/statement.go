package costs

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// MoneyPlaces is how many decimals a statement shows an amount with.
const MoneyPlaces = 2

// StatementLine is one priced line of a statement: a measure of a source
// in one scope, priced at one rate version and converted at one FX
// version, over the days of the month that share both.
type StatementLine struct {
	Source, Measure, Scope string
	First, Last            time.Time // the first and last day it covers
	Days                   int
	Quantity               decimal.Decimal
	Unit                   string // the quantity's unit in full ("core-hours")
	RateID                 int64
	Price                  decimal.Decimal
	Currency               string
	PerUnit                string // the price's unit in full ("CHF per core-hour")
	FXID                   int64
	FXRate                 decimal.Decimal // units of Currency per base unit (1 for the base)
	// Amount and AmountBase are the exact sums of the days' amounts;
	// Charged is AmountBase rounded to MoneyPlaces: what the statement adds up.
	Amount, AmountBase decimal.Decimal
	Charged            decimal.Decimal
}

// UnpricedLine is usage the statement does not charge, and why.
type UnpricedLine struct {
	Source, Measure, Scope string
	First, Last            time.Time
	Days                   int
	Quantity               decimal.Decimal
	Unit                   string
	Reason                 string
}

// SourceTotal is what a statement charges for one source.
type SourceTotal struct {
	Source string
	Total  decimal.Decimal // the sum of the source's rounded lines
}

// Statement is one project's month: its priced lines (lines that charge
// nothing are dropped), what was not priced and why, the totals per
// source and the total, in the base currency.
type Statement struct {
	Project, ProjectName string
	Month                time.Time
	Base                 string
	Lines                []StatementLine
	Unpriced             []UnpricedLine
	Totals               []SourceTotal
	Total                decimal.Decimal
}

// PerUnit writes the unit of a price in full for a measure: "CHF per
// core-hour"; for ARGO's measures the unit of the metric definition.
func PerUnit(source, measure, units, currency string) string {
	if m, ok := LookupMeasure(source, measure); ok {
		return m.PerUnit(currency)
	}
	return currency + " per " + units
}

// BuildStatement groups a month of a project's ledger lines into a
// statement. Lines group by source, measure, scope, rate version and FX
// version, so a rate that changes mid-month gives two lines, each with
// its days. Each line's base amount is the exact sum of its days' amounts,
// rounded half to even to cents once; the totals add up the rounded lines,
// so the statement adds up as printed. A line that charges 0.00 is dropped.
func BuildStatement(project, name string, month time.Time, base string, lines []Line) Statement {
	st := Statement{Project: project, ProjectName: name, Month: Month(month), Base: base}
	priced := map[string]*StatementLine{}
	unpriced := map[string]*UnpricedLine{}
	for _, l := range lines {
		if !l.Priced() {
			k := l.Source + "|" + l.Measure + "|" + l.Scope + "|" + l.Unpriced
			u := unpriced[k]
			if u == nil {
				u = &UnpricedLine{Source: l.Source, Measure: l.Measure, Scope: l.Scope, First: l.Day, Last: l.Day, Unit: l.Unit, Reason: l.Unpriced}
				unpriced[k] = u
			}
			u.Quantity = u.Quantity.Add(l.Quantity)
			u.Days++
			u.First, u.Last = minTime(u.First, l.Day), maxTime(u.Last, l.Day)
			continue
		}
		k := l.Source + "|" + l.Measure + "|" + l.Scope + "|" + strconv.FormatInt(l.RateID, 10) + "|" + strconv.FormatInt(l.FXID, 10)
		s := priced[k]
		if s == nil {
			s = &StatementLine{Source: l.Source, Measure: l.Measure, Scope: l.Scope, First: l.Day, Last: l.Day, Unit: l.Unit,
				RateID: l.RateID, Price: l.Price, Currency: l.Currency, PerUnit: PerUnit(l.Source, l.Measure, l.Unit, l.Currency),
				FXID: l.FXID, FXRate: l.FXRate}
			priced[k] = s
		}
		s.Quantity = s.Quantity.Add(l.Quantity)
		s.Amount = s.Amount.Add(l.Amount)
		s.AmountBase = s.AmountBase.Add(l.AmountBase)
		s.Days++
		s.First, s.Last = minTime(s.First, l.Day), maxTime(s.Last, l.Day)
	}
	totals := map[string]decimal.Decimal{}
	for _, s := range priced {
		s.Charged = s.AmountBase.Round(MoneyPlaces)
		if s.Charged.IsZero() {
			continue
		}
		st.Lines = append(st.Lines, *s)
		totals[s.Source] = totals[s.Source].Add(s.Charged)
	}
	sort.Slice(st.Lines, func(i, j int) bool {
		a, b := st.Lines[i], st.Lines[j]
		if c := compareLines(a.Source, a.Measure, a.Scope, b.Source, b.Measure, b.Scope); c != 0 {
			return c < 0
		}
		return a.First.Before(b.First)
	})
	for _, u := range unpriced {
		if !u.Quantity.IsZero() {
			st.Unpriced = append(st.Unpriced, *u)
		}
	}
	sort.Slice(st.Unpriced, func(i, j int) bool {
		a, b := st.Unpriced[i], st.Unpriced[j]
		if c := compareLines(a.Source, a.Measure, a.Scope, b.Source, b.Measure, b.Scope); c != 0 {
			return c < 0
		}
		return a.First.Before(b.First)
	})
	st.Total = decimal.Zero.Round(MoneyPlaces)
	for _, src := range Sources {
		if t, ok := totals[src]; ok {
			st.Totals = append(st.Totals, SourceTotal{Source: src, Total: t})
			st.Total = st.Total.Add(t)
		}
	}
	return st
}

// compareLines orders what is priced the way statements and rate cards
// list it: by source in the order of Sources, then measure, then scope.
func compareLines(aSource, aMeasure, aScope, bSource, bMeasure, bScope string) int {
	if aSource != bSource {
		return cmp.Compare(slices.Index(Sources, aSource), slices.Index(Sources, bSource))
	}
	if c := cmp.Compare(aMeasure, bMeasure); c != 0 {
		return c
	}
	return cmp.Compare(aScope, bScope)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
