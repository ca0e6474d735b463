package cache

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/portal"
)

// recordSortColumns are the columns of billing.RecordSorts. Only these keys
// reach a query; each ends in a unique tie-break so pages never overlap.
var recordSortColumns = map[string]string{
	"created": "created",
	"from":    "period_from",
	"cpu":     pctCPU,
	"ram":     pctRAM,
	"storage": sumUsed,
	"gpu":     pctGPU,
	"vgpu":    pctVGPU,
	"sent":    "sent",
}

// recordWhere is the condition of the records f selects.
func recordWhere(f billing.RecordFilter) (string, []any) {
	lo, hi := unixRange(f.From, f.To)
	w := periodWhere
	if f.Unsent {
		w += ` AND sent = 0`
	}
	return w, []any{lo, hi}
}

// recordOrder is the ORDER BY of f's sort.
func recordOrder(f billing.RecordFilter) (string, error) {
	key := f.Sort
	if key == "" {
		key = "from"
	}
	expr, ok := recordSortColumns[key]
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
// Counting a year of records and sorting a page of them cost as much as
// the rest of the billing page, and they change only with a VergeOS sync:
// the page is kept like the summary (rememberBilling), by the filter's
// sort and page and the first and last record its range holds.
func (db *DB) BillingRecords(ctx context.Context, f billing.RecordFilter) ([]billing.Record, int64, error) {
	q, err := recordQuery(f)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: billing records: %w", err)
	}
	kind := "records:" + strconv.FormatBool(f.Unsent) + ":" + f.Sort + ":" + strconv.FormatBool(f.Desc) + ":" +
		strconv.Itoa(f.Limit) + ":" + strconv.Itoa(f.Offset)
	p, err := rememberBilling(ctx, db, kind, f.From, f.To, func() (billingPage, error) {
		out, total, err := list(ctx, db, q, scanBilling)
		return billingPage{out, total}, err
	}, func(p billingPage) billingPage { return billingPage{slices.Clone(p.rows), p.total} })
	if err != nil {
		return nil, 0, fmt.Errorf("cache: billing records: %w", err)
	}
	return p.rows, p.total, nil
}

// billingPage is a page of records with how many the filter selects.
type billingPage struct {
	rows  []billing.Record
	total int64
}

// EachBillingRecord calls fn with each of the filter's records in order,
// one row at a time, so a CSV of years of records streams in constant
// memory. fn must not keep r: it is scanned into again for the next row.
func (db *DB) EachBillingRecord(ctx context.Context, f billing.RecordFilter, fn func(r *billing.Record) error) error {
	q, err := recordQuery(f)
	if err == nil {
		var r billing.Record
		fields := billingFields(&r)
		// Every column is a NOT NULL integer or text: scanned into interface
		// values and assigned here, a row costs no reflection (database/sql
		// converts an integer into an *int64 through reflect, which was a
		// tenth of a records CSV).
		vals := make([]any, len(fields))
		dest := make([]any, len(fields))
		for i := range vals {
			dest[i] = &vals[i]
		}
		err = each(ctx, db, q, func(row rowScanner) (*billing.Record, error) {
			if err := row.Scan(dest...); err != nil {
				return nil, err
			}
			return &r, assignScanned(fields, vals)
		}, fn)
	}
	if err != nil {
		return fmt.Errorf("cache: billing records: %w", err)
	}
	return nil
}

// recordQuery is the list of records f selects.
func recordQuery(f billing.RecordFilter) (listQuery, error) {
	where, args := recordWhere(f)
	order, err := recordOrder(f)
	if err != nil {
		return listQuery{}, err
	}
	return listQuery{cols: billingCols, from: `vergeos_billing`, where: where, args: args, order: order, limit: f.Limit, offset: f.Offset}, nil
}

// assignScanned stores each driver value of vals in the *int64 or *string
// of fields at its index. A value of another type (a column of an
// unexpected type) is an error that names the column's position.
func assignScanned(fields, vals []any) error {
	for i, f := range fields {
		switch p := f.(type) {
		case *int64:
			v, ok := vals[i].(int64)
			if !ok {
				return fmt.Errorf("column %d: %T is not an integer", i+1, vals[i])
			}
			*p = v
		case *string:
			switch v := vals[i].(type) {
			case string:
				*p = v
			case []byte:
				*p = string(v)
			default:
				return fmt.Errorf("column %d: %T is not text", i+1, vals[i])
			}
		default:
			return fmt.Errorf("column %d: cannot assign to %T", i+1, f)
		}
	}
	return nil
}
