package costs

import (
	"fmt"
	"sort"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Rate is one version of the price of a source's measure, optionally
// narrowed to a scope (a tenant, an installation, a resource, a virtual
// lab; AnyScope for all). Versions are never changed or removed: a price
// changes by a new version with its own ValidFrom, and the version that
// applies to a day is chosen by Table.RateFor.
type Rate struct {
	ID              int64
	Source, Measure string
	Scope           string
	Price           decimal.Decimal // in Currency per one unit of the measure
	Currency        string
	ValidFrom       time.Time // a UTC day
	CreatedBy       string
	CreatedByName   string
	CreatedAt       time.Time
}

// FX is one version of an exchange rate: PerBase units of Currency buy one
// unit of the base currency (CHF 0.94 per EUR). An amount in Currency is
// worth amount / PerBase in the base currency.
type FX struct {
	ID            int64
	Currency      string
	PerBase       decimal.Decimal
	ValidFrom     time.Time
	CreatedBy     string
	CreatedByName string
	CreatedAt     time.Time
}

// Table is the whole rate card: the site's base currency, every rate
// version and every FX version.
type Table struct {
	Base  string
	Rates []Rate
	FX    []FX
}

// newer orders versions: the later ValidFrom, then the later entered.
func newer(aFrom time.Time, aID int64, bFrom time.Time, bID int64) bool {
	if !aFrom.Equal(bFrom) {
		return aFrom.After(bFrom)
	}
	return aID > bID
}

// RateFor returns the rate version that prices source's measure in scope
// on day. A rate for the scope itself wins over one for AnyScope,
// whatever their dates; among the versions of one scope the one with the
// latest ValidFrom on or before day applies, and of two with the same
// ValidFrom the one entered last (a correction).
func (t *Table) RateFor(source, measure, scope string, day time.Time) (Rate, bool) {
	for _, sc := range []string{scope, AnyScope} {
		var best Rate
		found := false
		for _, r := range t.Rates {
			if r.Source != source || r.Measure != measure || r.Scope != sc || r.ValidFrom.After(day) {
				continue
			}
			if !found || newer(r.ValidFrom, r.ID, best.ValidFrom, best.ID) {
				best, found = r, true
			}
		}
		if found {
			return best, true
		}
		if scope == AnyScope {
			break
		}
	}
	return Rate{}, false
}

// FXFor returns the FX version that converts currency on day. The base
// currency converts at 1 (ID 0).
func (t *Table) FXFor(currency string, day time.Time) (FX, bool) {
	if currency == t.Base {
		return FX{Currency: currency, PerBase: decimal.NewFromInt(1)}, true
	}
	var best FX
	found := false
	for _, f := range t.FX {
		if f.Currency != currency || f.ValidFrom.After(day) {
			continue
		}
		if !found || newer(f.ValidFrom, f.ID, best.ValidFrom, best.ID) {
			best, found = f, true
		}
	}
	return best, found
}

// Superseded reports whether rate version r never applies on its own
// ValidFrom because a later-entered version of the same source, measure,
// scope and ValidFrom replaces it (it stays listed: history is kept).
func (t *Table) Superseded(r Rate) bool {
	for _, o := range t.Rates {
		if o.Source == r.Source && o.Measure == r.Measure && o.Scope == r.Scope && o.ValidFrom.Equal(r.ValidFrom) && o.ID > r.ID {
			return true
		}
	}
	return false
}

// AffectedUntil returns the first day a new rate version (source, measure,
// scope, from) no longer decides on its own: the ValidFrom of the next
// later version of the same source, measure and scope, or the zero time
// when there is none. Days in [from, until) are the ones to price again;
// for a scoped rate only that scope's usage, for AnyScope every scope
// without a rate of its own.
func (t *Table) AffectedUntil(source, measure, scope string, from time.Time, id int64) time.Time {
	var until time.Time
	for _, o := range t.Rates {
		if o.ID == id || o.Source != source || o.Measure != measure || o.Scope != scope || !o.ValidFrom.After(from) {
			continue
		}
		if until.IsZero() || o.ValidFrom.Before(until) {
			until = o.ValidFrom
		}
	}
	return until
}

// FXAffectedUntil is AffectedUntil for an FX version.
func (t *Table) FXAffectedUntil(currency string, from time.Time, id int64) time.Time {
	var until time.Time
	for _, o := range t.FX {
		if o.ID == id || o.Currency != currency || !o.ValidFrom.After(from) {
			continue
		}
		if until.IsZero() || o.ValidFrom.Before(until) {
			until = o.ValidFrom
		}
	}
	return until
}

// SortedRates returns the rate versions by source, measure, scope and
// ValidFrom, newest first within a measure and scope.
func (t *Table) SortedRates() []Rate {
	out := append([]Rate(nil), t.Rates...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if c := compareLines(a.Source, a.Measure, a.Scope, b.Source, b.Measure, b.Scope); c != 0 {
			return c < 0
		}
		return newer(a.ValidFrom, a.ID, b.ValidFrom, b.ID)
	})
	return out
}

// SortedFX returns the FX versions by currency, newest first.
func (t *Table) SortedFX() []FX {
	out := append([]FX(nil), t.FX...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Currency != out[j].Currency {
			return out[i].Currency < out[j].Currency
		}
		return newer(out[i].ValidFrom, out[i].ID, out[j].ValidFrom, out[j].ID)
	})
	return out
}

// Usage is what one project used of one measure of a source in one scope
// on one UTC day, before pricing.
type Usage struct {
	Project  string
	Day      time.Time
	Source   string
	Measure  string
	Scope    string // the tenant, installation, resource or virtual lab it was used in
	Quantity decimal.Decimal
	Unit     string // the measure's Units, in full ("core-hours")
	// Origin says where the quantity came from: the upstream table, and
	// the record ids or how many records were added up.
	Origin string
}

// Key identifies a ledger line.
func (u Usage) Key() string {
	return u.Project + "|" + u.Day.Format(DateLayout) + "|" + u.Source + "|" + u.Measure + "|" + u.Scope
}

// Line is a ledger line: usage, the rate version and FX version that price
// it, and the amounts. An unpriced line has RateID 0, no amounts and says
// why in Unpriced; it is never counted as zero.
type Line struct {
	Usage
	RateID   int64
	Price    decimal.Decimal
	Currency string
	Amount   decimal.Decimal // Quantity × Price, in Currency
	FXID     int64           // 0 for the base currency
	FXRate   decimal.Decimal // units of Currency per base unit
	// AmountBase is Amount / FXRate, kept to BasePlaces decimals.
	AmountBase decimal.Decimal
	Unpriced   string
}

// Priced reports whether the line has a rate (and an FX rate).
func (l Line) Priced() bool { return l.Unpriced == "" }

// BasePlaces is how many decimals a converted amount keeps per ledger
// line (dividing by an FX rate rarely ends).
const BasePlaces = 10

// Price prices one day's usage with the rate card: the rate valid on the
// usage's day (see RateFor), Amount = Quantity × Price in the rate's
// currency, converted with the FX version valid that day.
func (t *Table) Price(u Usage) Line {
	l := Line{Usage: u}
	r, ok := t.RateFor(u.Source, u.Measure, u.Scope, u.Day)
	if !ok {
		l.Unpriced = fmt.Sprintf("no rate prices %s %s for %s %s (nor for *) on these days", SourceTitle(u.Source), u.Measure, ScopeKind(u.Source), u.Scope)
		return l
	}
	fx, ok := t.FXFor(r.Currency, u.Day)
	if !ok {
		l.Unpriced = fmt.Sprintf("rate version %d is in %s, and no %s exchange rate is valid on these days", r.ID, r.Currency, r.Currency)
		return l
	}
	l.RateID, l.Price, l.Currency = r.ID, r.Price, r.Currency
	l.Amount = u.Quantity.Mul(r.Price)
	l.FXID, l.FXRate = fx.ID, fx.PerBase
	if r.Currency == t.Base {
		l.AmountBase = l.Amount
	} else {
		l.AmountBase, _ = l.Amount.DivRound(fx.PerBase, BasePlaces) // PerBase > 0: checked when entered
	}
	return l
}

// RateChange is what adding rate or FX versions did.
type RateChange struct {
	Rates, FX int   // versions added
	Skipped   int   // versions of an import that were already there
	Repriced  int64 // ledger lines whose pricing changed
	// FirstDay and LastDay are the first and last day of a changed line
	// (zero when none changed).
	FirstDay, LastDay time.Time
	IDs               []int64 // the new rate versions' ids
}

// Saw notes a changed line of day (Unix seconds).
func (c *RateChange) Saw(day int64) {
	t := time.Unix(day, 0).UTC()
	if c.FirstDay.IsZero() || t.Before(c.FirstDay) {
		c.FirstDay = t
	}
	if t.After(c.LastDay) {
		c.LastDay = t
	}
}

// LedgerUpdate is what a maintenance did.
type LedgerUpdate struct {
	Source string
	// From is the first day recomputed; zero means every day (a full
	// recomputation: the first, after a full re-read upstream, or after
	// the projects file changed).
	From     time.Time
	Skipped  bool  // nothing could have changed
	Written  int64 // lines added or changed
	Removed  int64 // lines whose usage is gone
	Examined int   // usage lines computed
}
