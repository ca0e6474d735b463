package costs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// Card is the rate card as JSON (GET and POST /costs/rates.json):
//
//	{"base_currency": "EUR",
//	 "rates": [{"source": "vergeos", "measure": "cpu_core_hours", "scope": "*",
//	            "price": "0.012", "currency": "EUR", "valid_from": "2026-01-01"}],
//	 "fx": [{"currency": "CHF", "per_base": "0.94", "valid_from": "2026-01-01"}]}
type Card struct {
	BaseCurrency string     `json:"base_currency"`
	Rates        []CardRate `json:"rates"`
	FX           []CardFX   `json:"fx"`
}

// CardRate is a rate version in a Card. Price is an exact decimal written
// as a string (a JSON number is read exactly too).
type CardRate struct {
	Source    string `json:"source"`
	Measure   string `json:"measure"`
	Scope     string `json:"scope"`
	Price     Amount `json:"price"`
	Currency  string `json:"currency"`
	ValidFrom string `json:"valid_from"`
}

// CardFX is an FX version in a Card.
type CardFX struct {
	Currency  string `json:"currency"`
	PerBase   Amount `json:"per_base"`
	ValidFrom string `json:"valid_from"`
}

// Amount is an exact decimal in a card, written as a JSON string ("0.012");
// a JSON number is read exactly too, from its text. It is checked where
// it is used, so a bad one is reported with its place in the card.
type Amount string

// UnmarshalJSON keeps the text of a string or number.
func (a *Amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = Amount(s)
	case string(b) == "null":
		*a = ""
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*a = Amount(b)
	default:
		return &json.UnmarshalTypeError{Value: "non-number", Type: reflect.TypeOf(*a)}
	}
	return nil
}

// MarshalJSON writes the amount as a string, so no reader takes it for a float.
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(string(a)) }

// MaxCardBytes bounds an imported card.
const MaxCardBytes = 1 << 20

// MaxCardEntries bounds the rates and FX versions of one card.
const MaxCardEntries = 10000

// ExportCard writes the whole table as a Card, oldest version first, so
// that importing it into an empty portal gives the same table.
func ExportCard(t *Table) Card {
	c := Card{BaseCurrency: t.Base, Rates: []CardRate{}, FX: []CardFX{}}
	rates := t.SortedRates()
	for i := len(rates) - 1; i >= 0; i-- {
		r := rates[i]
		c.Rates = append(c.Rates, CardRate{Source: r.Source, Measure: r.Measure, Scope: r.Scope, Price: Amount(r.Price.String()),
			Currency: r.Currency, ValidFrom: r.ValidFrom.Format(DateLayout)})
	}
	fx := t.SortedFX()
	for i := len(fx) - 1; i >= 0; i-- {
		f := fx[i]
		c.FX = append(c.FX, CardFX{Currency: f.Currency, PerBase: Amount(f.PerBase.String()), ValidFrom: f.ValidFrom.Format(DateLayout)})
	}
	return c
}

// CardContext is what a card is checked against: the site's base
// currency, the ARGO metric definitions known (by name; empty: any name is
// taken, since ARGO may not have been read yet) and the FX versions
// already stored.
type CardContext struct {
	Base            string
	ArgoDefinitions map[string]bool
	StoredFX        []FX
}

// NewRate is a rate version to add, checked.
type NewRate struct {
	Source, Measure, Scope string
	Price                  decimal.Decimal
	Currency               string
	ValidFrom              time.Time
}

// NewFX is an FX version to add, checked.
type NewFX struct {
	Currency  string
	PerBase   decimal.Decimal
	ValidFrom time.Time
}

// ParseCard reads and checks a card whole. Any problem refuses the whole
// card; the error is a *Problems listing every one, each saying where
// ("rates[3].price: ...").
func ParseCard(b []byte, cx CardContext) ([]NewRate, []NewFX, error) {
	var c Card
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, nil, &Problems{List: []string{describeJSON(b, err)}}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, nil, &Problems{List: []string{"the file holds more than one JSON value"}}
	}
	var p Problems
	switch {
	case c.BaseCurrency == "":
		p.addf("base_currency is missing (this site's is %s)", cx.Base)
	case c.BaseCurrency != cx.Base:
		p.addf("base_currency is %q, but this site's base currency is %s: amounts are never relabelled; convert the card's prices first", c.BaseCurrency, cx.Base)
	}
	if len(c.Rates)+len(c.FX) > MaxCardEntries {
		p.addf("the card has %d entries; at most %d are taken at once", len(c.Rates)+len(c.FX), MaxCardEntries)
		return nil, nil, &p
	}
	var fxs []NewFX
	seenFX := map[string]int{}
	for i, f := range c.FX {
		at := fmt.Sprintf("fx[%d]", i)
		n, ok := checkFX(&p, at, f.Currency, string(f.PerBase), f.ValidFrom, cx.Base)
		if !ok {
			continue
		}
		k := n.Currency + "|" + f.ValidFrom
		if j, dup := seenFX[k]; dup {
			p.addf("%s: %s from %s is also fx[%d]", at, n.Currency, f.ValidFrom, j)
			continue
		}
		seenFX[k] = i
		fxs = append(fxs, n)
	}
	var rates []NewRate
	seen := map[string]int{}
	for i, r := range c.Rates {
		at := fmt.Sprintf("rates[%d]", i)
		n, ok := CheckRate(&p, at, r.Source, r.Measure, r.Scope, string(r.Price), r.Currency, r.ValidFrom, cx)
		if !ok {
			continue
		}
		k := n.Source + "|" + n.Measure + "|" + n.Scope + "|" + r.ValidFrom
		if j, dup := seen[k]; dup {
			p.addf("%s: %s %s in scope %s from %s is also rates[%d]", at, n.Source, n.Measure, n.Scope, r.ValidFrom, j)
			continue
		}
		seen[k] = i
		if n.Currency != cx.Base && !fxCovers(cx.StoredFX, fxs, n.Currency, n.ValidFrom) {
			p.addf("%s.currency: %s has no exchange rate valid on %s; add one to fx (per_base: %s per %s)", at, n.Currency, r.ValidFrom, n.Currency, cx.Base)
			continue
		}
		rates = append(rates, n)
	}
	if err := p.err(); err != nil {
		return nil, nil, err
	}
	return rates, fxs, nil
}

// fxCovers reports whether an FX version of currency is valid on day.
func fxCovers(stored []FX, added []NewFX, currency string, day time.Time) bool {
	for _, f := range stored {
		if f.Currency == currency && !f.ValidFrom.After(day) {
			return true
		}
	}
	for _, f := range added {
		if f.Currency == currency && !f.ValidFrom.After(day) {
			return true
		}
	}
	return false
}

var measureNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,127}$`)

// CheckRate checks one rate version's fields (from a card or the form),
// adding every problem to p under at, and returns it when it is good.
func CheckRate(p *Problems, at, source, measure, scope, price, currency, validFrom string, cx CardContext) (NewRate, bool) {
	n0 := len(p.List)
	var n NewRate
	n.Source, n.Measure, n.Scope, n.Currency = source, strings.TrimSpace(measure), strings.TrimSpace(scope), strings.TrimSpace(currency)
	if !IsSource(source) {
		p.addf("%s.source: %q is not one of %s", at, source, strings.Join(Sources, ", "))
	} else {
		switch source {
		case portal.UpstreamArgo:
			switch {
			case !measureNameRE.MatchString(n.Measure):
				p.addf("%s.measure: %q is not an ARGO metric definition name", at, measure)
			case len(cx.ArgoDefinitions) > 0 && !cx.ArgoDefinitions[n.Measure]:
				p.addf("%s.measure: ARGO has no metric definition named %q", at, measure)
			}
		default:
			if _, ok := LookupMeasure(source, n.Measure); !ok {
				p.addf("%s.measure: %q is not a measure of %s (%s)", at, measure, source, strings.Join(measureNames(source), ", "))
			}
		}
	}
	switch {
	case n.Scope == "":
		p.addf("%s.scope is empty: give a %s or * for all", at, ScopeKind(source))
	case len(n.Scope) > 200 || strings.ContainsFunc(n.Scope, unicode.IsControl):
		p.addf("%s.scope: %q is not a %s", at, scope, ScopeKind(source))
	}
	d, err := decimal.Parse(strings.TrimSpace(price))
	switch {
	case err != nil:
		p.addf("%s.price: %v", at, err)
	case d.Sign() < 0:
		p.addf("%s.price: %s is negative", at, price)
	case d.Places() > 12:
		p.addf("%s.price: %s has more than 12 decimals", at, price)
	case d.Cmp(decimal.NewFromInt(1_000_000_000)) > 0:
		p.addf("%s.price: %s is more than 1000000000", at, price)
	}
	n.Price = d
	if !ValidCurrency(n.Currency) {
		p.addf("%s.currency: %q is not a three-letter currency code such as %s", at, currency, cx.Base)
	}
	day, err := ParseDay(validFrom)
	if err != nil {
		p.addf("%s.valid_from: %v", at, err)
	}
	n.ValidFrom = day
	return n, len(p.List) == n0
}

// CheckFX checks one FX version's fields (from a card or the form).
func CheckFX(p *Problems, at, currency, perBase, validFrom, base string) (NewFX, bool) {
	return checkFX(p, at, currency, perBase, validFrom, base)
}

func checkFX(p *Problems, at, currency, perBase, validFrom, base string) (NewFX, bool) {
	n0 := len(p.List)
	n := NewFX{Currency: strings.TrimSpace(currency)}
	switch {
	case !ValidCurrency(n.Currency):
		p.addf("%s.currency: %q is not a three-letter currency code", at, currency)
	case n.Currency == base:
		p.addf("%s.currency: %s is the base currency, which converts at 1", at, currency)
	}
	d, err := decimal.Parse(strings.TrimSpace(perBase))
	switch {
	case err != nil:
		p.addf("%s.per_base: %v", at, err)
	case d.Sign() <= 0:
		p.addf("%s.per_base: %s must be more than 0 (units of %s per %s)", at, perBase, n.Currency, base)
	case d.Places() > 12:
		p.addf("%s.per_base: %s has more than 12 decimals", at, perBase)
	case d.Cmp(decimal.NewFromInt(1_000_000_000)) > 0:
		p.addf("%s.per_base: %s is more than 1000000000", at, perBase)
	}
	n.PerBase = d
	day, err := ParseDay(validFrom)
	if err != nil {
		p.addf("%s.valid_from: %v", at, err)
	}
	n.ValidFrom = day
	return n, len(p.List) == n0
}

func measureNames(source string) []string {
	var out []string
	for _, m := range fixedMeasures {
		if m.Source == source {
			out = append(out, m.Name)
		}
	}
	return out
}

// describeJSON says where in b a decoding error is.
func describeJSON(b []byte, err error) string {
	line := func(off int64) int {
		off = min(max(off, 0), int64(len(b)))
		return bytes.Count(b[:off], []byte("\n")) + 1
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("line %d: not valid JSON: %v", line(se.Offset), se)
	case errors.As(err, &te) && te.Type == reflect.TypeOf(Amount("")):
		return fmt.Sprintf("line %d: %s must be a decimal number written as a string, such as \"0.012\"", line(te.Offset), te.Field)
	case errors.As(err, &te):
		return fmt.Sprintf("line %d: %s must be a %s, not a %s", line(te.Offset), te.Field, te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return "the file is empty"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + " (the card has base_currency, rates and fx)"
	}
	return "not valid JSON: " + err.Error()
}
