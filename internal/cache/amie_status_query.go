package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
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
func UsageStatusSorts() []string {
	keys := make([]string, 0, len(usageStatusOrder))
	for k := range usageStatusOrder {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

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
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	return " ORDER BY " + col + dir + ", day DESC, resource ASC"
}

const statusCols = `day, resource, loaded, failed, total_charge`

func scanStatus(rows *sql.Rows) (AMIEStatusDay, error) {
	var r AMIEStatusDay
	var day int64
	err := rows.Scan(&day, &r.Resource, &r.Loaded, &r.Failed, &r.TotalCharge)
	r.Day = unix(day)
	return r, err
}

// ListUsageStatus returns one page of status rows and how many match.
func (db *DB) ListUsageStatus(ctx context.Context, f UsageStatusFilter) ([]AMIEStatusDay, int64, error) {
	w, args := f.where()
	var out []AMIEStatusDay
	var total int64
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM amie_status_days WHERE `+w, args...).Scan(&total); err != nil {
			return err
		}
		limit := f.Limit
		if limit <= 0 {
			limit = 50
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+statusCols+` FROM amie_status_days WHERE `+w+f.orderBy()+` LIMIT ? OFFSET ?`,
			append(args, limit, f.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanStatus(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("cache: list usage status: %w", err)
	}
	return out, total, nil
}

// EachUsageStatus calls fn for every matching row in the table's order,
// reading one row at a time (for CSV downloads).
func (db *DB) EachUsageStatus(ctx context.Context, f UsageStatusFilter, fn func(AMIEStatusDay) error) error {
	w, args := f.where()
	rows, err := db.r.QueryContext(ctx, `SELECT `+statusCols+` FROM amie_status_days WHERE `+w+f.orderBy(), args...)
	if err != nil {
		return fmt.Errorf("cache: usage status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanStatus(rows)
		if err != nil {
			return fmt.Errorf("cache: usage status: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
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
// are summed exactly (see ChargeSum).
func (db *DB) UsageStatusSummary(ctx context.Context, f UsageStatusFilter) (UsageStatusSummary, error) {
	w, args := f.where()
	var s UsageStatusSummary
	rows, err := db.r.QueryContext(ctx, `SELECT `+statusCols+` FROM amie_status_days WHERE `+w+` ORDER BY day`, args...)
	if err != nil {
		return s, fmt.Errorf("cache: usage status summary: %w", err)
	}
	defer rows.Close()
	var total, day ChargeSum
	resources := map[string]bool{}
	flush := func() {
		if n := len(s.Days); n > 0 {
			s.Days[n-1].TotalCharge = day.String()
		}
		day = ChargeSum{}
	}
	for rows.Next() {
		r, err := scanStatus(rows)
		if err != nil {
			return s, fmt.Errorf("cache: usage status summary: %w", err)
		}
		if n := len(s.Days); n == 0 || !s.Days[n-1].Day.Equal(r.Day) {
			flush()
			s.Days = append(s.Days, AMIEStatusDay{Day: r.Day})
		}
		d := &s.Days[len(s.Days)-1]
		d.Loaded += r.Loaded
		d.Failed += r.Failed
		s.Loaded += r.Loaded
		s.Failed += r.Failed
		if err := day.Add(r.TotalCharge); err != nil {
			return s, fmt.Errorf("cache: usage status summary: %s %s: %w", r.Resource, FormatDay(r.Day), err)
		}
		total.Add(r.TotalCharge)
		resources[r.Resource] = true
	}
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("cache: usage status summary: %w", err)
	}
	flush()
	s.Charge, s.Resources = total.String(), len(resources)
	return s, nil
}

// FormatDay prints a UTC day as YYYY-MM-DD.
func FormatDay(t time.Time) string { return t.UTC().Format("2006-01-02") }
