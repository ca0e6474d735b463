// Package decimal is an exact decimal number for money and credits: a
// big-integer coefficient and a base-10 exponent, with the arithmetic and
// text form of Python's decimal module (the language the upstream services
// are written in), so that amounts round-trip byte for byte: "10.00000" stays
// "10.00000" and "0.01500" stays "0.01500". It is never converted through
// float64, except by Float64 for drawing charts.
package decimal

import (
	"database/sql/driver"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Precision is the number of significant digits kept by arithmetic, as in
// Python's default decimal context.
const Precision = 28

// Decimal is coef × 10^exp. The zero value is 0.
type Decimal struct {
	coef *big.Int
	exp  int32
}

var (
	bigTen  = big.NewInt(10)
	bigZero = new(big.Int)
)

// Zero is the number 0.
var Zero = Decimal{}

// New returns coef × 10^exp.
func New(coef int64, exp int32) Decimal { return Decimal{coef: big.NewInt(coef), exp: exp} }

// NewFromInt returns the integer n.
func NewFromInt(n int64) Decimal { return New(n, 0) }

func (d Decimal) c() *big.Int {
	if d.coef == nil {
		return bigZero
	}
	return d.coef
}

// Parse reads a decimal literal: an optional sign, digits with an optional
// point, and an optional exponent ("1.5", "-0.01500", "2E+3", ".5").
// It refuses NaN, infinities, empty input and anything else.
func Parse(s string) (Decimal, error) {
	orig := s
	if s == "" {
		return Decimal{}, fmt.Errorf("decimal: empty number")
	}
	var exp int64
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.ParseInt(s[i+1:], 10, 32)
		if err != nil {
			return Decimal{}, fmt.Errorf("decimal: %q is not a number", orig)
		}
		exp = e
		s = s[:i]
	}
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, hasPoint := strings.Cut(s, ".")
	digits := intPart + frac
	if digits == "" || (hasPoint && strings.Contains(frac, ".")) {
		return Decimal{}, fmt.Errorf("decimal: %q is not a number", orig)
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return Decimal{}, fmt.Errorf("decimal: %q is not a number", orig)
		}
	}
	exp -= int64(len(frac))
	if exp < -1_000_000 || exp > 1_000_000 {
		return Decimal{}, fmt.Errorf("decimal: %q is out of range", orig)
	}
	coef, _ := new(big.Int).SetString(digits, 10)
	if neg {
		coef.Neg(coef)
	}
	return Decimal{coef: coef, exp: int32(exp)}, nil
}

// MustParse is Parse for constants in code and tests; it panics on bad input.
func MustParse(s string) Decimal {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// String returns the text form Python's str(Decimal) gives: plain notation
// keeping the exponent's trailing zeros, scientific only for very small
// numbers or positive exponents.
func (d Decimal) String() string {
	c := d.c()
	digits := new(big.Int).Abs(c).String()
	sign := ""
	if c.Sign() < 0 {
		sign = "-"
	}
	exp := int(d.exp)
	adjusted := exp + len(digits) - 1
	if exp <= 0 && adjusted >= -6 {
		if exp == 0 {
			return sign + digits
		}
		point := len(digits) + exp
		if point > 0 {
			return sign + digits[:point] + "." + digits[point:]
		}
		return sign + "0." + strings.Repeat("0", -point) + digits
	}
	s := digits[:1]
	if len(digits) > 1 {
		s += "." + digits[1:]
	}
	es := strconv.Itoa(adjusted)
	if adjusted >= 0 {
		es = "+" + es
	}
	return sign + s + "E" + es
}

// StringFixed returns d rounded half-to-even to places decimals, always
// with exactly that many (Python's f"{d:.2f}" for places = 2).
func (d Decimal) StringFixed(places int) string {
	r := d.Round(places)
	c := r.c()
	digits := new(big.Int).Abs(c).String()
	sign := ""
	if c.Sign() < 0 {
		sign = "-"
	}
	if places <= 0 {
		return sign + digits + strings.Repeat("0", int(r.exp))
	}
	if len(digits) <= places {
		digits = strings.Repeat("0", places-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-places] + "." + digits[len(digits)-places:]
}

// rescale returns the coefficient of d at exponent exp (exp <= d.exp).
func (d Decimal) rescale(exp int32) *big.Int {
	c := new(big.Int).Set(d.c())
	if exp >= d.exp {
		return c
	}
	return c.Mul(c, new(big.Int).Exp(bigTen, big.NewInt(int64(d.exp-exp)), nil))
}

// Round returns d rounded half-to-even to places decimals (exponent -places).
// A number that already has no more decimals is returned with its exponent set to -places.
func (d Decimal) Round(places int) Decimal {
	target := int32(-places)
	if d.exp >= target {
		return Decimal{coef: d.rescale(target), exp: target}
	}
	return Decimal{coef: divRoundHalfEven(d.c(), pow10(int64(target-d.exp))), exp: target}
}

func pow10(n int64) *big.Int { return new(big.Int).Exp(bigTen, big.NewInt(n), nil) }

// divRoundHalfEven returns a/b rounded half to even; b > 0.
func divRoundHalfEven(a, b *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if r.Sign() == 0 {
		return q
	}
	twice := new(big.Int).Abs(r)
	twice.Lsh(twice, 1)
	cmp := twice.Cmp(b)
	if cmp > 0 || (cmp == 0 && q.Bit(0) == 1) {
		if a.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// limit rounds d to Precision significant digits, as Python's context does
// after every operation.
func (d Decimal) limit() Decimal {
	c := d.c()
	n := len(new(big.Int).Abs(c).String())
	if n <= Precision {
		return d
	}
	drop := int64(n - Precision)
	return Decimal{coef: divRoundHalfEven(c, pow10(drop)), exp: d.exp + int32(drop)}
}

// Add returns d + e. The exponent is the smaller of the two.
func (d Decimal) Add(e Decimal) Decimal {
	exp := min(d.exp, e.exp)
	return Decimal{coef: new(big.Int).Add(d.rescale(exp), e.rescale(exp)), exp: exp}.limit()
}

// Sub returns d - e.
func (d Decimal) Sub(e Decimal) Decimal { return d.Add(e.Neg()) }

// Mul returns d × e. The exponent is the sum of the two.
func (d Decimal) Mul(e Decimal) Decimal {
	return Decimal{coef: new(big.Int).Mul(d.c(), e.c()), exp: d.exp + e.exp}.limit()
}

// DivRound returns d / e rounded half-to-even to places decimals. It
// returns an error when e is zero.
func (d Decimal) DivRound(e Decimal, places int) (Decimal, error) {
	if e.Sign() == 0 {
		return Decimal{}, fmt.Errorf("decimal: division by zero")
	}
	// d/e = (cd/ce) × 10^(ed-ee); scale the numerator so the quotient has places decimals.
	shift := int64(places) + int64(d.exp) - int64(e.exp)
	num := new(big.Int).Set(d.c())
	den := new(big.Int).Set(e.c())
	if shift >= 0 {
		num.Mul(num, pow10(shift))
	} else {
		den.Mul(den, pow10(-shift))
	}
	if den.Sign() < 0 {
		num.Neg(num)
		den.Neg(den)
	}
	return Decimal{coef: divRoundHalfEven(num, den), exp: int32(-places)}, nil
}

// Neg returns -d.
func (d Decimal) Neg() Decimal { return Decimal{coef: new(big.Int).Neg(d.c()), exp: d.exp} }

// Abs returns |d|.
func (d Decimal) Abs() Decimal { return Decimal{coef: new(big.Int).Abs(d.c()), exp: d.exp} }

// Sign returns -1, 0 or +1.
func (d Decimal) Sign() int { return d.c().Sign() }

// IsZero reports whether d is 0.
func (d Decimal) IsZero() bool { return d.Sign() == 0 }

// Cmp compares d and e numerically: -1, 0 or +1.
func (d Decimal) Cmp(e Decimal) int {
	exp := min(d.exp, e.exp)
	return d.rescale(exp).Cmp(e.rescale(exp))
}

// Equal reports whether d and e are the same number (1.0 equals 1.00).
func (d Decimal) Equal(e Decimal) bool { return d.Cmp(e) == 0 }

// Min returns the smaller of d and e.
func Min(d, e Decimal) Decimal {
	if d.Cmp(e) <= 0 {
		return d
	}
	return e
}

// Max returns the larger of d and e.
func Max(d, e Decimal) Decimal {
	if d.Cmp(e) >= 0 {
		return d
	}
	return e
}

// Places returns the number of digits after the point in d's text form (0
// for integers and positive exponents).
func (d Decimal) Places() int { return max(0, -int(d.exp)) }

// Exponent returns the base-10 exponent.
func (d Decimal) Exponent() int32 { return d.exp }

// Float64 returns the nearest float64, for chart coordinates only.
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// MarshalJSON writes d as a JSON string, the way the upstreams send money.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON accepts a JSON string or a JSON number, read exactly.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return fmt.Errorf("decimal: null is not a number")
	}
	if len(s) >= 2 && s[0] == '"' {
		u, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("decimal: %s is not a number", s)
		}
		s = strings.TrimSpace(u)
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores d in SQLite as its exact text.
func (d Decimal) Value() (driver.Value, error) { return d.String(), nil }

// Scan reads d from SQLite TEXT (or an integer or a float column written by hand).
func (d *Decimal) Scan(src any) error {
	switch v := src.(type) {
	case string:
		p, err := Parse(v)
		*d = p
		return err
	case []byte:
		p, err := Parse(string(v))
		*d = p
		return err
	case int64:
		*d = NewFromInt(v)
		return nil
	case float64:
		p, err := Parse(strconv.FormatFloat(v, 'f', -1, 64))
		*d = p
		return err
	case nil:
		*d = Zero
		return nil
	}
	return fmt.Errorf("decimal: cannot scan %T", src)
}
