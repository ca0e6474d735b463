package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/usage"
)

// statusSortColumns are the columns of usage.StatusSorts; charges are
// ordered as numbers (only the order uses a float; the values shown stay
// exact).
var statusSortColumns = map[string]string{
	"day": "day", "resource": "resource", "loaded": "loaded", "failed": "failed",
	"charge": "CAST(total_charge AS REAL)",
}

// statusWhere is the condition of the status rows f selects.
func statusWhere(f usage.StatusFilter) (string, []any) {
	w, args := "day >= ? AND day < ?", []any{secs(usage.DayStart(f.From)), secs(f.To)}
	if f.Resource != "" {
		w += " AND resource = ?"
		args = append(args, f.Resource)
	}
	return w, args
}

func statusOrder(f usage.StatusFilter) string {
	col, ok := statusSortColumns[f.Sort]
	if !ok {
		col, f.Desc = "day", true
	}
	return col + dir(f.Desc) + ", day DESC, resource ASC"
}

const amieStatusCols = `day, resource, loaded, failed, total_charge`

func scanAMIEStatus(rows rowScanner) (usage.StatusDay, error) {
	var r usage.StatusDay
	var day int64
	err := rows.Scan(&day, &r.Resource, &r.Loaded, &r.Failed, &r.TotalCharge)
	r.Day = unix(day)
	return r, err
}

// ListUsageStatus returns one page of status rows and how many match.
// It changes only with the AMIE sync and the day, and is read again only
// then (memo.go).
func (db *DB) ListUsageStatus(ctx context.Context, f usage.StatusFilter) ([]usage.StatusDay, int64, error) {
	type page struct {
		rows  []usage.StatusDay
		total int64
	}
	p, err := remembered(db, statusKey("status list", f), db.gen(genAMIEStatus), func() (page, error) {
		rows, total, err := db.listUsageStatus(ctx, f)
		return page{rows, total}, err
	}, func(p page) page { return page{slices.Clone(p.rows), p.total} })
	return p.rows, p.total, err
}

// statusKey is f as part of a memo key: the days it selects, which move
// only when its end passes midnight.
func statusKey(kind string, f usage.StatusFilter) string {
	from, to := usage.DayStart(f.From), usage.DayStart(f.To)
	if to.Before(f.To) {
		to = to.AddDate(0, 0, 1)
	}
	return strings.Join([]string{kind, strconv.FormatInt(secs(from), 10), strconv.FormatInt(secs(to), 10), f.Resource, f.Sort,
		strconv.FormatBool(f.Desc), strconv.Itoa(f.Limit), strconv.Itoa(f.Offset)}, "\x00")
}

func (db *DB) listUsageStatus(ctx context.Context, f usage.StatusFilter) ([]usage.StatusDay, int64, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	out, total, err := list(ctx, db, statusQuery(f), scanAMIEStatus)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: list usage status: %w", err)
	}
	return out, total, nil
}

// EachUsageStatus calls fn for every matching row in the table's order,
// reading one row at a time (for CSV downloads).
func (db *DB) EachUsageStatus(ctx context.Context, f usage.StatusFilter, fn func(usage.StatusDay) error) error {
	f.Limit, f.Offset = 0, 0
	if err := each(ctx, db, statusQuery(f), scanAMIEStatus, fn); err != nil {
		return fmt.Errorf("cache: usage status: %w", err)
	}
	return nil
}

// UsageStatusSummary sums the matching rows per day and in total. Charges
// are summed exactly: in SQL from their integer millionths where those are
// exact, and from the text (usage.ChargeSum) for the days where some are not or
// when the integer sum would overflow. Counts are summed in SQL.
// It is kept like ListUsageStatus.
func (db *DB) UsageStatusSummary(ctx context.Context, f usage.StatusFilter) (usage.StatusSummary, error) {
	return remembered(db, statusKey("status summary", f), db.gen(genAMIEStatus),
		func() (usage.StatusSummary, error) { return db.usageStatusSummary(ctx, f) },
		func(s usage.StatusSummary) usage.StatusSummary { s.Days = slices.Clone(s.Days); return s })
}

func (db *DB) usageStatusSummary(ctx context.Context, f usage.StatusFilter) (usage.StatusSummary, error) {
	var s usage.StatusSummary
	err := db.read(ctx, func(tx *sql.Tx) error {
		w, args := statusWhere(f)
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
	var total usage.ChargeSum
	for _, d := range s.Days {
		s.Loaded += d.Loaded
		s.Failed += d.Failed
		if err := total.Add(d.TotalCharge); err != nil {
			return s, fmt.Errorf("cache: usage status summary: %w", err)
		}
	}
	s.Charge = usage.TrimZeros(total.String())
	return s, nil
}

// amieSummaryDays sums the rows per day in SQL; it returns the indexes of the
// days whose charge must be summed from the text.
func amieSummaryDays(ctx context.Context, tx *sql.Tx, w string, args []any) ([]usage.StatusDay, []int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT day, SUM(loaded), SUM(failed), COALESCE(SUM(charge_micro), 0), COUNT(*) - COUNT(charge_micro)
		FROM amie_status_days WHERE `+w+` GROUP BY day ORDER BY day`, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var days []usage.StatusDay
	var inexact []int
	for rows.Next() {
		var d usage.StatusDay
		var day, micro, nulls int64
		if err := rows.Scan(&day, &d.Loaded, &d.Failed, &micro, &nulls); err != nil {
			return nil, nil, err
		}
		d.Day, d.TotalCharge = unix(day), usage.MicrosText(micro)
		if nulls > 0 {
			inexact = append(inexact, len(days))
		}
		days = append(days, d)
	}
	return days, inexact, rows.Err()
}

// amieExactDayCharge sums one day's charges from their text.
func amieExactDayCharge(ctx context.Context, tx *sql.Tx, w string, args []any, d *usage.StatusDay) error {
	rows, err := tx.QueryContext(ctx, `SELECT total_charge FROM amie_status_days WHERE `+w+` AND day = ?`, append(args[:len(args):len(args)], secs(d.Day))...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var sum usage.ChargeSum
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		if err := sum.Add(c); err != nil {
			return fmt.Errorf("%s: %w", usage.FormatDay(d.Day), err)
		}
	}
	d.TotalCharge = usage.TrimZeros(sum.String())
	return rows.Err()
}

// amieTextSummary sums every row in Go: per day, counts and exact charges.
func amieTextSummary(ctx context.Context, tx *sql.Tx, w string, args []any) ([]usage.StatusDay, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+amieStatusCols+` FROM amie_status_days WHERE `+w+` ORDER BY day`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var days []usage.StatusDay
	var sum usage.ChargeSum
	flush := func() {
		if n := len(days); n > 0 {
			days[n-1].TotalCharge = usage.TrimZeros(sum.String())
		}
		sum = usage.ChargeSum{}
	}
	for rows.Next() {
		r, err := scanAMIEStatus(rows)
		if err != nil {
			return nil, err
		}
		if n := len(days); n == 0 || !days[n-1].Day.Equal(r.Day) {
			flush()
			days = append(days, usage.StatusDay{Day: r.Day})
		}
		d := &days[len(days)-1]
		d.Loaded += r.Loaded
		d.Failed += r.Failed
		if err := sum.Add(r.TotalCharge); err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.Resource, usage.FormatDay(r.Day), err)
		}
	}
	flush()
	return days, rows.Err()
}

// statusQuery is the list of status rows f selects.
func statusQuery(f usage.StatusFilter) listQuery {
	w, args := statusWhere(f)
	return listQuery{cols: amieStatusCols, from: `amie_status_days`, where: w, args: args, order: statusOrder(f), limit: f.Limit, offset: f.Offset}
}
