package cache

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// UsageStatusFilter selects the status rows of the usage page. The status
// is a site-wide aggregate per resource (it names no project), so it takes
// no scope: every signed-in person may see it.
type UsageStatusFilter struct {
	// From and To bound the days: From is rounded down to its UTC day, and
	// a day is included when From <= day < To.
	From, To time.Time
	Resource string
	Sort     string // one of UsageStatusSorts
	Desc     bool
	Limit    int
	Offset   int
}

// usageStatusOrder maps sort keys to SQL; charges are ordered as numbers
// (only the order uses a float; the values shown stay exact).
var usageStatusOrder = map[string]string{
	"day": "day", "resource": "resource", "loaded": "loaded", "failed": "failed",
	"charge": "CAST(total_charge AS REAL)",
}

// UsageStatusSorts lists the sort keys of the status table.
func UsageStatusSorts() []string { return amieSortKeys(usageStatusOrder) }

// DayStart returns 00:00 UTC of t's day.
func DayStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (f UsageStatusFilter) where() (string, []any) {
	w, args := "day >= ? AND day < ?", []any{secs(DayStart(f.From)), secs(f.To)}
	if f.Resource != "" {
		w += " AND resource = ?"
		args = append(args, f.Resource)
	}
	return w, args
}

func (f UsageStatusFilter) orderBy() string {
	col, ok := usageStatusOrder[f.Sort]
	if !ok {
		col, f.Desc = "day", true
	}
	return col + dir(f.Desc) + ", day DESC, resource ASC"
}

const amieStatusCols = `day, resource, loaded, failed, total_charge`

func scanAMIEStatus(rows rowScanner) (AMIEStatusDay, error) {
	var r AMIEStatusDay
	var day int64
	err := rows.Scan(&day, &r.Resource, &r.Loaded, &r.Failed, &r.TotalCharge)
	r.Day = unix(day)
	return r, err
}

// ListUsageStatus returns one page of status rows and how many match.
func (db *DB) ListUsageStatus(ctx context.Context, f UsageStatusFilter) ([]AMIEStatusDay, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	out, total, err := list(ctx, db, f.listQuery(), scanAMIEStatus)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: list usage status: %w", err)
	}
	return out, total, nil
}

// EachUsageStatus calls fn for every matching row in the table's order,
// reading one row at a time (for CSV downloads).
func (db *DB) EachUsageStatus(ctx context.Context, f UsageStatusFilter, fn func(AMIEStatusDay) error) error {
	f.Limit, f.Offset = 0, 0
	if err := each(ctx, db, f.listQuery(), scanAMIEStatus, fn); err != nil {
		return fmt.Errorf("cache: usage status: %w", err)
	}
	return nil
}

// UsageStatusSummary is the status of a range summed over resources.
type UsageStatusSummary struct {
	Loaded, Failed int64
	// Charge is the exact sum of the loaded charges.
	Charge string
	// Days are the per-day sums (Resource empty), oldest first; days
	// without records are left out.
	Days []AMIEStatusDay
	// Resources is how many resources reported in the range.
	Resources int
}

// UsageStatusSummary sums the matching rows per day and in total. Charges
// are summed exactly: in SQL from their integer millionths where those are
// exact, and from the text (ChargeSum) for the days where some are not or
// when the integer sum would overflow. Counts are summed in SQL.
func (db *DB) UsageStatusSummary(ctx context.Context, f UsageStatusFilter) (UsageStatusSummary, error) {
	var s UsageStatusSummary
	err := db.read(ctx, func(tx *sql.Tx) error {
		w, args := f.where()
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(DISTINCT resource) FROM amie_status_days WHERE `+w, args...).Scan(&s.Resources); err != nil {
			return err
		}
		days, inexact, err := amieSummaryDays(ctx, tx, w, args)
		if err != nil {
			// An integer sum overflowed: sum every day from the text.
			if days, err = amieTextSummary(ctx, tx, w, args); err != nil {
				return err
			}
			inexact = nil
		}
		for _, d := range inexact {
			if err := amieExactDayCharge(ctx, tx, w, args, &days[d]); err != nil {
				return err
			}
		}
		s.Days = days
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("cache: usage status summary: %w", err)
	}
	var total ChargeSum
	for _, d := range s.Days {
		s.Loaded += d.Loaded
		s.Failed += d.Failed
		if err := total.Add(d.TotalCharge); err != nil {
			return s, fmt.Errorf("cache: usage status summary: %w", err)
		}
	}
	s.Charge = amieTrimZeros(total.String())
	return s, nil
}

// amieSummaryDays sums the rows per day in SQL; it returns the indexes of the
// days whose charge must be summed from the text.
func amieSummaryDays(ctx context.Context, tx *sql.Tx, w string, args []any) ([]AMIEStatusDay, []int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT day, SUM(loaded), SUM(failed), COALESCE(SUM(charge_micro), 0), COUNT(*) - COUNT(charge_micro)
		FROM amie_status_days WHERE `+w+` GROUP BY day ORDER BY day`, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var days []AMIEStatusDay
	var inexact []int
	for rows.Next() {
		var d AMIEStatusDay
		var day, micro, nulls int64
		if err := rows.Scan(&day, &d.Loaded, &d.Failed, &micro, &nulls); err != nil {
			return nil, nil, err
		}
		d.Day, d.TotalCharge = unix(day), amieMicroString(micro)
		if nulls > 0 {
			inexact = append(inexact, len(days))
		}
		days = append(days, d)
	}
	return days, inexact, rows.Err()
}

// amieExactDayCharge sums one day's charges from their text.
func amieExactDayCharge(ctx context.Context, tx *sql.Tx, w string, args []any, d *AMIEStatusDay) error {
	rows, err := tx.QueryContext(ctx, `SELECT total_charge FROM amie_status_days WHERE `+w+` AND day = ?`, append(args[:len(args):len(args)], secs(d.Day))...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var sum ChargeSum
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		if err := sum.Add(c); err != nil {
			return fmt.Errorf("%s: %w", FormatDay(d.Day), err)
		}
	}
	d.TotalCharge = amieTrimZeros(sum.String())
	return rows.Err()
}

// amieTextSummary sums every row in Go: per day, counts and exact charges.
func amieTextSummary(ctx context.Context, tx *sql.Tx, w string, args []any) ([]AMIEStatusDay, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+amieStatusCols+` FROM amie_status_days WHERE `+w+` ORDER BY day`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var days []AMIEStatusDay
	var sum ChargeSum
	flush := func() {
		if n := len(days); n > 0 {
			days[n-1].TotalCharge = amieTrimZeros(sum.String())
		}
		sum = ChargeSum{}
	}
	for rows.Next() {
		r, err := scanAMIEStatus(rows)
		if err != nil {
			return nil, err
		}
		if n := len(days); n == 0 || !days[n-1].Day.Equal(r.Day) {
			flush()
			days = append(days, AMIEStatusDay{Day: r.Day})
		}
		d := &days[len(days)-1]
		d.Loaded += r.Loaded
		d.Failed += r.Failed
		if err := sum.Add(r.TotalCharge); err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.Resource, FormatDay(r.Day), err)
		}
	}
	flush()
	return days, rows.Err()
}

// FormatDay prints a UTC day as YYYY-MM-DD.
func FormatDay(t time.Time) string { return t.UTC().Format("2006-01-02") }

// listQuery is the list of status rows f selects.
func (f UsageStatusFilter) listQuery() listQuery {
	w, args := f.where()
	return listQuery{cols: amieStatusCols, from: `amie_status_days`, where: w, args: args, order: f.orderBy(), limit: f.Limit, offset: f.Offset}
}
