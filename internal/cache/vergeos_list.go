package cache

import (
	"context"
	"database/sql"
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
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	// The tie-break follows the period index, so the default order (by
	// period) reads a page straight off the index without sorting the range.
	if key == "from" {
		return "period_from" + dir + ", period_to" + dir + ", record_key" + dir, nil
	}
	return expr + dir + ", period_from" + dir + ", period_to" + dir + ", record_key" + dir, nil
}

// BillingRecords returns a page of the filter's records and how many match.
func (db *DB) BillingRecords(ctx context.Context, f BillingFilter) ([]BillingRecord, int64, error) {
	where, args := f.where()
	var total int64
	var out []BillingRecord
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM vergeos_billing WHERE `+where, args...).Scan(&total); err != nil {
			return err
		}
		return db.eachBilling(ctx, tx, f, func(r *BillingRecord) error {
			out = append(out, *r)
			return nil
		})
	})
	if err != nil {
		return nil, 0, fmt.Errorf("cache: billing records: %w", err)
	}
	return out, total, nil
}

// EachBillingRecord calls fn with each of the filter's records in order,
// one row at a time, so a CSV of years of records streams in constant
// memory. fn must not keep r.
func (db *DB) EachBillingRecord(ctx context.Context, f BillingFilter, fn func(r *BillingRecord) error) error {
	err := db.read(ctx, func(tx *sql.Tx) error { return db.eachBilling(ctx, tx, f, fn) })
	if err != nil {
		return fmt.Errorf("cache: billing records: %w", err)
	}
	return nil
}

func (db *DB) eachBilling(ctx context.Context, tx *sql.Tx, f BillingFilter, fn func(r *BillingRecord) error) error {
	where, args := f.where()
	order, err := f.order()
	if err != nil {
		return err
	}
	q := `SELECT ` + billingCols + ` FROM vergeos_billing WHERE ` + where + ` ORDER BY ` + order
	if f.Limit > 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, f.Limit, f.Offset)
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r BillingRecord
	dest := billingFields(&r)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}
