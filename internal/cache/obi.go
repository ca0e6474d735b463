package cache

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// The OBI sync's writes: balances with a snapshot at each sync, discounts,
// job reports with their daily spend rollup, and the report cursor. The
// sync only reads what the catalogue names (OBITargets); data of a project
// later removed from the catalogue stays stored but hidden (pages join the
// catalogue), so a mistaken edit of the projects file does not erase a
// balance history the upstream cannot give back.

func init() {
	registerCountedTable(portal.UpstreamOBI, "virtual lab balances", "obi_lab_balances")
	registerCountedTable(portal.UpstreamOBI, "project balances", "obi_project_balances")
	registerCountedTable(portal.UpstreamOBI, "balance snapshots", "obi_balance_snapshots")
	registerCountedTable(portal.UpstreamOBI, "jobs", "obi_jobs")
	registerCountedTable(portal.UpstreamOBI, "discounts", "obi_discounts")
}

// OBITargets lists the catalogued virtual labs, each with the catalogued
// projects that belong to it: exactly what the OBI sync reads.
func (db *DB) OBITargets(ctx context.Context) ([]budgets.Target, error) {
	var out []budgets.Target
	err := db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT l.id, l.name, COALESCE(pi.upstream_id, ''), COALESCE(pi.project_key, '')
		FROM virtual_labs l LEFT JOIN project_ids pi ON pi.vlab_id = l.id AND pi.upstream = 'obi'
		ORDER BY l.name, l.id, pi.project_key`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, name, proj, key string
			if err := rows.Scan(&id, &name, &proj, &key); err != nil {
				return err
			}
			if len(out) == 0 || out[len(out)-1].VlabID != id {
				out = append(out, budgets.Target{VlabID: id, Name: name})
			}
			if proj != "" {
				t := &out[len(out)-1]
				t.Projects = append(t.Projects, budgets.TargetProject{ProjID: proj, Key: key})
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("cache: OBI targets: %w", err)
	}
	return out, nil
}

// SaveOBIBalances records readings taken at at: the current balances and
// one snapshot per account, in one transaction. It returns the rows written.
func (db *DB) SaveOBIBalances(ctx context.Context, at time.Time, labs []budgets.LabReading) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		for _, l := range labs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO obi_lab_balances(vlab_id, balance) VALUES (?, ?)
				ON CONFLICT(vlab_id) DO UPDATE SET balance = excluded.balance`, l.VlabID, l.Balance); err != nil {
				return err
			}
			if err := snapshot(ctx, tx, l.VlabID, "vlab", at, l.Balance, decimal.Zero); err != nil {
				return err
			}
			n += 2
			for _, p := range l.Projects {
				if _, err := tx.ExecContext(ctx, `INSERT INTO obi_project_balances(proj_id, vlab_id, balance, reservation) VALUES (?, ?, ?, ?)
					ON CONFLICT(proj_id) DO UPDATE SET vlab_id = excluded.vlab_id, balance = excluded.balance, reservation = excluded.reservation`,
					p.ProjID, l.VlabID, p.Balance, p.Reservation); err != nil {
					return err
				}
				if err := snapshot(ctx, tx, p.ProjID, "project", at, p.Balance, p.Reservation); err != nil {
					return err
				}
				n += 2
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: save OBI balances: %w", err)
	}
	db.bump(portal.UpstreamOBI)
	return n, nil
}

// snapshot records one account's balance at a time; a second reading in
// the same second replaces the first.
func snapshot(ctx context.Context, tx *sql.Tx, account, kind string, at time.Time, bal, rsv decimal.Decimal) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO obi_balance_snapshots(account, at, kind, balance, reservation) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(account, at) DO UPDATE SET kind = excluded.kind, balance = excluded.balance, reservation = excluded.reservation`,
		account, secs(at), kind, bal, rsv)
	return err
}

// ReplaceOBIDiscounts makes a lab's stored discounts equal to ds.
func (db *DB) ReplaceOBIDiscounts(ctx context.Context, vlabID string, ds []budgets.Discount) (int64, error) {
	err := db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM obi_discounts WHERE vlab_id = ?`, vlabID); err != nil {
			return err
		}
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `INSERT INTO obi_discounts(vlab_id, id, discount, valid_from, valid_to, current) VALUES (?, ?, ?, ?, ?, ?)`,
				vlabID, d.ID, d.Discount, secs(d.ValidFrom), secs(d.ValidTo), d.Current); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: save OBI discounts: %w", err)
	}
	db.bump(portal.UpstreamOBI)
	return int64(len(ds)), nil
}

// SaveOBIJobs stores a batch of jobs and brings the daily spend rollup of
// every day they touch up to date, in one transaction. It returns how
// many jobs were new or different from what was stored (0: all known).
// The jobs go in as multi-row upserts that return the jobs they changed;
// each touched day is added up once per batch.
func (db *DB) SaveOBIJobs(ctx context.Context, jobs []budgets.Job) (int64, error) {
	var changed int64
	jobs = lastOfEach(jobs, func(j budgets.Job) string { return j.ID })
	err := db.bulkWrite(ctx, func(tx *sql.Tx) error {
		old, err := storedJobDays(ctx, tx, jobs)
		if err != nil {
			return err
		}
		touched := map[spendDay]bool{}
		err = upsertJobs.query(ctx, tx, len(jobs), func(i int, args []any) []any { return append(args, jobArgs(jobs[i])...) },
			func(row rowScanner) error {
				var id, proj string
				var finished int64
				if err := row.Scan(&id, &proj, &finished); err != nil {
					return err
				}
				changed++
				touched[spendDay{proj, dayStart(finished)}] = true
				if d, ok := old[id]; ok {
					touched[d] = true
				}
				return nil
			})
		if err != nil {
			return err
		}
		return rollUpDays(ctx, tx, touched)
	})
	if err != nil {
		return 0, fmt.Errorf("cache: save OBI jobs: %w", err)
	}
	if changed > 0 {
		db.bump(portal.UpstreamOBI)
	}
	return changed, nil
}

// OBIJobsChanged returns how many of jobs SaveOBIJobs would store as new
// or different, without writing: what a sync that stores nothing (the
// benchmark's fetch floor) needs to read the same pages as one that does.
func (db *DB) OBIJobsChanged(ctx context.Context, jobs []budgets.Job) (int64, error) {
	jobs = lastOfEach(jobs, func(j budgets.Job) string { return j.ID })
	var same int64
	err := db.read(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(jobs); start += 500 {
			chunk := jobs[start:min(start+500, len(jobs))]
			args := make([]any, 0, len(chunk)*len(jobArgs(budgets.Job{})))
			for _, j := range chunk {
				args = append(args, jobArgs(j)...)
			}
			// The stored rows that equal a job of the chunk, compared as the upsert compares them.
			var n int64
			err := tx.QueryRowContext(ctx, `WITH b(job_id, proj_id, vlab_id, type, subtype, status, name, user_id, reserved_at, started_at, finished_at,
				cancelled_at, amount, amount_nano, reserved_amount, reserved_nano, count, reserved_count, duration, reserved_duration, size) AS (VALUES `+
				strings.TrimSuffix(strings.Repeat("("+placeholders(21)+"),", len(chunk)), ",")+`)
				SELECT COUNT(*) FROM b JOIN obi_jobs j ON j.job_id = b.job_id WHERE NOT (`+sqlDiffers(`(j.proj_id, j.vlab_id, j.type, j.subtype, j.status,
				j.name, j.user_id, j.reserved_at, j.started_at, j.finished_at, j.cancelled_at, j.amount, j.reserved_amount, j.count, j.reserved_count,
				j.duration, j.reserved_duration, j.size)`, `(b.proj_id, b.vlab_id, b.type, b.subtype, b.status, b.name, b.user_id, b.reserved_at,
				b.started_at, b.finished_at, b.cancelled_at, b.amount, b.reserved_amount, b.count, b.reserved_count, b.duration, b.reserved_duration, b.size)`)+`)`,
				args...).Scan(&n)
			if err != nil {
				return err
			}
			same += n
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: compare OBI jobs: %w", err)
	}
	return int64(len(jobs)) - same, nil
}

// upsertJobs inserts jobs, or updates one only when something differs,
// and returns (job_id, proj_id, finished_at) of each job it wrote.
var upsertJobs = bulkInsert{
	head: `INSERT INTO obi_jobs(job_id, proj_id, vlab_id, type, subtype, status, name, user_id, reserved_at, started_at, finished_at,
	cancelled_at, amount, amount_nano, reserved_amount, reserved_nano, count, reserved_count, duration, reserved_duration, size)`,
	tail: `ON CONFLICT(job_id) DO UPDATE SET proj_id = excluded.proj_id, vlab_id = excluded.vlab_id, type = excluded.type,
	subtype = excluded.subtype, status = excluded.status, name = excluded.name, user_id = excluded.user_id,
	reserved_at = excluded.reserved_at, started_at = excluded.started_at, finished_at = excluded.finished_at,
	cancelled_at = excluded.cancelled_at, amount = excluded.amount, amount_nano = excluded.amount_nano,
	reserved_amount = excluded.reserved_amount, reserved_nano = excluded.reserved_nano, count = excluded.count,
	reserved_count = excluded.reserved_count, duration = excluded.duration, reserved_duration = excluded.reserved_duration, size = excluded.size
	WHERE ` + sqlDiffers(`(proj_id, vlab_id, type, subtype, status, name, user_id, reserved_at, started_at, finished_at, cancelled_at, amount,
	reserved_amount, count, reserved_count, duration, reserved_duration, size)`,
		`(excluded.proj_id, excluded.vlab_id, excluded.type, excluded.subtype, excluded.status, excluded.name, excluded.user_id,
	excluded.reserved_at, excluded.started_at, excluded.finished_at, excluded.cancelled_at, excluded.amount, excluded.reserved_amount,
	excluded.count, excluded.reserved_count, excluded.duration, excluded.reserved_duration, excluded.size)`) + `
	RETURNING job_id, proj_id, finished_at`,
	cols: 21,
}

func jobArgs(j budgets.Job) []any {
	reserved := ""
	if j.HasReservation {
		reserved = j.ReservedAmount.String()
	}
	return []any{j.ID, j.ProjID, j.VlabID, j.Type, j.Subtype, j.Status, j.Name, j.UserID, secs(j.ReservedAt), secs(j.StartedAt),
		secs(j.FinishedAt), secs(j.CancelledAt), j.Amount, nanos(j.Amount), reserved, nanos(j.ReservedAmount), j.Count,
		j.ReservedCount, j.Duration, j.ReservedDuration, j.Size}
}

// storedJobDays returns the project and end day of the jobs already
// stored, in one query per batch: a changed job's old day needs its
// rollup redone too.
func storedJobDays(ctx context.Context, tx *sql.Tx, jobs []budgets.Job) (map[string]spendDay, error) {
	out := map[string]spendDay{}
	for start := 0; start < len(jobs); start += 500 {
		chunk := jobs[start:min(start+500, len(jobs))]
		ids := make([]any, len(chunk))
		for i, j := range chunk {
			ids[i] = j.ID
		}
		rows, err := tx.QueryContext(ctx, `SELECT job_id, proj_id, finished_at FROM obi_jobs WHERE job_id IN (`+placeholders(len(ids))+`)`, ids...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, proj string
			var fin int64
			if err := rows.Scan(&id, &proj, &fin); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = spendDay{proj, dayStart(fin)}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type spendDay struct {
	proj string
	day  int64
}

const daySecs = 86400

// dayStart is the UTC midnight at or before t (Unix seconds).
func dayStart(t int64) int64 { return int64(math.Floor(float64(t)/daySecs)) * daySecs }

// rollUpDays recomputes the spend of the touched days, exactly, from
// their jobs, in a few statements per project rather than a few per day
// (a first sync's batch touches every day of a year): one read of the
// project's jobs from its first touched day to its last, then the days'
// rows replaced in bulk.
func rollUpDays(ctx context.Context, tx *sql.Tx, touched map[spendDay]bool) error {
	byProj := map[string][]int64{}
	for d := range touched {
		byProj[d.proj] = append(byProj[d.proj], d.day)
	}
	type dayType struct {
		day int64
		typ string
	}
	for _, proj := range slices.Sorted(maps.Keys(byProj)) {
		days := byProj[proj]
		slices.Sort(days)
		want := map[int64]bool{}
		for _, d := range days {
			want[d] = true
		}
		sums := map[dayType]decimal.Decimal{}
		counts := map[dayType]int64{}
		rows, err := tx.QueryContext(ctx, `SELECT finished_at, type, amount FROM obi_jobs WHERE proj_id = ? AND finished_at >= ? AND finished_at < ?`,
			proj, days[0], days[len(days)-1]+daySecs)
		if err != nil {
			return err
		}
		for rows.Next() {
			var fin int64
			var typ string
			var amt decimal.Decimal
			if err := rows.Scan(&fin, &typ, &amt); err != nil {
				rows.Close()
				return err
			}
			if k := (dayType{dayStart(fin), typ}); want[k.day] {
				sums[k] = sums[k].Add(amt)
				counts[k]++
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for start := 0; start < len(days); start += bulkRows {
			chunk := days[start:min(start+bulkRows, len(days))]
			args := []any{proj}
			for _, d := range chunk {
				args = append(args, d)
			}
			for _, t := range []string{"obi_spend_daily", "obi_spend_total"} {
				// Table names are constants.
				if _, err := tx.ExecContext(ctx, `DELETE FROM `+t+` WHERE proj_id = ? AND day IN (`+placeholders(len(chunk))+`)`, args...); err != nil {
					return err
				}
			}
		}
		keys := slices.SortedFunc(maps.Keys(sums), func(a, b dayType) int {
			return cmp.Or(cmp.Compare(a.day, b.day), strings.Compare(a.typ, b.typ))
		})
		if _, err := insertSpendDaily.exec(ctx, tx, len(keys), func(i int, args []any) []any {
			k := keys[i]
			return append(args, proj, k.day, k.typ, sums[k], counts[k])
		}); err != nil {
			return err
		}
		totals := map[int64]decimal.Decimal{}
		for _, k := range keys {
			totals[k.day] = totals[k.day].Add(sums[k])
		}
		totalDays := slices.Sorted(maps.Keys(totals))
		if _, err := insertSpendTotal.exec(ctx, tx, len(totalDays), func(i int, args []any) []any {
			return append(args, proj, totalDays[i], totals[totalDays[i]])
		}); err != nil {
			return err
		}
	}
	return nil
}

var (
	insertSpendDaily = bulkInsert{head: `INSERT INTO obi_spend_daily(proj_id, day, type, amount, jobs)`, cols: 5}
	insertSpendTotal = bulkInsert{head: `INSERT INTO obi_spend_total(proj_id, day, amount)`, cols: 3}
)

// nanos is d in 1e-9 credits, rounded and clamped to int64: a sort key,
// never an amount to show or add.
func nanos(d decimal.Decimal) int64 {
	s := strings.Replace(d.StringFixed(9), ".", "", 1)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if d.Sign() < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return n
}

// OBIJobCursorOf returns a project's report cursor (Known false before
// its first complete walk).
func (db *DB) OBIJobCursorOf(ctx context.Context, projID string) (budgets.JobCursor, error) {
	c, err := one(ctx, db, `SELECT watermark, full_at FROM obi_job_cursor WHERE proj_id = ?`, []any{projID}, func(row rowScanner) (budgets.JobCursor, error) {
		var wm, full int64
		err := row.Scan(&wm, &full)
		return budgets.JobCursor{Known: true, Watermark: unix(wm), FullAt: unix(full)}, err
	})
	switch {
	case err == sql.ErrNoRows:
		return budgets.JobCursor{}, nil
	case err != nil:
		return budgets.JobCursor{}, fmt.Errorf("cache: OBI job cursor: %w", err)
	}
	return c, nil
}

// SetOBIJobCursor records a completed walk of a project's report.
func (db *DB) SetOBIJobCursor(ctx context.Context, projID string, c budgets.JobCursor) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO obi_job_cursor(proj_id, watermark, full_at) VALUES (?, ?, ?)
			ON CONFLICT(proj_id) DO UPDATE SET watermark = excluded.watermark, full_at = excluded.full_at`,
			projID, secs(c.Watermark), secs(c.FullAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("cache: set OBI job cursor: %w", err)
	}
	return nil
}
