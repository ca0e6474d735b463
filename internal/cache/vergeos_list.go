package cache

import (
	"context"
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// BillingSorts maps the records table's sort keys to SQL. Only these keys
// reach a query; each ends in a unique tie-break so pages never overlap.
var BillingSorts = map[string]string{
	"created": "created",
	"from":    "period_from",
	"cpu":     pctCPU,
	"ram":     pctRAM,
	"storage": sumUsed,
	"gpu":     pctGPU,
	"vgpu":    pctVGPU,
	"sent":    "sent",
}

// BillingFilter selects billing records of a period for the records table
// and its CSV.
type BillingFilter struct {
	// From and To bound the start of the billed period: [From, To).
	From, To time.Time
	// Unsent keeps only records VergeOS has not reported (sent absent or 0).
	Unsent bool
	// Sort is a key of BillingSorts ("" means from); Desc reverses it.
	Sort string
	Desc bool
	// Limit and Offset page the rows; Limit 0 means all.
	Limit, Offset int
}

func (f BillingFilter) where() (string, []any) {
	lo, hi := unixRange(f.From, f.To)
	w := periodWhere
	if f.Unsent {
		w += ` AND sent = 0`
	}
	return w, []any{lo, hi}
}

func (f BillingFilter) order() (string, error) {
	key := f.Sort
	if key == "" {
		key = "from"
	}
	expr, ok := BillingSorts[key]
	if !ok {
		return "", portal.Errorf(portal.EINVALID, "sort: %q is not a column of the billing records", key)
	}
	d := dir(f.Desc)
	// The tie-break follows the period index, so the default order (by
	// period) reads a page straight off the index without sorting the range.
	if key == "from" {
		return "period_from" + d + ", period_to" + d + ", record_key" + d, nil
	}
	return expr + d + ", period_from" + d + ", period_to" + d + ", record_key" + d, nil
}

// BillingRecords returns a page of the filter's records and how many match.
func (db *DB) BillingRecords(ctx context.Context, f BillingFilter) ([]BillingRecord, int64, error) {
	q, err := f.listQuery()
	if err != nil {
		return nil, 0, fmt.Errorf("cache: billing records: %w", err)
	}
	out, total, err := list(ctx, db, q, scanBilling)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: billing records: %w", err)
	}
	return out, total, nil
}

// EachBillingRecord calls fn with each of the filter's records in order,
// one row at a time, so a CSV of years of records streams in constant
// memory. fn must not keep r: it is scanned into again for the next row.
func (db *DB) EachBillingRecord(ctx context.Context, f BillingFilter, fn func(r *BillingRecord) error) error {
	q, err := f.listQuery()
	if err == nil {
		var r BillingRecord
		dest := billingFields(&r)
		err = each(ctx, db, q, func(row rowScanner) (*BillingRecord, error) { return &r, row.Scan(dest...) }, fn)
	}
	if err != nil {
		return fmt.Errorf("cache: billing records: %w", err)
	}
	return nil
}

// listQuery is the list of records f selects.
func (f BillingFilter) listQuery() (listQuery, error) {
	where, args := f.where()
	order, err := f.order()
	if err != nil {
		return listQuery{}, err
	}
	return listQuery{cols: billingCols, from: `vergeos_billing`, where: where, args: args, order: order, limit: f.Limit, offset: f.Offset}, nil
}
