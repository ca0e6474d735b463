package templates

import (
	"math"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/decimal"
)

// One format for figures on pages: thousands separators (",") and fixed
// decimals by unit — credits and money 2, percentages 1, counts 0, means
// of counts 2, metric values the digits they have up to MetricPlaces.
// CSVs and the API's JSON write plain numbers ("721732.07") and never go
// through these.

// Decimals per unit on pages.
const (
	CreditPlaces  = 2
	MoneyPlaces   = 2
	PercentPlaces = 1
	MeanPlaces    = 2
	// MetricPlaces caps a metric value's decimals: sums of floating-point
	// values carry noise in the last digits that nobody should read.
	MetricPlaces = 4
)

// Group puts thousands separators into a plain number ("-1702854.5" →
// "-1,702,854.5"); anything else (a dash, words) comes back as it is.
func Group(s string) string {
	sign, body := "", s
	if strings.HasPrefix(body, "-") || strings.HasPrefix(body, "+") {
		sign, body = body[:1], body[1:]
	}
	whole, frac, hasFrac := strings.Cut(body, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || (hasFrac && strings.Trim(frac, "0123456789") != "") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(whole)/3)
	b.WriteString(sign)
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// Fixed prints an exact decimal rounded to places, grouped; what rounds
// to zero is "0.00", not "-0.00".
func Fixed(d decimal.Decimal, places int) string {
	s := d.StringFixed(places)
	if strings.HasPrefix(s, "-") && strings.Trim(s, "-0.") == "" {
		s = s[1:]
	}
	return Group(s)
}

// Credits prints an amount of OBI credits: "721,732.07".
func Credits(d decimal.Decimal) string { return Fixed(d, CreditPlaces) }

// Money prints an amount of money to the cent: "1,250.00".
func Money(d decimal.Decimal) string { return Fixed(d, MoneyPlaces) }

// Exact prints a decimal with every digit it has, grouped: a charge as
// the upstream gave it ("12,345.678").
func Exact(d decimal.Decimal) string {
	if d.Places() == 0 {
		return Group(d.StringFixed(0))
	}
	return Group(d.String())
}

// ExactText is Exact for a number kept as text (an upstream's own
// digits); text that is not a plain number is shown as it is.
func ExactText(s string) string { return Group(strings.TrimSpace(s)) }

// Percent prints a percentage with one decimal: "42.5 %".
func Percent(p float64) string {
	return Group(strconv.FormatFloat(noNegZero(p, PercentPlaces), 'f', PercentPlaces, 64)) + " %"
}

// PercentOf prints a decimal percentage with one decimal: "42.5 %".
func PercentOf(d decimal.Decimal) string { return Fixed(d, PercentPlaces) + " %" }

// Mean prints a mean of a count with two decimals: "1,234.50".
func Mean(f float64) string {
	return Group(strconv.FormatFloat(noNegZero(f, MeanPlaces), 'f', MeanPlaces, 64))
}

// noNegZero keeps a value that rounds to zero from printing as "-0.0".
func noNegZero(f float64, places int) float64 {
	p := math.Pow10(places)
	if math.Round(f*p) == 0 {
		return 0
	}
	return f
}
