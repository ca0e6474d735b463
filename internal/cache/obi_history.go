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
	out, err := all(ctx, db, `SELECT s.at, s.balance, s.reservation FROM obi_balance_snapshots s JOIN (
			SELECT MAX(at) AS at FROM obi_balance_snapshots WHERE account = ? AND at >= ? AND at < ? GROUP BY (at - ?) / ?
		) b ON b.at = s.at WHERE s.account = ? ORDER BY s.at`, []any{account, secs(from), until(to), secs(from), bucket, account}, scanBalancePoint)
	if err != nil {
		return nil, fmt.Errorf("cache: balance series: %w", err)
	}
	return out, nil
}

// SnapshotFilter selects an account's snapshots in [From, To).
type SnapshotFilter struct {
	From, To      time.Time
	Desc          bool
	Limit, Offset int
}

// BudgetSnapshots returns a page of an account's snapshots and how many match.
func (db *DB) BudgetSnapshots(ctx context.Context, account string, f SnapshotFilter) ([]BalancePoint, int64, error) {
	out, total, err := list(ctx, db, f.listQuery(account), scanBalancePoint)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: balance snapshots: %w", err)
	}
	return out, total, nil
}

// EachBudgetSnapshot calls fn with every matching snapshot, streaming.
func (db *DB) EachBudgetSnapshot(ctx context.Context, account string, f SnapshotFilter, fn func(BalancePoint) error) error {
	f.Limit, f.Offset = 0, 0
	return each(ctx, db, f.listQuery(account), scanBalancePoint, fn)
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
	out, err := all(ctx, db, `SELECT day, type, amount, jobs FROM obi_spend_daily
		WHERE proj_id = ? AND day >= ? AND day < ? ORDER BY day, type`, []any{projID, dayStart(secs(from)), until(to)}, func(row rowScanner) (DailySpend, error) {
		var s DailySpend
		var day int64
		err := row.Scan(&day, &s.Type, &s.Amount, &s.Jobs)
		s.Day = unix(day)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: daily spend: %w", err)
	}
	return out, nil
}

// SpendBetween returns the exact cost of a project's jobs that ended in [from, to).
func (db *DB) SpendBetween(ctx context.Context, projID string, from, to time.Time) (decimal.Decimal, error) {
	sum := decimal.Zero
	err := db.read(ctx, func(tx *sql.Tx) error {
		return eachRow(ctx, tx, `SELECT amount FROM obi_jobs WHERE proj_id = ? AND finished_at >= ? AND finished_at < ?`,
			[]any{projID, secs(from), until(to)}, scanValue[decimal.Decimal], func(a decimal.Decimal) error {
				sum = sum.Add(a)
				return nil
			})
	})
	if err != nil {
		return decimal.Zero, fmt.Errorf("cache: spend: %w", err)
	}
	return sum, nil
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
	d := dir(f.Desc)
	// The row id breaks ties: the index on (proj_id, finished_at) holds
	// it, so the default order needs no sort of its own.
	return col + d + ", obi_jobs." + sqlRowID + d
}

const jobCols = `job_id, proj_id, vlab_id, type, subtype, status, name, user_id, reserved_at, started_at, finished_at, cancelled_at,
	amount, reserved_amount, count, reserved_count, duration, reserved_duration, size`

func scanJob(row rowScanner) (OBIJob, error) {
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
	out, total, err := list(ctx, db, f.listQuery(projID), scanJob)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: budget jobs: %w", err)
	}
	return out, total, nil
}

// EachBudgetJob calls fn with every matching job in order, streaming.
func (db *DB) EachBudgetJob(ctx context.Context, projID string, f BudgetJobFilter, fn func(OBIJob) error) error {
	f.Limit, f.Offset = 0, 0
	return each(ctx, db, f.listQuery(projID), scanJob, fn)
}

func scanBalancePoint(row rowScanner) (BalancePoint, error) {
	var p BalancePoint
	var at int64
	err := row.Scan(&at, &p.Balance, &p.Reservation)
	p.At = unix(at)
	return p, err
}

// listQuery is the list of an account's snapshots f selects.
func (f SnapshotFilter) listQuery(account string) listQuery {
	return listQuery{cols: `at, balance, reservation`, from: `obi_balance_snapshots`, where: `account = ? AND at >= ? AND at < ?`,
		args: []any{account, secs(f.From), until(f.To)}, order: "at" + dir(f.Desc), limit: f.Limit, offset: f.Offset}
}

// listQuery is the list of a project's jobs f selects.
func (f BudgetJobFilter) listQuery(projID string) listQuery {
	w, args := f.where(projID)
	return listQuery{cols: jobCols, from: `obi_jobs`, where: w, args: args, order: f.order(), limit: f.Limit, offset: f.Offset}
}
