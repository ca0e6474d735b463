package obi

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// Discount is a virtual lab's discount: costs are multiplied by
// (1 - Discount) while it is valid, from ValidFrom to ValidTo (zero: open).
//
// The service has no read of prices at all (API.md §5.5); discounts are
// what it offers to read about pricing.
type Discount struct {
	ID        int64
	VlabID    string
	Discount  decimal.Decimal
	ValidFrom time.Time
	ValidTo   time.Time
}

// Discounts returns every discount of a virtual lab, newest first. An
// unknown lab has none (the service does not answer 404 here).
func (c *Client) Discounts(ctx context.Context, vlabID string) ([]Discount, error) {
	if err := checkID("virtual lab id", vlabID); err != nil {
		return nil, err
	}
	d, data, err := c.get(ctx, "/discount/virtual-lab/"+vlabID, nil)
	if err != nil {
		return nil, err
	}
	out := decodeDiscounts(d, data)
	return out, d.err
}

func decodeDiscounts(d *decoder, data json.RawMessage) []Discount {
	var items []json.RawMessage
	if json.Unmarshal(data, &items) != nil {
		d.fail("data", "not a list")
		return nil
	}
	out := make([]Discount, 0, len(items))
	for i, raw := range items {
		out = append(out, decodeDiscount(d.object(raw, pathIndex("data", i))))
	}
	return out
}

func decodeDiscount(o object) Discount {
	return Discount{ID: o.num("id", true), VlabID: o.id("vlab_id", true), Discount: o.dec("discount", true),
		ValidFrom: o.tm("valid_from", true), ValidTo: o.tm("valid_to", false)}
}

// CurrentDiscount returns the discount active now for a virtual lab, and
// false when there is none.
func (c *Client) CurrentDiscount(ctx context.Context, vlabID string) (Discount, bool, error) {
	if err := checkID("virtual lab id", vlabID); err != nil {
		return Discount{}, false, err
	}
	d, data, err := c.get(ctx, "/discount/virtual-lab/"+vlabID+"/current", nil)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Code == CodeEntityNotFound {
		return Discount{}, false, nil
	}
	if err != nil {
		return Discount{}, false, err
	}
	out := decodeDiscount(d.object(data, "data"))
	return out, d.err == nil, d.err
}

// AddDiscount creates a discount (0 to 1) for a virtual lab from validFrom
// to validTo (zero: open-ended) and returns its id. Not idempotent.
func (c *Client) AddDiscount(ctx context.Context, vlabID string, discount decimal.Decimal, validFrom, validTo time.Time) (int64, error) {
	if err := checkID("virtual lab id", vlabID); err != nil {
		return 0, err
	}
	if discount.Sign() < 0 || discount.Cmp(decimal.NewFromInt(1)) > 0 {
		return 0, portal.Errorf(portal.EINVALID, "OBI: a discount is between 0 and 1, not %s", discount)
	}
	body := struct {
		VlabID    string          `json:"vlab_id"`
		Discount  decimal.Decimal `json:"discount"`
		ValidFrom string          `json:"valid_from"`
		ValidTo   *string         `json:"valid_to"`
	}{vlabID, discount, wireTime(validFrom), optTime(validTo)}
	data, err := c.write(ctx, "/discount", body)
	if err != nil {
		return 0, err
	}
	return createdID(data, "/discount")
}

// wireTime is the aware UTC form the service requires.
func wireTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := wireTime(t)
	return &s
}

// createdID reads data.id of a creation answer.
func createdID(data json.RawMessage, path string) (int64, error) {
	d := &decoder{where: "POST " + path}
	id := d.object(data, "data").num("id", true)
	if d.err != nil {
		return 0, portal.WrapError(portal.EUNCERTAIN, d.err, "OBI answered POST %s without an id; it was probably created", path)
	}
	return id, nil
}
