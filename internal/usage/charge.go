package usage

import (
	"math"
	"strings"

	"github.com/accounting-portal/portal/internal/decimal"
)

// ChargeSum adds decimal texts exactly without a big-number operation per
// value: a plain literal with at most 9 decimals that fits an int64 is
// added to an int64 per number of decimals; anything else (more decimals,
// exponents, overflow) goes through decimal.Decimal. A year of status rows
// at scale is summed on every page view, so this matters.
type ChargeSum struct {
	parts [10]int64
	used  uint16
	big   decimal.Decimal
	isBig bool
}

// Add adds the decimal text s; it fails on text that is not a number.
func (c *ChargeSum) Add(s string) error {
	if coef, places, ok := parsePlain(s); ok {
		p := c.parts[places]
		sum := p + coef
		// Overflow shows as a sign flip against both operands' signs.
		if (coef >= 0 && sum >= p) || (coef < 0 && sum < p) {
			c.parts[places] = sum
			c.used |= 1 << places
			return nil
		}
	}
	d, err := decimal.Parse(s)
	if err != nil {
		return err
	}
	c.big, c.isBig = c.big.Add(d), true
	return nil
}

// Decimal returns the exact sum.
func (c *ChargeSum) Decimal() decimal.Decimal {
	t := decimal.Zero
	for places := range c.parts {
		if c.used&(1<<places) != 0 {
			t = t.Add(decimal.New(c.parts[places], -int32(places)))
		}
	}
	if c.isBig {
		t = t.Add(c.big)
	}
	return t
}

// String returns the exact sum as text ("0" when nothing was added).
func (c *ChargeSum) String() string { return c.Decimal().String() }

// parsePlain reads "-12.345" as (-12345, 3); ok is false for anything that
// is not a plain decimal literal with at most 9 decimals fitting an int64.
func parsePlain(s string) (coef int64, places int, ok bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '.' && !dot:
			dot = true
		case ch >= '0' && ch <= '9':
			if coef > (math.MaxInt64-9)/10 {
				return 0, 0, false
			}
			coef = coef*10 + int64(ch-'0')
			digits++
			if dot {
				places++
			}
		default:
			return 0, 0, false
		}
	}
	if digits == 0 || places > 9 {
		return 0, 0, false
	}
	if neg {
		coef = -coef
	}
	return coef, places, true
}

// MicroPlaces is the scale of a charge in millionths (ChargeMicros).
const MicroPlaces = 6

// ChargeMicros returns a charge in millionths; ok is false when that is
// not exact or does not fit an int64 (such charges are summed from their
// text instead).
func ChargeMicros(s string) (micros int64, ok bool) {
	coef, places, ok := parsePlain(s)
	if !ok || places > MicroPlaces {
		return 0, false
	}
	for ; places < MicroPlaces; places++ {
		if coef > math.MaxInt64/10 || coef < math.MinInt64/10 {
			return 0, false
		}
		coef *= 10
	}
	return coef, true
}

// MicrosText prints millionths as a decimal without trailing zeros.
func MicrosText(m int64) string {
	return TrimZeros(decimal.New(m, -MicroPlaces).String())
}

// TrimZeros drops trailing zeros after a decimal point ("12.500" → "12.5",
// "3.000" → "3"); the value is the same.
func TrimZeros(s string) string {
	if !strings.Contains(s, ".") || strings.ContainsAny(s, "Ee") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
