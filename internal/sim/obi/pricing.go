package obi

import (
	"fmt"
	"sort"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Tier is one price tier: usage in [Min, Max) (Max < 0: unbounded) costs
// Fixed once on entering the tier plus Multiplier per unit.
type Tier struct {
	ID         int64
	Min, Max   int64
	Fixed      decimal.Decimal
	Multiplier decimal.Decimal
}

// Price is a price list entry for a service type and subtype, for one
// virtual lab or (VlabID "") the default, valid in [From, To) (To zero: open).
type Price struct {
	ID       int64
	Type     string
	Subtype  string
	VlabID   string
	From, To time.Time
	Tiers    []Tier // sorted by Min
}

// Discount multiplies a virtual lab's costs by (1 - Discount) in [From, To).
type Discount struct {
	ID       int64
	VlabID   string
	Discount decimal.Decimal
	From, To time.Time
}

func validAt(from, to, t time.Time) bool {
	return !from.After(t) && (to.IsZero() || t.Before(to))
}

// priceBook holds prices and discounts. The seeded history computes its
// costs from a frozen copy, so prices added later never rewrite the past.
type priceBook struct {
	prices    []*Price
	byKey     map[string][]*Price // "type/subtype" -> prices, for lookup
	discounts []*Discount
	nextPrice int64
	nextTier  int64
	nextDisc  int64
}

func (b *priceBook) clone() *priceBook {
	c := *b
	c.prices = append([]*Price(nil), b.prices...)
	c.byKey = make(map[string][]*Price, len(b.byKey))
	for k, ps := range b.byKey {
		c.byKey[k] = append([]*Price(nil), ps...)
	}
	c.discounts = append([]*Discount(nil), b.discounts...)
	return &c
}

// addPrice stores p, giving it and its tiers new ids.
func (b *priceBook) addPrice(p Price) *Price {
	b.nextPrice++
	p.ID = b.nextPrice
	sort.SliceStable(p.Tiers, func(i, j int) bool { return p.Tiers[i].Min < p.Tiers[j].Min })
	for i := range p.Tiers {
		b.nextTier++
		p.Tiers[i].ID = b.nextTier
	}
	b.prices = append(b.prices, &p)
	if b.byKey == nil {
		b.byKey = map[string][]*Price{}
	}
	b.byKey[p.Type+"/"+p.Subtype] = append(b.byKey[p.Type+"/"+p.Subtype], &p)
	return &p
}

func (b *priceBook) addDiscount(d Discount) *Discount {
	b.nextDisc++
	d.ID = b.nextDisc
	b.discounts = append(b.discounts, &d)
	return &d
}

// lookup finds the price of §6: the newest (valid_from, then id) valid at
// t for the lab, else the newest default one.
func (b *priceBook) lookup(typ, subtype, vlab string, t time.Time) *Price {
	for _, lab := range []string{vlab, ""} {
		var best *Price
		for _, p := range b.byKey[typ+"/"+subtype] {
			if p.VlabID != lab || !validAt(p.From, p.To, t) {
				continue
			}
			if best == nil || p.From.After(best.From) || (p.From.Equal(best.From) && p.ID > best.ID) {
				best = p
			}
		}
		if best != nil {
			return best
		}
	}
	return nil
}

// current returns the lab's discount active at t: the latest valid_from,
// then the highest id.
func (b *priceBook) current(vlab string, t time.Time) *Discount {
	var best *Discount
	for _, d := range b.discounts {
		if d.VlabID != vlab || !validAt(d.From, d.To, t) {
			continue
		}
		if best == nil || d.From.After(best.From) || (d.From.Equal(best.From) && d.ID > best.ID) {
			best = d
		}
	}
	return best
}

// missingPrice is the service's 404 when no price applies.
func missingPrice(vlab, typ, subtype string, t time.Time) *apiError {
	return notFound(fmt.Sprintf("Missing price for: %s %s %s %s", vlab, typ, subtype, pyStrTime(t)))
}

// tierCost is the §6 cost of moving usage from prev to cur over tiers,
// in exact decimal arithmetic, without a discount.
func tierCost(tiers []Tier, prev, cur int64) decimal.Decimal {
	total := decimal.Zero
	for _, t := range tiers {
		if cur <= t.Min {
			break
		}
		lo := max(prev, t.Min)
		hi := cur
		if t.Max >= 0 {
			hi = min(cur, t.Max)
		}
		if lo >= hi {
			continue
		}
		if prev <= t.Min {
			total = total.Add(t.Fixed)
		}
		total = total.Add(t.Multiplier.Mul(decimal.NewFromInt(hi - lo)))
	}
	return total
}

// discounted applies the discount active at t for vlab, if any.
func (b *priceBook) discounted(cost decimal.Decimal, vlab string, t time.Time) decimal.Decimal {
	if d := b.current(vlab, t); d != nil {
		return cost.Mul(decimal.NewFromInt(1).Sub(d.Discount))
	}
	return cost
}

// storageCost is multiplier × size × seconds with the first tier only.
func storageCost(p *Price, size int64, seconds int64) decimal.Decimal {
	if len(p.Tiers) == 0 || seconds <= 0 {
		return decimal.Zero
	}
	return p.Tiers[0].Multiplier.Mul(decimal.NewFromInt(size)).Mul(decimal.NewFromInt(seconds))
}
