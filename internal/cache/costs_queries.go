package cache

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/accounting-portal/portal/internal/usage"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// CostProject returns a project of the user's scope with its upstream
// ids; ENOTFOUND when it is not one of theirs.
func (db *DB) CostProject(ctx context.Context, scope portal.Scope, key string) (*costs.ProjectRef, error) {
	var p costs.ProjectRef
	err := db.read(ctx, func(tx *sql.Tx) error {
		name, err := projectAllowed(ctx, tx, scope, key)
		if err != nil {
			return err
		}
		p.Key, p.Name = key, name
		rows, err := tx.QueryContext(ctx, `SELECT pi.upstream, pi.upstream_id, COALESCE(pi.vlab_id, ''), COALESCE(l.name, ''),
			COALESCE((SELECT MAX(t.tenant_key) FROM vergeos_tenants t WHERE t.name = pi.upstream_id), 0)
			FROM project_ids pi LEFT JOIN virtual_labs l ON l.id = pi.vlab_id WHERE pi.project_key = ?`, key)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u, id, lab, labName string
			var tk int64
			if err := rows.Scan(&u, &id, &lab, &labName, &tk); err != nil {
				return err
			}
			switch u {
			case portal.UpstreamArgo:
				p.ArgoID = id
			case portal.UpstreamOBI:
				p.OBIID, p.VlabID, p.LabName = id, lab, labName
			case portal.UpstreamAMIE:
				p.AMIEID = id
			case portal.UpstreamVergeOS:
				p.Tenant, p.TenantKey = id, tk
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	// As the pages do, a project without an ARGO or AMIE id in the file is
	// known there by its key.
	if p.ArgoID == "" {
		p.ArgoID = key
	}
	if p.AMIEID == "" {
		p.AMIEID = key
	}
	return &p, nil
}

// CostProjects lists the catalogued projects of scope, by name.
func (db *DB) CostProjects(ctx context.Context, scope portal.Scope) ([]costs.ProjectRef, error) {
	cond, args := scopeKeys(scope, "p.key")
	out, err := all(ctx, db, `SELECT p.key, p.name,
		COALESCE((SELECT upstream_id FROM project_ids WHERE project_key = p.key AND upstream = 'vergeos'), '')
		FROM projects p WHERE `+cond+` ORDER BY p.name, p.key`, args, func(r rowScanner) (costs.ProjectRef, error) {
		var p costs.ProjectRef
		err := r.Scan(&p.Key, &p.Name, &p.Tenant)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: cost projects: %w", err)
	}
	return out, nil
}

// scopeKeys limits a project-key column to scope.
func scopeKeys(scope portal.Scope, column string) (string, []any) {
	if scope.All {
		return "1=1", nil
	}
	if len(scope.Projects) == 0 {
		return "0=1", nil
	}
	return column + " IN (" + placeholders(len(scope.Projects)) + ")", anys(scope.Projects)
}

// ProjectOBI reads a project's OBI balance and its spend in [from, to).
func (db *DB) ProjectOBI(ctx context.Context, obiID string, from, to, now time.Time) (costs.OBISummary, error) {
	var s costs.OBISummary
	if obiID == "" {
		return s, nil
	}
	err := db.read(ctx, func(tx *sql.Tx) error {
		var bal, rsv decimal.Null
		switch err := tx.QueryRowContext(ctx, `SELECT balance, reservation FROM obi_project_balances WHERE proj_id = ?`, obiID).Scan(&bal, &rsv); {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		default:
			s.Known, s.Balance, s.Reservation = bal.Valid, bal.Decimal, rsv.Decimal
		}
		spent, jobs, err := obiSpend(ctx, tx, obiID, from, to)
		if err != nil {
			return err
		}
		s.Spent, s.Jobs = spent, jobs
		today := costs.Day(now)
		last30, _, err := obiSpend(ctx, tx, obiID, today.AddDate(0, 0, -30), today)
		if err != nil {
			return err
		}
		s.Burn, _ = last30.DivRound(decimal.NewFromInt(30), 6)
		if s.Known && s.Burn.Sign() > 0 && s.Balance.Sign() > 0 {
			days, _ := s.Balance.DivRound(s.Burn, 0)
			if n, err := strconv.Atoi(days.String()); err == nil && n < 100*365 {
				s.RunOut = today.AddDate(0, 0, n)
			}
		}
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("cache: project OBI: %w", err)
	}
	return s, nil
}

func obiSpend(ctx context.Context, q querier, obiID string, from, to time.Time) (decimal.Decimal, int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT s.amount, COALESCE((SELECT SUM(jobs) FROM obi_spend_daily d WHERE d.proj_id = s.proj_id AND d.day = s.day), 0)
		FROM obi_spend_total s WHERE s.proj_id = ? AND s.day >= ? AND s.day < ?`, obiID, from.Unix(), to.Unix())
	if err != nil {
		return decimal.Zero, 0, err
	}
	defer rows.Close()
	sum, jobs := decimal.Zero, int64(0)
	for rows.Next() {
		var a decimal.Decimal
		var n int64
		if err := rows.Scan(&a, &n); err != nil {
			return sum, jobs, err
		}
		sum, jobs = sum.Add(a), jobs+n
	}
	return sum, jobs, rows.Err()
}

// ProjectArgoTotals returns a project's totals per metric definition for
// metrics that start in [from, to): "aggregated" ones summed, the others
// averaged per installation and the installations' averages summed, as
// the metrics overview adds them up.
func (db *DB) ProjectArgoTotals(ctx context.Context, argoID string, from, to time.Time) ([]costs.ArgoTotal, error) {
	type metricRow struct {
		name, unit, typ, inst string
		value                 float64
	}
	rows, err := all(ctx, db, `SELECT d.name, d.unit_type, d.metric_type, m.installation_id, m.value
		FROM argo_metrics m JOIN argo_metric_definitions d ON d.id = m.definition_id
		WHERE m.project_id = ? AND m.start >= ? AND m.start < ? ORDER BY d.name, m.installation_id`, []any{argoID, from.Unix(), to.Unix()},
		func(r rowScanner) (metricRow, error) {
			var m metricRow
			err := r.Scan(&m.name, &m.unit, &m.typ, &m.inst, &m.value)
			return m, err
		})
	if err != nil {
		return nil, fmt.Errorf("cache: project ARGO totals: %w", err)
	}
	type inst struct {
		sum decimal.Decimal
		n   int64
	}
	var out []costs.ArgoTotal
	var insts map[string]*inst
	flush := func() {
		if len(out) == 0 {
			return
		}
		t := &out[len(out)-1]
		for _, in := range insts {
			if t.MetricType == "aggregated" {
				t.Total = t.Total.Add(in.sum)
			} else {
				t.Total = t.Total.Add(costs.Divide(in.sum, decimal.NewFromInt(in.n)))
			}
		}
		t.Installations = len(insts)
	}
	for _, m := range rows {
		if len(out) == 0 || out[len(out)-1].Definition != m.name {
			flush()
			out = append(out, costs.ArgoTotal{Definition: m.name, Unit: m.unit, MetricType: m.typ})
			insts = map[string]*inst{}
		}
		d, err := decimal.Parse(strconv.FormatFloat(m.value, 'f', -1, 64))
		if err != nil {
			return nil, err
		}
		in := insts[m.inst]
		if in == nil {
			in = &inst{}
			insts[m.inst] = in
		}
		in.sum, in.n = in.sum.Add(d), in.n+1
		out[len(out)-1].Metrics++
	}
	flush()
	return out, nil
}

// ProjectAMIERecords returns the records a project sent that start in
// [from, to), at most limit of them (oldest first), and how many there are
// by state: "charged", "failed" (AMIE failed to process them), and the
// portal's outcomes otherwise ("pending", "refused", "not sent").
func (db *DB) ProjectAMIERecords(ctx context.Context, amieID string, from, to time.Time, limit int) ([]costs.AMIESent, map[string]int, error) {
	var rs []costs.AMIESent
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		rs, err = amieRecords(ctx, tx, amieID, from.Unix(), to.Unix(), false)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("cache: project AMIE records: %w", err)
	}
	counts := map[string]int{}
	for _, r := range rs {
		counts[AMIEState(r)]++
	}
	if len(rs) > limit {
		rs = rs[:limit]
	}
	return rs, counts, nil
}

// AMIEState says what became of a record a project sent.
func AMIEState(r costs.AMIESent) string {
	switch {
	case r.Failed != "":
		return "failed"
	case r.Outcome == usage.RecordAccepted || r.Outcome == usage.RecordSent:
		return "charged"
	}
	return r.Outcome
}

// LedgerLines returns a project's ledger lines for days in [from, to),
// oldest first; ENOTFOUND when the project is not one of the user's.
func (db *DB) LedgerLines(ctx context.Context, scope portal.Scope, key string, from, to time.Time) (string, []costs.Line, error) {
	var name string
	var lines []costs.Line
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		if name, err = projectAllowed(ctx, tx, scope, key); err != nil {
			return err
		}
		lines, err = ledgerLines(ctx, tx, "project_key = ? AND day >= ? AND day < ?", key, from.Unix(), to.Unix())
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return name, lines, nil
}

// CostsByProject returns what every project of scope cost in the month
// that starts at month, per source, as its statement adds it up (each
// line rounded to the cent once, the totals adding the rounded lines), so
// that every page shows the statement's figures.
func (db *DB) CostsByProject(ctx context.Context, scope portal.Scope, month time.Time) ([]costs.ProjectCosts, error) {
	projects, err := db.CostProjects(ctx, scope)
	if err != nil {
		return nil, err
	}
	out := make([]costs.ProjectCosts, 0, len(projects))
	err = db.read(ctx, func(tx *sql.Tx) error {
		for _, p := range projects {
			pc, err := monthCosts(ctx, tx, p.Key, p.Name, month)
			if err != nil {
				return err
			}
			out = append(out, pc)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cache: costs by project: %w", err)
	}
	return out, nil
}

// monthCosts adds up a project's month as its statement does.
func monthCosts(ctx context.Context, q querier, key, name string, month time.Time) (costs.ProjectCosts, error) {
	month = costs.Month(month)
	lines, err := ledgerLines(ctx, q, "project_key = ? AND day >= ? AND day < ?", key, month.Unix(), month.AddDate(0, 1, 0).Unix())
	if err != nil {
		return costs.ProjectCosts{}, err
	}
	st := costs.BuildStatement(key, name, month, "", lines)
	pc := costs.ProjectCosts{Project: key, Name: name, BySource: map[string]decimal.Decimal{}, Total: st.Total, Lines: len(lines)}
	for _, t := range st.Totals {
		pc.BySource[t.Source] = t.Total
	}
	for _, l := range lines {
		if !l.Priced() {
			pc.UnpricedLines++
		}
		if l.Day.After(pc.LastDay) {
			pc.LastDay = l.Day
		}
	}
	return pc, nil
}

// SpentBetween returns what a project spent in the whole months of [from,
// to), in the base currency, as its monthly statements add it up, and how
// many of its ledger lines in them have no price.
func (db *DB) SpentBetween(ctx context.Context, key string, from, to time.Time) (decimal.Decimal, int, error) {
	sum, unpriced := decimal.Zero.Round(costs.MoneyPlaces), 0
	err := db.read(ctx, func(tx *sql.Tx) error {
		for m := costs.Month(from); m.Before(to); m = m.AddDate(0, 1, 0) {
			pc, err := monthCosts(ctx, tx, key, "", m)
			if err != nil {
				return err
			}
			sum, unpriced = sum.Add(pc.Total), unpriced+pc.UnpricedLines
		}
		return nil
	})
	if err != nil {
		return sum, 0, fmt.Errorf("cache: spent: %w", err)
	}
	return sum, unpriced, nil
}

// SetBudget stores a project's budget for a period, replacing the one set
// before (the audit trail keeps what it was).
func (db *DB) SetBudget(ctx context.Context, b costs.Budget) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		var old string
		switch err := tx.QueryRowContext(ctx, `SELECT amount FROM cost_budgets WHERE project_key = ? AND kind = ? AND start = ?`,
			b.Project, b.Period.Kind, b.Period.Start.Unix()).Scan(&old); {
		case err == sql.ErrNoRows:
		case err != nil:
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO cost_budgets(project_key, kind, start, amount, note, set_by, set_by_name, set_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(project_key, kind, start) DO UPDATE SET amount = excluded.amount, note = excluded.note,
			set_by = excluded.set_by, set_by_name = excluded.set_by_name, set_at = excluded.set_at`,
			b.Project, b.Period.Kind, b.Period.Start.Unix(), b.Amount, b.Note, b.SetBy, b.SetByName, db.now()); err != nil {
			return err
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: b.SetBy, ActorName: b.SetByName, Subject: "cost_budget:" + b.Project + ":" + b.Period.Kind + ":" + b.Period.Label(),
			From: old, To: b.Amount.String(), Reason: b.Note})
	})
	if err != nil {
		return fmt.Errorf("cache: set budget: %w", err)
	}
	return nil
}

// Budgets returns the budgets of the projects of scope (one project when
// key is set), by project and period.
func (db *DB) Budgets(ctx context.Context, scope portal.Scope, key string) ([]costs.Budget, error) {
	cond, args := scopeKeys(scope, "b.project_key")
	if key != "" {
		cond += " AND b.project_key = ?"
		args = append(args, key)
	}
	out, err := all(ctx, db, `SELECT b.id, b.project_key, b.kind, b.start, b.amount, b.note, b.set_by, b.set_by_name, b.set_at
		FROM cost_budgets b JOIN projects p ON p.key = b.project_key WHERE `+cond+` ORDER BY p.name, b.project_key, b.start DESC, b.kind`, args,
		func(r rowScanner) (costs.Budget, error) {
			var b costs.Budget
			var start, at int64
			if err := r.Scan(&b.ID, &b.Project, &b.Period.Kind, &start, &b.Amount, &b.Note, &b.SetBy, &b.SetByName, &at); err != nil {
				return b, err
			}
			b.Period.Start, b.SetAt = time.Unix(start, 0).UTC(), unix(at)
			return b, nil
		})
	if err != nil {
		return nil, fmt.Errorf("cache: budgets: %w", err)
	}
	return out, nil
}

// CostScopes lists what rates can be narrowed to: the catalogued tenants,
// ARGO installations, AMIE resources and virtual labs, each with the name
// people know it by and where it belongs.
func (db *DB) CostScopes(ctx context.Context) ([]costs.ScopeOption, error) {
	out, err := all(ctx, db, `
		SELECT 'vergeos', upstream_id, upstream_id, 'project ' || project_key FROM project_ids WHERE upstream = 'vergeos'
		UNION ALL SELECT 'argo', id, CASE WHEN installation = '' THEN id ELSE installation END, 'ARGO project ' || project_id FROM argo_installations
		UNION ALL SELECT 'amie', name, name, '' FROM amie_resources
		UNION ALL SELECT 'obi', id, name, 'virtual lab' FROM virtual_labs
		ORDER BY 1, 3`, nil, func(r rowScanner) (costs.ScopeOption, error) {
		var o costs.ScopeOption
		err := r.Scan(&o.Source, &o.ID, &o.Label, &o.Detail)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: cost scopes: %w", err)
	}
	return out, nil
}

// SourceChecks compares, for each project of scope and each month in
// [from, to), the SUs of the records it sent to AMIE (accepted or sent,
// by the start of the record) with the cpu_hours ARGO reports for its
// installations (by the start of the metric).
func (db *DB) SourceChecks(ctx context.Context, scope portal.Scope, from, to time.Time, tolerancePct decimal.Decimal) ([]costs.Check, error) {
	projects, err := db.CostProjects(ctx, scope)
	if err != nil {
		return nil, err
	}
	var out []costs.Check
	err = db.read(ctx, func(tx *sql.Tx) error {
		argoIDs, err := projectIDs(ctx, tx, portal.UpstreamArgo, true)
		if err != nil {
			return err
		}
		amieIDs, err := projectIDs(ctx, tx, portal.UpstreamAMIE, true)
		if err != nil {
			return err
		}
		for _, p := range projects {
			for m := costs.Month(from); m.Before(to); m = m.AddDate(0, 1, 0) {
				end := m.AddDate(0, 1, 0)
				c := costs.Check{Project: p.Key, ProjectName: p.Name, Month: m}
				rs, err := amieRecords(ctx, tx, amieIDs[p.Key], m.Unix(), end.Unix(), false)
				if err != nil {
					return err
				}
				for _, r := range rs {
					if r.Outcome == usage.RecordAccepted || r.Outcome == usage.RecordSent {
						c.AMIE, c.HasAMIE = c.AMIE.Add(r.Charge), true
					}
				}
				vals, err := tx.QueryContext(ctx, `SELECT m.value FROM argo_metrics m JOIN argo_metric_definitions d ON d.id = m.definition_id
					WHERE m.project_id = ? AND d.name = 'cpu_hours' AND m.start >= ? AND m.start < ?`, argoIDs[p.Key], m.Unix(), end.Unix())
				if err != nil {
					return err
				}
				for vals.Next() {
					var v float64
					if err := vals.Scan(&v); err != nil {
						vals.Close()
						return err
					}
					d, err := decimal.Parse(strconv.FormatFloat(v, 'f', -1, 64))
					if err != nil {
						vals.Close()
						return err
					}
					c.Argo, c.HasArgo = c.Argo.Add(d), true
				}
				vals.Close()
				if err := vals.Err(); err != nil {
					return err
				}
				out = append(out, costs.Compare(c, tolerancePct))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cache: source checks: %w", err)
	}
	return out, nil
}
