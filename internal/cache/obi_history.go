package cache

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Reads of one project's history: balance snapshots, daily spend and
// jobs. The caller has already checked the project is in the user's
// scope (BudgetProjectByKey) and passes its OBI id.

// until is the end of a range [from, to) in whole seconds, rounded up:
// times are stored to the second, so a range that ends "now" includes
// what was stored earlier in this second.
func until(t time.Time) int64 {
	s := secs(t)
	if !t.IsZero() && t.Truncate(time.Second).Before(t) {
		s++
	}
	return s
}

// BalancePoint is an account's balance at a time.
type BalancePoint struct {
	At                   time.Time
	Balance, Reservation decimal.Decimal
}

// BalanceSeries returns an account's snapshots in [from, to) thinned to
// at most about maxPoints: the last snapshot of each equal time bucket,
// oldest first. It is what a chart draws.
func (db *DB) BalanceSeries(ctx context.Context, account string, from, to time.Time, maxPoints int) ([]BalancePoint, error) {
	bucket := max(int64(1), (until(to)-secs(from))/int64(max(maxPoints, 1)))
	// SQLite returns the other columns of the row holding MAX(at).
	rows, err := db.r.QueryContext(ctx, `SELECT MAX(at), balance, reservation FROM obi_balance_snapshots
		WHERE account = ? AND at >= ? AND at < ? GROUP BY (at - ?) / ? ORDER BY 1`, account, secs(from), until(to), secs(from), bucket)
	if err != nil {
		return nil, fmt.Errorf("cache: balance series: %w", err)
	}
	defer rows.Close()
	var out []BalancePoint
	for rows.Next() {
		var p BalancePoint
		var at int64
		if err := rows.Scan(&at, &p.Balance, &p.Reservation); err != nil {
			return nil, fmt.Errorf("cache: balance series: %w", err)
		}
		p.At = unix(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// SnapshotFilter selects an account's snapshots in [From, To).
type SnapshotFilter struct {
	From, To      time.Time
	Desc          bool
	Limit, Offset int
}

// BudgetSnapshots returns a page of an account's snapshots and how many match.
func (db *DB) BudgetSnapshots(ctx context.Context, account string, f SnapshotFilter) ([]BalancePoint, int64, error) {
	var out []BalancePoint
	var total int64
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM obi_balance_snapshots WHERE account = ? AND at >= ? AND at < ?`,
			account, secs(f.From), until(f.To)).Scan(&total); err != nil {
			return err
		}
		return eachSnapshot(ctx, tx, account, f, func(p BalancePoint) error { out = append(out, p); return nil })
	})
	if err != nil {
		return nil, 0, fmt.Errorf("cache: balance snapshots: %w", err)
	}
	return out, total, nil
}

// EachBudgetSnapshot calls fn with every matching snapshot, streaming.
func (db *DB) EachBudgetSnapshot(ctx context.Context, account string, f SnapshotFilter, fn func(BalancePoint) error) error {
	f.Limit, f.Offset = 0, 0
	return db.read(ctx, func(tx *sql.Tx) error { return eachSnapshot(ctx, tx, account, f, fn) })
}

func eachSnapshot(ctx context.Context, tx *sql.Tx, account string, f SnapshotFilter, fn func(BalancePoint) error) error {
	order := "ASC"
	if f.Desc {
		order = "DESC"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := tx.QueryContext(ctx, `SELECT at, balance, reservation FROM obi_balance_snapshots
		WHERE account = ? AND at >= ? AND at < ? ORDER BY at `+order+` LIMIT ? OFFSET ?`, account, secs(f.From), until(f.To), limit, f.Offset)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p BalancePoint
		var at int64
		if err := rows.Scan(&at, &p.Balance, &p.Reservation); err != nil {
			return err
		}
		p.At = unix(at)
		if err := fn(p); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DailySpend is one project's spend on one UTC day for one job type.
type DailySpend struct {
	Day    time.Time
	Type   string
	Amount decimal.Decimal
	Jobs   int64
}

// BudgetDailySpend returns a project's daily spend per job type for the
// days in [from, to), oldest first.
func (db *DB) BudgetDailySpend(ctx context.Context, projID string, from, to time.Time) ([]DailySpend, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT day, type, amount, jobs FROM obi_spend_daily
		WHERE proj_id = ? AND day >= ? AND day < ? ORDER BY day, type`, projID, dayStart(secs(from)), until(to))
	if err != nil {
		return nil, fmt.Errorf("cache: daily spend: %w", err)
	}
	defer rows.Close()
	var out []DailySpend
	for rows.Next() {
		var s DailySpend
		var day int64
		if err := rows.Scan(&day, &s.Type, &s.Amount, &s.Jobs); err != nil {
			return nil, fmt.Errorf("cache: daily spend: %w", err)
		}
		s.Day = unix(day)
		out = append(out, s)
	}
	return out, rows.Err()
}

// SpendBetween returns the exact cost of a project's jobs that ended in [from, to).
func (db *DB) SpendBetween(ctx context.Context, projID string, from, to time.Time) (decimal.Decimal, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT amount FROM obi_jobs WHERE proj_id = ? AND finished_at >= ? AND finished_at < ?`,
		projID, secs(from), until(to))
	if err != nil {
		return decimal.Zero, fmt.Errorf("cache: spend: %w", err)
	}
	defer rows.Close()
	sum := decimal.Zero
	for rows.Next() {
		var a decimal.Decimal
		if err := rows.Scan(&a); err != nil {
			return decimal.Zero, fmt.Errorf("cache: spend: %w", err)
		}
		sum = sum.Add(a)
	}
	return sum, rows.Err()
}

// BudgetJobFilter selects a project's jobs that ended in [From, To).
type BudgetJobFilter struct {
	From, To time.Time
	Type     string // "" for every type
	// Sort is a key of BudgetJobSorts.
	Sort          string
	Desc          bool
	Limit, Offset int
}

// BudgetJobSorts are the sort keys of the jobs table and their columns.
var BudgetJobSorts = map[string]string{
	"started": "started_at", "finished": "finished_at", "type": "type", "subtype": "subtype", "status": "status",
	"cost": "amount_nano", "reserved": "reserved_nano", "duration": "duration",
}

func (f BudgetJobFilter) where(projID string) (string, []any) {
	w, args := `proj_id = ? AND finished_at >= ? AND finished_at < ?`, []any{projID, secs(f.From), until(f.To)}
	if f.Type != "" {
		w += ` AND type = ?`
		args = append(args, f.Type)
	}
	return w, args
}

func (f BudgetJobFilter) order() string {
	col, ok := BudgetJobSorts[f.Sort]
	if !ok {
		col = "finished_at"
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	// rowid breaks ties: the index on (proj_id, finished_at) holds it, so
	// the default order needs no sort of its own.
	return col + dir + ", obi_jobs.rowid" + dir
}

const jobCols = `job_id, proj_id, vlab_id, type, subtype, status, name, user_id, reserved_at, started_at, finished_at, cancelled_at,
	amount, reserved_amount, count, reserved_count, duration, reserved_duration, size`

func scanJob(row interface{ Scan(...any) error }) (OBIJob, error) {
	var j OBIJob
	var reservedAt, started, finished, cancelled int64
	var reserved string
	err := row.Scan(&j.ID, &j.ProjID, &j.VlabID, &j.Type, &j.Subtype, &j.Status, &j.Name, &j.UserID, &reservedAt, &started, &finished,
		&cancelled, &j.Amount, &reserved, &j.Count, &j.ReservedCount, &j.Duration, &j.ReservedDuration, &j.Size)
	if err != nil {
		return j, err
	}
	j.ReservedAt, j.StartedAt, j.FinishedAt, j.CancelledAt = unix(reservedAt), unix(started), unix(finished), unix(cancelled)
	if reserved != "" {
		if j.ReservedAmount, err = decimal.Parse(reserved); err != nil {
			return j, err
		}
		j.HasReservation = true
	}
	return j, nil
}

// BudgetJobs returns a page of a project's jobs and how many match.
func (db *DB) BudgetJobs(ctx context.Context, projID string, f BudgetJobFilter) ([]OBIJob, int64, error) {
	var out []OBIJob
	var total int64
	err := db.read(ctx, func(tx *sql.Tx) error {
		w, args := f.where(projID)
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM obi_jobs WHERE `+w, args...).Scan(&total); err != nil {
			return err
		}
		return eachJob(ctx, tx, projID, f, func(j OBIJob) error { out = append(out, j); return nil })
	})
	if err != nil {
		return nil, 0, fmt.Errorf("cache: budget jobs: %w", err)
	}
	return out, total, nil
}

// EachBudgetJob calls fn with every matching job in order, streaming.
func (db *DB) EachBudgetJob(ctx context.Context, projID string, f BudgetJobFilter, fn func(OBIJob) error) error {
	f.Limit, f.Offset = 0, 0
	return db.read(ctx, func(tx *sql.Tx) error { return eachJob(ctx, tx, projID, f, fn) })
}

func eachJob(ctx context.Context, tx *sql.Tx, projID string, f BudgetJobFilter, fn func(OBIJob) error) error {
	w, args := f.where(projID)
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+jobCols+` FROM obi_jobs WHERE `+w+` ORDER BY `+f.order()+` LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return err
		}
		if err := fn(j); err != nil {
			return err
		}
	}
	return rows.Err()
}
