package obi

import (
	"net/http"
	"sort"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

type tierOut struct {
	MinQuantity int64           `json:"min_quantity"`
	MaxQuantity *int64          `json:"max_quantity"`
	FixedCost   decimal.Decimal `json:"fixed_cost"`
	Multiplier  decimal.Decimal `json:"multiplier"`
	ID          int64           `json:"id"`
}

type priceOut struct {
	ServiceType    string    `json:"service_type"`
	ServiceSubtype string    `json:"service_subtype"`
	ValidFrom      wireTime  `json:"valid_from"`
	ValidTo        nullTime  `json:"valid_to"`
	VlabID         *string   `json:"vlab_id"`
	ID             int64     `json:"id"`
	Tiers          []tierOut `json:"tiers"`
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// checkTiers applies the price model's validators to tiers sorted by
// min_quantity; it returns the message of the first rule broken.
func checkTiers(tiers []Tier) string {
	if tiers[0].Min != 0 {
		return "First tier must start at min_quantity=0"
	}
	for i, t := range tiers {
		if t.Max < 0 && i != len(tiers)-1 {
			return "Only the last tier can have max_quantity=None"
		}
		if i > 0 && t.Min != tiers[i-1].Max {
			return "Tiers must be contiguous: each min_quantity must equal the previous max_quantity"
		}
	}
	return ""
}

func tiersOf(v values) []Tier {
	raw, _ := v["tiers"].([]values)
	tiers := make([]Tier, len(raw))
	for i, t := range raw {
		tiers[i] = Tier{Min: t.num("min_quantity"), Max: -1, Fixed: t.dec("fixed_cost"), Multiplier: t.dec("multiplier")}
		if t.has("max_quantity") {
			tiers[i].Max = t.num("max_quantity")
		}
	}
	sort.SliceStable(tiers, func(i, j int) bool { return tiers[i].Min < tiers[j].Min })
	return tiers
}

func modelError(msg string) []detail {
	return []detail{{"value_error", []any{"body"}, "Value error, " + msg}}
}

func (s *Server) handleAddPrice(c *call) {
	v, ok := c.bodyOf(priceIn)
	if !ok {
		return
	}
	if v.has("valid_to") && !v.tm("valid_to").After(v.tm("valid_from")) {
		c.invalid(modelError("valid_to must be greater than valid_from"))
		return
	}
	tiers := tiersOf(v)
	if msg := checkTiers(tiers); msg != "" {
		c.invalid(modelError(msg))
		return
	}
	if v.has("vlab_id") && s.led.get(v.str("vlab_id"), KindVirtualLab) == nil {
		c.fail(notFound("Virtual lab not found"))
		return
	}
	p := s.book.addPrice(Price{Type: v.str("service_type"), Subtype: v.str("service_subtype"), VlabID: v.str("vlab_id"),
		From: v.tm("valid_from"), To: v.tm("valid_to"), Tiers: tiers})
	c.data(http.StatusCreated, "Price added", priceToWire(p))
}

func priceToWire(p *Price) priceOut {
	out := priceOut{ServiceType: p.Type, ServiceSubtype: p.Subtype, ValidFrom: wireTime(p.From), ValidTo: nullTime(p.To),
		VlabID: nullString(p.VlabID), ID: p.ID}
	for _, t := range p.Tiers {
		to := tierOut{MinQuantity: t.Min, FixedCost: t.Fixed, Multiplier: t.Multiplier, ID: t.ID}
		if t.Max >= 0 {
			m := t.Max
			to.MaxQuantity = &m
		}
		out.Tiers = append(out.Tiers, to)
	}
	return out
}

type discountCreatedOut struct {
	VlabID    string          `json:"vlab_id"`
	Discount  decimal.Decimal `json:"discount"`
	ValidFrom wireTime        `json:"valid_from"`
	ValidTo   nullTime        `json:"valid_to"`
	ID        int64           `json:"id"`
}

type discountOut struct {
	ID        int64           `json:"id"`
	VlabID    string          `json:"vlab_id"`
	Discount  decimal.Decimal `json:"discount"`
	ValidFrom wireTime        `json:"valid_from"`
	ValidTo   nullTime        `json:"valid_to"`
}

func discountToWire(d *Discount) discountOut {
	return discountOut{d.ID, d.VlabID, d.Discount, wireTime(d.From), nullTime(d.To)}
}

func (s *Server) handleAddDiscount(c *call) {
	v, ok := c.bodyOf(discountIn)
	if !ok {
		return
	}
	if v.has("valid_to") && !v.tm("valid_to").After(v.tm("valid_from")) {
		c.invalid(modelError("valid_to must be greater than valid_from"))
		return
	}
	if s.led.get(v.str("vlab_id"), KindVirtualLab) == nil {
		c.fail(notFound("Virtual lab not found"))
		return
	}
	d := s.book.addDiscount(Discount{VlabID: v.str("vlab_id"), Discount: v.dec("discount"), From: v.tm("valid_from"), To: v.tm("valid_to")})
	c.data(http.StatusCreated, "Discount created", discountCreatedOut{d.VlabID, d.Discount, wireTime(d.From), nullTime(d.To), d.ID})
}

// handleDiscounts lists a lab's discounts, newest valid_from first, then
// by id descending; an unknown lab has none.
func (s *Server) handleDiscounts(c *call) {
	id, ok := c.pathUUID("vlab_id")
	if !ok {
		return
	}
	var ds []*Discount
	for _, d := range s.book.discounts {
		if d.VlabID == id {
			ds = append(ds, d)
		}
	}
	sort.SliceStable(ds, func(i, j int) bool {
		if !ds[i].From.Equal(ds[j].From) {
			return ds[i].From.After(ds[j].From)
		}
		return ds[i].ID > ds[j].ID
	})
	out := make([]discountOut, 0, len(ds))
	for _, d := range ds {
		out = append(out, discountToWire(d))
	}
	c.data(http.StatusOK, "Virtual lab discounts fetched", out)
}

func (s *Server) handleCurrentDiscount(c *call) {
	id, ok := c.pathUUID("vlab_id")
	if !ok {
		return
	}
	d := s.book.current(id, c.now)
	if d == nil {
		c.fail(notFound("No current discount found for the virtual lab"))
		return
	}
	c.data(http.StatusOK, "Current virtual lab discount fetched", discountToWire(d))
}

// jobCost is the discounted §6 cost of usage prev→cur for a job of the
// project's lab, with the price valid at priceAt and the discount at now.
func (s *Server) jobCost(typ, subtype, vlab string, prev, cur int64, priceAt, now time.Time) (decimal.Decimal, *apiError) {
	p := s.book.lookup(typ, subtype, vlab, priceAt)
	if p == nil {
		return decimal.Zero, missingPrice(vlab, typ, subtype, priceAt)
	}
	return s.book.discounted(tierCost(p.Tiers, prev, cur), vlab, now), nil
}

func (s *Server) handleEstimate(c *call) {
	v, ok := c.bodyOf(estimateIn)
	if !ok {
		return
	}
	proj := s.led.get(v.str("proj_id"), KindProject)
	if proj == nil {
		c.fail(notFound("Project not found"))
		return
	}
	cost, err := s.jobCost(typeOneshot, v.str("subtype"), proj.parent, 0, v.num("count"), c.now, c.now)
	if err != nil {
		c.fail(err)
		return
	}
	c.data(http.StatusOK, "Cost estimation for oneshot job", struct {
		Cost money2 `json:"cost"`
	}{money2(cost)})
}
