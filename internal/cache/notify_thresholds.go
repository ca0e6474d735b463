package cache

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/portal"
)

// Budget thresholds: after each sync the app reads every project's
// budgets in their current period (ThresholdMeasures) and applies the
// thresholds to them (ApplyThresholds), which fires each level once per
// period and re-arms it after a top-up above it.

// ThresholdMeasures returns the budgets thresholds watch, as of now: for
// each catalogued OBI project, the credits it received this month (what
// it spent in the month plus its balance now) against what it spent, with
// the day its balance runs out at the 30-day burn rate; and each budget
// set on the ledger whose period holds now, in the base currency, with
// the day it runs out before its period ends.
func (db *DB) ThresholdMeasures(ctx context.Context, now time.Time, base string, warnPct decimal.Decimal) ([]notify.Measure, error) {
	type obiProject struct{ key, name, obiID string }
	projects, err := all(ctx, db, `SELECT pi.project_key, p.name, pi.upstream_id FROM project_ids pi JOIN projects p ON p.key = pi.project_key
		WHERE pi.upstream = 'obi' ORDER BY pi.project_key`, nil, func(r rowScanner) (obiProject, error) {
		var p obiProject
		err := r.Scan(&p.key, &p.name, &p.obiID)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: threshold measures: %w", err)
	}
	month := costs.Month(now)
	var out []notify.Measure
	for _, p := range projects {
		s, err := db.ProjectOBI(ctx, p.obiID, month, month.AddDate(0, 1, 0), now)
		if err != nil {
			return nil, err
		}
		if !s.Known {
			continue
		}
		out = append(out, notify.Measure{Project: p.key, ProjectName: p.name, Budget: notify.BudgetOBI, What: "the OBI credits it received this month",
			Unit: "credits", Period: month.Format("2006-01"), Received: s.Spent.Add(s.Balance), Spent: s.Spent, RunOut: s.RunOut,
			Link: "/budgets/projects/" + url.PathEscape(p.key)})
	}
	bs, err := db.Budgets(ctx, portal.Scope{All: true}, "")
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, p := range projects {
		names[p.key] = p.name
	}
	for _, b := range bs {
		if now.Before(b.Period.Start) || !now.Before(b.Period.End()) {
			continue
		}
		spent, _, err := db.SpentBetween(ctx, b.Project, b.Period.Start, b.Period.End())
		if err != nil {
			return nil, err
		}
		st := costs.EvaluateBudget(b, spent, now, warnPct)
		m := notify.Measure{Project: b.Project, ProjectName: names[b.Project], Budget: notify.BudgetLedgerPrefix + b.Period.Kind,
			What: "its budget for " + b.Period.Label(), Unit: base, Period: b.Period.Label(), Received: b.Amount, Spent: st.Spent,
			Link: "/projects/" + url.PathEscape(b.Project)}
		if st.RunsOutEarly {
			m.RunOut = st.RunOut
		}
		if m.ProjectName == "" {
			if n, err := db.ProjectNames(ctx, []string{b.Project}); err == nil {
				m.ProjectName = n[b.Project]
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// ApplyThresholds evaluates ms against the thresholds (the site's, with
// each project's additions), in one transaction: levels newly crossed are
// recorded as fired and raise one event per budget for the project's
// managers (and members who opted in); levels the budget was topped up
// above are re-armed. A level already fired in the period is not fired
// again, however often this runs. It returns the events raised.
func (db *DB) ApplyThresholds(ctx context.Context, ms []notify.Measure, now time.Time) (int, error) {
	raised := 0
	err := db.write(ctx, func(tx *sql.Tx) error {
		site, extras, err := thresholdsIn(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			fired, err := firedIn(ctx, tx, m)
			if err != nil {
				return err
			}
			ev := notify.Evaluate(m, site.With(extras[m.Project]), fired, now)
			for _, f := range ev.Rearm {
				if _, err := tx.ExecContext(ctx, `DELETE FROM notify_fired WHERE project_key = ? AND budget = ? AND period = ? AND metric = ? AND level = ?`,
					f.Project, f.Budget, f.Period, f.Metric, f.Level); err != nil {
					return err
				}
			}
			inserted := 0
			for _, f := range ev.Fire {
				res, err := tx.ExecContext(ctx, `INSERT INTO notify_fired(project_key, budget, period, metric, level, amount, fired_at)
					VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, f.Project, f.Budget, f.Period, f.Metric, f.Level, f.Amount, secs(now))
				if err != nil {
					return err
				}
				n, _ := res.RowsAffected()
				inserted += int(n)
			}
			if ev.Event == nil || inserted == 0 {
				continue
			}
			rcpts, err := projectPeople(ctx, tx, m.Project, notify.KindThreshold, true)
			if err != nil {
				return err
			}
			if err := db.raise(ctx, tx, *ev.Event, rcpts); err != nil {
				return err
			}
			raised++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: apply thresholds: %w", err)
	}
	return raised, nil
}

func firedIn(ctx context.Context, tx *sql.Tx, m notify.Measure) ([]notify.Fired, error) {
	rows, err := tx.QueryContext(ctx, `SELECT metric, level, amount FROM notify_fired WHERE project_key = ? AND budget = ? AND period = ?`,
		m.Project, m.Budget, m.Period)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []notify.Fired
	for rows.Next() {
		f := notify.Fired{Project: m.Project, Budget: m.Budget, Period: m.Period}
		if err := rows.Scan(&f.Metric, &f.Level, &f.Amount); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// thresholdsIn reads the site's thresholds (notify.SiteDefaults when the
// admins set none) and each project's additions.
func thresholdsIn(ctx context.Context, q querier) (notify.Thresholds, map[string]notify.Thresholds, error) {
	site, extras := notify.SiteDefaults, map[string]notify.Thresholds{}
	rows, err := q.QueryContext(ctx, `SELECT project_key, percents, days FROM notify_thresholds`)
	if err != nil {
		return site, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var key, p, d string
		if err := rows.Scan(&key, &p, &d); err != nil {
			return site, nil, err
		}
		th, err := notify.ParseThresholds(p, d)
		if err != nil {
			return site, nil, fmt.Errorf("stored thresholds of %q: %w", key, err)
		}
		if key == "" {
			site = th
		} else {
			extras[key] = th
		}
	}
	return site, extras, rows.Err()
}

// Thresholds returns the site's thresholds and each project's additions.
func (db *DB) Thresholds(ctx context.Context) (notify.Thresholds, map[string]notify.Thresholds, error) {
	var site notify.Thresholds
	var extras map[string]notify.Thresholds
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		site, extras, err = thresholdsIn(ctx, tx)
		return err
	})
	if err != nil {
		return site, nil, fmt.Errorf("cache: thresholds: %w", err)
	}
	return site, extras, nil
}

// SetThresholds stores the site's thresholds (project "") or a project's
// additions, and records the change.
func (db *DB) SetThresholds(ctx context.Context, project string, th notify.Thresholds, actor, actorName string) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		var old string
		switch err := tx.QueryRowContext(ctx, `SELECT percents || ' / ' || days FROM notify_thresholds WHERE project_key = ?`, project).Scan(&old); {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notify_thresholds(project_key, percents, days, set_by, set_by_name, set_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT(project_key) DO UPDATE SET percents = excluded.percents, days = excluded.days, set_by = excluded.set_by,
			set_by_name = excluded.set_by_name, set_at = excluded.set_at`, project, th.PercentText(), th.DaysText(), actor, actorName, db.now()); err != nil {
			return err
		}
		subject := "thresholds:site"
		if project != "" {
			subject = "thresholds:" + project
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: subject, From: old,
			To: th.PercentText() + " / " + th.DaysText()})
	})
	if err != nil {
		return fmt.Errorf("cache: set thresholds: %w", err)
	}
	return nil
}
