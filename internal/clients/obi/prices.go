package obi

import (
	"context"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// Tier is one price tier: usage from Min up to Max (nil: no limit) costs
// FixedCost once, on entering the tier, plus Multiplier per unit.
type Tier struct {
	Min        int64
	Max        *int64
	FixedCost  decimal.Decimal
	Multiplier decimal.Decimal
}

// Price is a price for a service type and subtype, for one virtual lab or
// (VlabID "") the default.
type Price struct {
	Type      string // oneshot, longrun, storage
	Subtype   string
	VlabID    string
	ValidFrom time.Time
	ValidTo   time.Time // zero: open-ended
	Tiers     []Tier
}

type tierIn struct {
	Min        int64           `json:"min_quantity"`
	Max        *int64          `json:"max_quantity"`
	FixedCost  decimal.Decimal `json:"fixed_cost"`
	Multiplier decimal.Decimal `json:"multiplier"`
}

// AddPrice adds a price (the service never lists prices, so this is for
// seeding deployments) and returns its id. Adding a price never
// invalidates an older one: the newest valid one applies. Not idempotent.
func (c *Client) AddPrice(ctx context.Context, p Price) (int64, error) {
	if p.VlabID != "" {
		if err := checkID("virtual lab id", p.VlabID); err != nil {
			return 0, err
		}
	}
	if len(p.Tiers) == 0 {
		return 0, portal.Errorf(portal.EINVALID, "OBI: a price needs at least one tier")
	}
	tiers := make([]tierIn, len(p.Tiers))
	for i, t := range p.Tiers {
		tiers[i] = tierIn{t.Min, t.Max, t.FixedCost, t.Multiplier}
	}
	var vlab *string
	if p.VlabID != "" {
		vlab = &p.VlabID
	}
	body := struct {
		Type      string   `json:"service_type"`
		Subtype   string   `json:"service_subtype"`
		ValidFrom string   `json:"valid_from"`
		ValidTo   *string  `json:"valid_to"`
		VlabID    *string  `json:"vlab_id"`
		Tiers     []tierIn `json:"tiers"`
	}{p.Type, p.Subtype, wireTime(p.ValidFrom), optTime(p.ValidTo), vlab, tiers}
	data, err := c.write(ctx, "/price", body)
	if err != nil {
		return 0, err
	}
	return createdID(data, "/price")
}
