package obi

import (
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// Seeded prices: every non-legacy subtype has a default oneshot price (per
// count) and longrun price (per instance-second), both tiered; storage has
// a per byte-second price. ml-llm got dearer 30 days before t0, the second
// lab has its own notebook price, and some labs have discounts.

var (
	oneshotFactor = map[string]string{"ion-channel-build": "1.5", "neuron-mesh-skeletonization": "0.5",
		"circuit-extraction": "4", "em-synapse-mapping": "3", "synaptome-build": "2"}
	longrunFactor = map[string]string{"notebook": "0.3", "small-circuit-sim": "2", "synaptome-sim": "2",
		"microcircuit-sim": "5", "brian2-circuit-simulation": "1.5", "region-sim": "10", "system-sim": "20",
		"whole-brain-sim": "40"}
)

func dec(s string) decimal.Decimal { return decimal.MustParse(s) }

func factorOf(m map[string]string, subtype string) decimal.Decimal {
	if f, ok := m[subtype]; ok {
		return dec(f)
	}
	return dec("1")
}

func scaled(tiers []Tier, f decimal.Decimal) []Tier {
	out := make([]Tier, len(tiers))
	for i, t := range tiers {
		out[i] = Tier{Min: t.Min, Max: t.Max, Fixed: t.Fixed.Mul(f), Multiplier: t.Multiplier.Mul(f)}
	}
	return out
}

func oneshotTiers(subtype string) []Tier {
	if subtype == "ml-llm" {
		return []Tier{{Min: 0, Max: 100000, Fixed: dec("0"), Multiplier: dec("0.00002")},
			{Min: 100000, Max: -1, Fixed: dec("0"), Multiplier: dec("0.00001")}}
	}
	return scaled([]Tier{{Min: 0, Max: 10, Fixed: dec("0.5"), Multiplier: dec("0.5")},
		{Min: 10, Max: -1, Fixed: dec("0"), Multiplier: dec("0.25")}}, factorOf(oneshotFactor, subtype))
}

func longrunTiers(subtype string) []Tier {
	return scaled([]Tier{{Min: 0, Max: 360000, Fixed: dec("0.05"), Multiplier: dec("0.0001")},
		{Min: 360000, Max: -1, Fixed: dec("0"), Multiplier: dec("0.00008")}}, factorOf(longrunFactor, subtype))
}

// seedPrices adds the seeded price list, valid from a month before the
// history starts.
func (s *Server) seedPrices(from, t0 time.Time) {
	for _, st := range Subtypes {
		if legacySubtypes[st] {
			continue
		}
		s.book.addPrice(Price{Type: typeOneshot, Subtype: st, From: from, Tiers: oneshotTiers(st)})
		s.book.addPrice(Price{Type: typeLongrun, Subtype: st, From: from, Tiers: longrunTiers(st)})
	}
	s.book.addPrice(Price{Type: typeStorage, Subtype: "storage", From: from,
		Tiers: []Tier{{Min: 0, Max: -1, Fixed: dec("0"), Multiplier: dec("5E-17")}}})
	s.book.addPrice(Price{Type: typeOneshot, Subtype: "ml-llm", From: dayStart(dayOf(t0) - 30),
		Tiers: []Tier{{Min: 0, Max: 100000, Fixed: dec("0"), Multiplier: dec("0.000025")},
			{Min: 100000, Max: -1, Fixed: dec("0"), Multiplier: dec("0.0000125")}}})
}

// seedLabPricing adds the lab-specific price and the discounts.
func (s *Server) seedLabPricing(w *world.World, t0 time.Time) {
	today := dayOf(t0)
	for i, lab := range w.VirtualLabs {
		switch {
		case i == 0:
			s.book.addDiscount(Discount{VlabID: lab.ID, Discount: dec("0.15"), From: dayStart(today - 45)})
		case i == 1:
			s.book.addPrice(Price{Type: typeLongrun, Subtype: "notebook", VlabID: lab.ID, From: dayStart(today - 200),
				Tiers: scaled(longrunTiers("notebook"), dec("0.6"))})
			s.book.addDiscount(Discount{VlabID: lab.ID, Discount: dec("0.25"), From: dayStart(today - 150), To: dayStart(today - 60)})
		case i%7 == 3:
			s.book.addDiscount(Discount{VlabID: lab.ID, Discount: dec("0.1"), From: dayStart(today - 20)})
		}
	}
}
