// Package decimal is the portal's exact decimal number for money, credits
// and metric values. It wraps github.com/cockroachdb/apd/v3, which
// implements the General Decimal Arithmetic specification, the same
// specification as Python's decimal module that the upstream services use,
// so sums, roundings and text forms match theirs byte for byte: "10.00000"
// stays "10.00000" and "0.01500" stays "0.01500".
//
// A Decimal is never converted through float64, except by Float64 for
// drawing charts.
//
// # Bounds
//
// Every way text from outside becomes a Decimal (Parse, UnmarshalJSON,
// UnmarshalText, Scan) refuses a number with more than MaxDigits
// significant digits, or whose first significant digit lies above
// 10^MaxExponent or below 10^MinExponent. That covers every real amount of
// money or metric many times over, and keeps the cost of comparing and
// adding any two accepted numbers to microseconds (see BenchmarkExtremes).
// Errors say which bound was broken and can be told apart with errors.Is
// (ErrSyntax, ErrTooManyDigits, ErrTooLarge, ErrTooSmall).
//
// # Sign of zero
//
// Zero keeps its sign as Python's decimal does: "-0" and "-0.00" parse to
// a negative zero whose text is "-0" and "-0.00", and arithmetic gives the
// sign the specification gives (-0 + -0 = -0, 0 - 0 = 0, Neg and Abs of a
// zero are positive). Sign, IsZero, Cmp and Equal treat -0 as 0.
package decimal

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// Precision is the number of significant digits kept by arithmetic (Add,
// Sub, Mul, Neg, Abs), as in Python's default decimal context.
const Precision = 28

// The bounds on numbers read from outside (see the package comment).
const (
	// MaxDigits is the most significant digits a number read may have
	// (the coefficient's digits: "10.00000" has 7, "0.0015" has 2). It is
	// the precision of IEEE 754 decimal128.
	MaxDigits = 34
	// MaxExponent is the largest adjusted exponent (the power of ten of
	// the first significant digit) of a number read: numbers are below
	// 10^(MaxExponent+1).
	MaxExponent = 100
	// MinExponent is the smallest adjusted exponent of a number read:
	// numbers other than 0 are at least 10^MinExponent.
	MinExponent = -100
)

// Errors of Parse, wrapped with the offending text.
var (
	ErrSyntax        = errors.New("is not a number")
	ErrTooManyDigits = fmt.Errorf("has more than %d significant digits", MaxDigits)
	ErrTooLarge      = fmt.Errorf("is too large (numbers must be below 1E+%d)", MaxExponent+1)
	ErrTooSmall      = fmt.Errorf("is too small (numbers other than 0 must be at least 1E%d)", MinExponent)
)

// Decimal is an exact decimal number: a coefficient, a sign and a base-10
// exponent. The zero value is 0. Decimals are values: no method changes
// its receiver, so they may be copied and shared freely.
type Decimal struct {
	// a is never modified once the Decimal is made: every operation
	// writes a fresh result, so copies may share a's big coefficient.
	a apd.Decimal
}

// arith is Python's default context: 28 digits, half-even, and the same
// traps (only operations that cannot give a number fail).
var arith = apd.Context{
	Precision:   Precision,
	MaxExponent: apd.MaxExponent,
	MinExponent: apd.MinExponent,
	Traps:       apd.InvalidOperation | apd.DivisionByZero | apd.Overflow,
	Rounding:    apd.RoundHalfEven,
}

// must panics on a condition arith traps. With bounded inputs none can
// happen in Add, Sub, Mul, Neg or Abs (it would take an exponent of
// 100,000), so reaching it is a programming error.
func must(_ apd.Condition, err error) {
	if err != nil {
		panic("decimal: " + err.Error())
	}
}

// Zero is the number 0.
var Zero = Decimal{}

// New returns coef × 10^exp.
func New(coef int64, exp int32) Decimal {
	var d Decimal
	d.a.SetFinite(coef, exp)
	return d
}

// NewFromInt returns the integer n.
func NewFromInt(n int64) Decimal { return New(n, 0) }

// Parse reads a decimal literal: an optional sign, digits with an optional
// point, and an optional exponent ("1.5", "-0.01500", "2E+3", ".5"),
// within the bounds MaxDigits, MaxExponent and MinExponent. It refuses
// NaN, infinities, spaces, empty input and anything else, with an error
// that says what is wrong.
func Parse(s string) (Decimal, error) {
	if err := check(s); err != nil {
		return Decimal{}, fmt.Errorf("decimal: %s %w", quote(s), err)
	}
	var d Decimal
	if _, _, err := d.a.SetString(s); err != nil {
		// check accepted only what apd reads; keep the error all the same.
		return Decimal{}, fmt.Errorf("decimal: %s %w (%v)", quote(s), ErrSyntax, err)
	}
	return d, nil
}

// check validates the syntax and the bounds of s without building a
// number, so that a huge literal is refused in time linear in its length.
func check(s string) error {
	mant, expText, hasExp := s, "", false
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, expText, hasExp = s[:i], s[i+1:], true
	}
	if mant != "" && (mant[0] == '+' || mant[0] == '-') {
		mant = mant[1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return ErrSyntax
	}
	sig := len(strings.TrimLeft(digits, "0")) // 0 for a zero
	var exp int64
	if hasExp {
		e, err := strconv.ParseInt(expText, 10, 32)
		switch {
		case err == nil:
			exp = e
		case !errors.Is(err, strconv.ErrRange):
			return ErrSyntax
		case sig == 0:
			return errZeroExponent
		case strings.HasPrefix(expText, "-"):
			return ErrTooSmall
		default:
			return ErrTooLarge
		}
	}
	exp -= int64(len(frac))
	if sig == 0 {
		if exp < MinExponent-(MaxDigits-1) || exp > MaxExponent {
			return errZeroExponent
		}
		return nil
	}
	if sig > MaxDigits {
		return ErrTooManyDigits
	}
	switch adj := exp + int64(sig) - 1; {
	case adj > MaxExponent:
		return ErrTooLarge
	case adj < MinExponent:
		return ErrTooSmall
	}
	return nil
}

// errZeroExponent refuses a zero with an absurd exponent ("0E-99999"),
// which would cost as much to add as the largest numbers do.
var errZeroExponent = fmt.Errorf("is 0 with an exponent outside %d to %d", MinExponent-(MaxDigits-1), MaxExponent)

// quote returns s quoted for an error message, clipped when long.
func quote(s string) string {
	const keep = 24
	if len(s) <= 2*keep {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:keep]) + "…" + strconv.Quote(s[len(s)-keep:]) + " (" + strconv.Itoa(len(s)) + " characters)"
}

// MustParse is Parse for constants in code and tests; it panics on bad input.
func MustParse(s string) Decimal {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// String returns the text Python's str(Decimal) gives (the specification's
// to-scientific-string): plain notation keeping the exponent's trailing
// zeros, scientific for positive exponents and below 1E-6 ("1E-7", "1.5E+3").
func (d Decimal) String() string {
	adj := int64(d.a.Exponent) + d.a.NumDigits() - 1
	if d.a.Exponent <= 0 && adj >= -6 {
		return d.a.Text('f')
	}
	return d.a.Text('E')
}

// StringFixed returns d rounded half-to-even to places (≥ 0) decimals, always
// with exactly that many: Python's f"{d:.2f}" for places = 2.
func (d Decimal) StringFixed(places int) string {
	r := d.Round(places)
	return r.a.Text('f')
}

// Round returns d rounded half-to-even to places decimals, i.e. with
// exponent -places (Python's quantize). A number with fewer decimals gets
// trailing zeros. Rounding is exact whatever the number of digits.
func (d Decimal) Round(places int) Decimal {
	var r Decimal
	quantize(&r.a, &d.a, int32(-places), apd.RoundHalfEven)
	return r
}

// quantize sets dst to x with exponent exp. apd refuses a result with more
// digits than the context's precision, so the context gets what it needs.
func quantize(dst, x *apd.Decimal, exp int32, r apd.Rounder) {
	nd := x.NumDigits()
	if x.Exponent > exp {
		nd += int64(x.Exponent) - int64(exp)
	}
	c := arith
	c.Precision = uint32(nd + 1)
	c.Rounding = r
	must(c.Quantize(dst, x, exp))
}

// Add returns d + e, rounded to Precision digits. The exponent is the
// smaller of the two ("1.10" + "2.2" = "3.30").
func (d Decimal) Add(e Decimal) Decimal {
	var r Decimal
	must(arith.Add(&r.a, &d.a, &e.a))
	return r
}

// Sub returns d - e, rounded to Precision digits.
func (d Decimal) Sub(e Decimal) Decimal {
	var r Decimal
	must(arith.Sub(&r.a, &d.a, &e.a))
	return r
}

// Mul returns d × e, rounded to Precision digits. The exponent is the sum
// of the two.
func (d Decimal) Mul(e Decimal) Decimal {
	var r Decimal
	must(arith.Mul(&r.a, &d.a, &e.a))
	return r
}

// DivRound returns d / e rounded half-to-even to places decimals. It
// returns an error when e is zero.
func (d Decimal) DivRound(e Decimal, places int) (Decimal, error) {
	if e.IsZero() {
		return Decimal{}, errors.New("decimal: division by zero")
	}
	// Dividing to a precision and then rounding to places would round
	// twice, and half-even rounding twice can be off by one in the last
	// place. So divide with round-05up to at least one digit past places:
	// it truncates but never leaves a 0 or 5 last digit on an inexact
	// quotient, so the half-even rounding that follows sees a tie only
	// when the quotient really is one.
	adj := func(x *apd.Decimal) int64 { return int64(x.Exponent) + x.NumDigits() - 1 }
	// The quotient's first digit is at adj(d)-adj(e) or one below.
	prec := max(adj(&d.a)-adj(&e.a)+int64(places)+2, 1)
	c := arith
	c.Precision = uint32(prec)
	c.Rounding = apd.Round05Up
	var q, r Decimal
	must(c.Quo(&q.a, &d.a, &e.a))
	quantize(&r.a, &q.a, int32(-places), apd.RoundHalfEven)
	return r, nil
}

// Neg returns -d (a zero is positive, as Python's -x gives).
func (d Decimal) Neg() Decimal {
	var r Decimal
	must(arith.Neg(&r.a, &d.a))
	return r
}

// Abs returns |d|.
func (d Decimal) Abs() Decimal {
	var r Decimal
	must(arith.Abs(&r.a, &d.a))
	return r
}

// Sign returns -1, 0 or +1 (0 for -0 as well).
func (d Decimal) Sign() int { return d.a.Sign() }

// IsZero reports whether d is 0 or -0.
func (d Decimal) IsZero() bool { return d.a.IsZero() }

// IsInteger reports whether d is a whole number ("5.000" is, "5.001" is not).
func (d Decimal) IsInteger() bool {
	var frac apd.Decimal
	d.a.Modf(nil, &frac)
	return frac.IsZero()
}

// Cmp compares d and e numerically: -1, 0 or +1.
func (d Decimal) Cmp(e Decimal) int { return d.a.Cmp(&e.a) }

// Equal reports whether d and e are the same number (1.0 equals 1.00, -0 equals 0).
func (d Decimal) Equal(e Decimal) bool { return d.Cmp(e) == 0 }

// Min returns the smaller of d and e (d when they are equal).
func Min(d, e Decimal) Decimal {
	if d.Cmp(e) <= 0 {
		return d
	}
	return e
}

// Max returns the larger of d and e (d when they are equal).
func Max(d, e Decimal) Decimal {
	if d.Cmp(e) >= 0 {
		return d
	}
	return e
}

// Places returns the number of digits after the point in d's plain form (0
// for integers and positive exponents).
func (d Decimal) Places() int { return max(0, -int(d.a.Exponent)) }

// Exponent returns the base-10 exponent.
func (d Decimal) Exponent() int32 { return d.a.Exponent }

// Float64 returns the nearest float64, for chart coordinates only.
func (d Decimal) Float64() float64 {
	f, _ := strconv.ParseFloat(d.String(), 64)
	return f
}

// MarshalText writes d's String form.
func (d Decimal) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads d as Parse does.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes d as a JSON string, the way the upstreams send money.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON accepts a JSON string (spaces around the number are
// ignored) or a JSON number, read exactly; null is refused (use Null).
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return fmt.Errorf("decimal: null is not a number")
	}
	if len(s) >= 2 && s[0] == '"' {
		u, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("decimal: %s %w", quote(s), ErrSyntax)
		}
		s = strings.TrimSpace(u)
	}
	return d.UnmarshalText([]byte(s))
}

// Value stores d in SQLite as its exact text.
func (d Decimal) Value() (driver.Value, error) { return d.String(), nil }

// Scan reads d from SQLite TEXT (or an INTEGER or REAL written by hand),
// within the bounds Parse applies. NULL is an error: scan a value that may
// be absent into a Null.
func (d *Decimal) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case string:
		text = v
	case []byte:
		text = string(v)
	case int64:
		*d = NewFromInt(v)
		return nil
	case float64:
		// The shortest text that reads back as v, as Python's repr gives.
		text = strconv.FormatFloat(v, 'g', -1, 64)
	case nil:
		return errors.New("decimal: cannot scan NULL into a Decimal (scan into a decimal.Null where the value may be absent)")
	default:
		return fmt.Errorf("decimal: cannot scan %T", src)
	}
	p, err := Parse(text)
	if err != nil {
		return err
	}
	*d = p
	return nil
}
