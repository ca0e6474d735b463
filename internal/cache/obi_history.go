package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
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

// BalanceSeries returns an account's snapshots in [from, to) thinned to
// at most about maxPoints: the last snapshot of each equal time bucket,
// oldest first. It is what a chart draws.
func (db *DB) BalanceSeries(ctx context.Context, account string, from, to time.Time, maxPoints int) ([]budgets.BalancePoint, error) {
	bucket := max(int64(1), (until(to)-secs(from))/int64(max(maxPoints, 1)))
	// One pass over the range, newest first within each bucket. A join of
	// the snapshots with their buckets' MAX(at) was planned, with bound
	// parameters, as a scan of the buckets for every snapshot: 15 s for
	// the 10,000 snapshots a project gathers in five weeks.
	out, err := all(ctx, db, `SELECT at, balance, reservation FROM (
			SELECT at, balance, reservation, ROW_NUMBER() OVER (PARTITION BY (at - ?) / ? ORDER BY at DESC) AS newest
			FROM obi_balance_snapshots WHERE account = ? AND at >= ? AND at < ?
		) b WHERE newest = 1 ORDER BY at`, []any{secs(from), bucket, account, secs(from), until(to)}, scanBalancePoint)
	if err != nil {
		return nil, fmt.Errorf("cache: balance series: %w", err)
	}
	return out, nil
}

// keptTimes is the first column of q (times, in order) for arg, kept
// under key until gen moves: the ends of a range ending at the request's
// moment are found among them, to keep answers by what the range holds.
func keptTimes(ctx context.Context, db *DB, key, gen, q string, arg any) ([]int64, error) {
	return remembered(db, key, gen, func() ([]int64, error) { return all(ctx, db, q, []any{arg}, scanValue[int64]) }, same)
}

// BudgetSnapshots returns a page of an account's snapshots and how many match.
func (db *DB) BudgetSnapshots(ctx context.Context, account string, f budgets.SnapshotFilter) ([]budgets.BalancePoint, int64, error) {
	out, total, err := list(ctx, db, snapshotQuery(account, f), scanBalancePoint)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: balance snapshots: %w", err)
	}
	return out, total, nil
}

// EachBudgetSnapshot calls fn with every matching snapshot, streaming.
func (db *DB) EachBudgetSnapshot(ctx context.Context, account string, f budgets.SnapshotFilter, fn func(budgets.BalancePoint) error) error {
	f.Limit, f.Offset = 0, 0
	return each(ctx, db, snapshotQuery(account, f), scanBalancePoint, fn)
}

// BudgetDailySpend returns a project's daily spend per job type for the
// days in [from, to), oldest first. A range that ends at the request's
// moment is new every time, so the answer is kept by which of the
// project's days it holds (their positions among the project's days, kept
// too) until OBI's data moves (memo.go).
func (db *DB) BudgetDailySpend(ctx context.Context, projID string, from, to time.Time) ([]budgets.DailySpend, error) {
	gen := db.gen(portal.UpstreamOBI)
	days, err := keptTimes(ctx, db, "spend days:"+projID, gen, `SELECT day FROM obi_spend_daily WHERE proj_id = ? ORDER BY day, type`, projID)
	if err != nil {
		return nil, fmt.Errorf("cache: daily spend: %w", err)
	}
	f, u := dayStart(secs(from)), until(to)
	lo, _ := slices.BinarySearch(days, f)
	hi, _ := slices.BinarySearch(days, u)
	out, err := remembered(db, "daily spend:"+projID+":"+strconv.Itoa(lo)+":"+strconv.Itoa(hi), gen, func() ([]budgets.DailySpend, error) {
		return all(ctx, db, `SELECT day, type, amount, jobs FROM obi_spend_daily
		WHERE proj_id = ? AND day >= ? AND day < ? ORDER BY day, type`, []any{projID, f, u}, func(row rowScanner) (budgets.DailySpend, error) {
			var s budgets.DailySpend
			var day int64
			err := row.Scan(&day, &s.Type, &s.Amount, &s.Jobs)
			s.Day = unix(day)
			return s, err
		})
	}, slices.Clone)
	if err != nil {
		return nil, fmt.Errorf("cache: daily spend: %w", err)
	}
	return out, nil
}

// SpendBetween returns the exact cost of a project's jobs that ended in [from, to).
func (db *DB) SpendBetween(ctx context.Context, projID string, from, to time.Time) (decimal.Decimal, error) {
	sum := decimal.Zero
	err := db.read(ctx, func(tx *sql.Tx) error {
		return eachRow(ctx, db, tx, `SELECT amount FROM obi_jobs WHERE proj_id = ? AND finished_at >= ? AND finished_at < ?`,
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

// jobSortColumns are the columns of budgets.JobSorts.
var jobSortColumns = map[string]string{
	"started": "started_at", "finished": "finished_at", "type": "type", "subtype": "subtype", "status": "status",
	"cost": "amount_nano", "reserved": "reserved_nano", "duration": "duration",
}

func jobWhere(projID string, f budgets.JobFilter) (string, []any) {
	w, args := `proj_id = ? AND finished_at >= ? AND finished_at < ?`, []any{projID, secs(f.From), until(f.To)}
	if f.Type != "" {
		w += ` AND type = ?`
		args = append(args, f.Type)
	}
	return w, args
}

func jobOrder(f budgets.JobFilter) string {
	col, ok := jobSortColumns[f.Sort]
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

func scanJob(row rowScanner) (budgets.Job, error) {
	var j budgets.Job
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

// BudgetJobs returns a page of a project's jobs and how many match. A
// range that ends at the request's moment is new every time, so a page is
// kept by which of the project's jobs the range holds (the positions of
// its ends among their finishing times, kept too) until OBI's data moves
// (memo.go).
func (db *DB) BudgetJobs(ctx context.Context, projID string, f budgets.JobFilter) ([]budgets.Job, int64, error) {
	gen := db.gen(portal.UpstreamOBI)
	finishes, err := keptTimes(ctx, db, "job finishes:"+projID, gen, `SELECT finished_at FROM obi_jobs WHERE proj_id = ? ORDER BY finished_at`, projID)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: budget jobs: %w", err)
	}
	lo, _ := slices.BinarySearch(finishes, secs(f.From))
	hi, _ := slices.BinarySearch(finishes, until(f.To))
	type page struct {
		jobs  []budgets.Job
		total int64
	}
	key := strings.Join([]string{"budget jobs", projID, f.Type, f.Sort, strconv.FormatBool(f.Desc), strconv.Itoa(f.Limit), strconv.Itoa(f.Offset),
		strconv.Itoa(lo), strconv.Itoa(hi)}, "\x00")
	p, err := remembered(db, key, gen, func() (page, error) {
		out, total, err := list(ctx, db, jobQuery(projID, f), scanJob)
		return page{out, total}, err
	}, func(p page) page { return page{slices.Clone(p.jobs), p.total} })
	if err != nil {
		return nil, 0, fmt.Errorf("cache: budget jobs: %w", err)
	}
	return p.jobs, p.total, nil
}

// EachBudgetJob calls fn with every matching job in order, streaming.
func (db *DB) EachBudgetJob(ctx context.Context, projID string, f budgets.JobFilter, fn func(budgets.Job) error) error {
	f.Limit, f.Offset = 0, 0
	return each(ctx, db, jobQuery(projID, f), scanJob, fn)
}

func scanBalancePoint(row rowScanner) (budgets.BalancePoint, error) {
	var p budgets.BalancePoint
	var at int64
	err := row.Scan(&at, &p.Balance, &p.Reservation)
	p.At = unix(at)
	return p, err
}

// snapshotQuery is the list of an account's snapshots f selects.
func snapshotQuery(account string, f budgets.SnapshotFilter) listQuery {
	return listQuery{cols: `at, balance, reservation`, from: `obi_balance_snapshots`, where: `account = ? AND at >= ? AND at < ?`,
		args: []any{account, secs(f.From), until(f.To)}, order: "at" + dir(f.Desc), limit: f.Limit, offset: f.Offset}
}

// jobQuery is the list of a project's jobs f selects.
func jobQuery(projID string, f budgets.JobFilter) listQuery {
	w, args := jobWhere(projID, f)
	return listQuery{cols: jobCols, from: `obi_jobs`, where: w, args: args, order: jobOrder(f), limit: f.Limit, offset: f.Offset}
}
