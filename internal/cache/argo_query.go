package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

// metricWhere returns the SQL condition on argo_metrics aliased m, with its
// arguments. The scope becomes a list of ARGO project ids evaluated once,
// so that the project index serves scoped queries.
func metricWhere(f metrics.Filter) (string, []any) { return metricWhereOn(f, "m.start") }

// metricWhereOn is metricWhere with the period bounds on column.
func metricWhereOn(f metrics.Filter, column string) (string, []any) {
	scope, args := scopedProjects(f.Scope, "m.project_id")
	conds := []string{scope}
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if f.ProjectID != "" {
		add("m.project_id = ?", f.ProjectID)
	}
	if f.ProviderID != "" {
		add("m.provider_id = ?", f.ProviderID)
	}
	if f.InstallationID != "" {
		add("m.installation_id = ?", f.InstallationID)
	}
	if f.DefinitionID != "" {
		add("m.definition_id = ?", f.DefinitionID)
	}
	if !f.From.IsZero() {
		add(column+" >= ?", secs(f.From))
	}
	if !f.To.IsZero() {
		add(column+" < ?", secs(f.To))
	}
	return strings.Join(conds, " AND "), args
}

// bucket returns the SQL expression of the start of the period m.start falls in.
func bucket(granularity string) (string, error) {
	switch granularity {
	case metrics.Daily:
		return "(m.start / 86400) * 86400", nil
	case metrics.Weekly:
		// Day 0 (1970-01-01) was a Thursday; Mondays are days 4, 11, ... and -3.
		return "((m.start / 86400 + 3) / 7 * 7 - 3) * 86400", nil
	case metrics.Monthly:
		return sqlMonthStart("m.start"), nil
	}
	return "", portal.Errorf(portal.EINVALID, "granularity: %q is not day, week or month", granularity)
}

// perInstallation is the first level of every total: one row per
// installation, definition and period with the value the period gives it.
// Weeks and months come from the rollups (a few rows per installation),
// days from the metrics.
func perInstallation(f metrics.Filter, granularity string) (string, []any, error) {
	b, err := bucket(granularity)
	if err != nil {
		return "", nil, err
	}
	var raw string
	var args []any
	if granularity == metrics.Daily {
		var where string
		where, args = metricWhere(f)
		raw = `SELECT m.project_id, m.provider_id, m.definition_id, m.installation_id, ` + b + ` AS period,
			SUM(m.value) AS s, AVG(m.value) AS a, COUNT(*) AS n
		FROM argo_metrics m
		WHERE ` + where + `
		GROUP BY m.project_id, m.provider_id, m.definition_id, m.installation_id, period`
	} else {
		where, wargs := metricWhereOn(f, "m.period")
		args = append([]any{granularity}, wargs...)
		raw = `SELECT m.project_id, m.provider_id, m.definition_id, m.installation_id, m.period, m.s, m.s / m.n AS a, m.n
		FROM argo_metric_rollups m
		WHERE m.granularity = ? AND ` + where
	}
	// The definitions are joined once per group, not once per metric.
	return `raw AS (` + raw + `),
	per AS (
		SELECT r.project_id, r.provider_id, r.definition_id, r.installation_id, r.period, r.n,
			CASE WHEN rd.metric_type = 'aggregated' THEN r.s ELSE r.a END AS v
		FROM raw r JOIN argo_metric_definitions rd ON rd.id = r.definition_id)`, args, nil
}

// perTotal is perInstallation read from argo_metric_totals, one row per
// project, provider, definition and period (installation_id empty), for
// charts whose series are not installations.
func perTotal(f metrics.Filter, granularity string) (string, []any, error) {
	if _, err := bucket(granularity); err != nil {
		return "", nil, err
	}
	where, args := metricWhereOn(f, "m.period")
	return `per AS (
		SELECT m.project_id, m.provider_id, m.definition_id, '' AS installation_id, m.period, m.n,
			CASE WHEN rd.metric_type = 'aggregated' THEN m.s ELSE m.a END AS v
		FROM argo_metric_totals m JOIN argo_metric_definitions rd ON rd.id = m.definition_id
		WHERE m.granularity = ? AND ` + where + `)`, append([]any{granularity}, args...), nil
}

// metricTotalSorts are the columns of metrics.TotalSorts.
var metricTotalSorts = map[string]string{
	"period": "g.period", "project": "project_name", "provider": "provider_name", "definition": "d.name",
	"installations": "g.insts", "metrics": "g.n", "total": "g.total",
}

const projectNameSQL = `COALESCE(pp.name, NULLIF(ap.title, ''), NULLIF(ap.acronym, ''), g.project_id)`

// groupsSQL is the WITH clause of the totals q selects, as g(period,
// project_id, provider_id, definition_id, insts, n, total), and its
// arguments. Without an installation filter they are read from
// argo_metric_totals, restricted to periods [lo, hi] when window is set;
// with one, they are added up from the installation's metrics or rollups.
func groupsSQL(q metrics.TotalsQuery, window bool, lo, hi int64) (string, []any, error) {
	if q.Filter.InstallationID != "" {
		per, args, err := perInstallation(q.Filter, q.Granularity)
		if err != nil {
			return "", nil, err
		}
		return `WITH ` + per + `, g AS (
		SELECT period, project_id, provider_id, definition_id, COUNT(*) AS insts, SUM(n) AS n, SUM(v) AS total
		FROM per GROUP BY period, project_id, provider_id, definition_id)`, args, nil
	}
	if _, err := bucket(q.Granularity); err != nil {
		return "", nil, err
	}
	where, args := metricWhereOn(q.Filter, "m.period")
	args = append([]any{q.Granularity}, args...)
	if window {
		where += ` AND m.period >= ? AND m.period <= ?`
		args = append(args, lo, hi)
	}
	return `WITH g AS (
		SELECT m.period, m.project_id, m.provider_id, m.definition_id, m.insts, m.n,
			CASE WHEN gd.metric_type = 'aggregated' THEN m.s ELSE m.a END AS total
		FROM argo_metric_totals m JOIN argo_metric_definitions gd ON gd.id = m.definition_id
		WHERE m.granularity = ? AND ` + where + `)`, args, nil
}

// totalsSQL is the query of the totals q selects (in periods [lo, hi]
// when window is set), with their number in each row when counted.
func totalsSQL(q metrics.TotalsQuery, counted, window bool, lo, hi int64) (string, []any, error) {
	with, args, err := groupsSQL(q, window, lo, hi)
	if err != nil {
		return "", nil, err
	}
	order, ok := metricTotalSorts[q.Sort]
	if !ok {
		order = "g.period"
	}
	d := dir(q.Desc)
	count := "0"
	if counted {
		// The page and the number of rows in one pass over the metrics.
		count = "COUNT(*) OVER ()"
	}
	s := with + `
	SELECT g.period, g.project_id, COALESCE(pi.project_key, ''), ` + projectNameSQL + ` AS project_name,
		g.provider_id, COALESCE(NULLIF(pv.name, ''), g.provider_id) AS provider_name,
		g.definition_id, d.name, d.unit_type, d.metric_type, g.insts, g.n, g.total, ` + count + `
	FROM g JOIN argo_metric_definitions d ON d.id = g.definition_id
	LEFT JOIN argo_projects ap ON ap.id = g.project_id
	LEFT JOIN project_ids pi ON pi.upstream = 'argo' AND pi.upstream_id = g.project_id
	LEFT JOIN projects pp ON pp.key = pi.project_key
	LEFT JOIN argo_providers pv ON pv.id = g.provider_id
	ORDER BY ` + order + d + `, g.period DESC, project_name, provider_name, d.name, g.project_id, g.provider_id, g.definition_id`
	if q.Limit > 0 {
		s += ` LIMIT ? OFFSET ?`
		args = append(args, q.Limit, q.Offset)
	}
	return s, args, nil
}

func scanMetricTotal(rows *sql.Rows, count *int64) (metrics.Total, error) {
	var t metrics.Total
	var period int64
	err := rows.Scan(&period, &t.ProjectID, &t.ProjectKey, &t.ProjectName, &t.ProviderID, &t.ProviderName,
		&t.DefinitionID, &t.DefinitionName, &t.UnitType, &t.MetricType, &t.Installations, &t.Metrics, &t.Total, count)
	t.Period = time.Unix(period, 0).UTC()
	return t, err
}

// periodCounts returns how many totals q selects in each period, in the
// order of the period sort q asks for (newest first when Desc).
func periodCounts(ctx context.Context, tx *sql.Tx, q metrics.TotalsQuery) ([][2]int64, error) {
	where, args := metricWhereOn(q.Filter, "m.period")
	rows, err := tx.QueryContext(ctx, `SELECT m.period, COUNT(*) FROM argo_metric_totals m WHERE m.granularity = ? AND `+where+`
		GROUP BY m.period ORDER BY m.period`+dir(q.Desc), append([]any{q.Granularity}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]int64
	for rows.Next() {
		var pc [2]int64
		if err := rows.Scan(&pc[0], &pc[1]); err != nil {
			return nil, err
		}
		out = append(out, pc)
	}
	return out, rows.Err()
}

// pageWindow returns the periods [lo, hi] that hold the rows offset to
// offset+limit of a list sorted by period, how many rows come before lo's
// period (or after hi's, newest first), and how many rows there are; ok
// is false when the page is past the end.
func pageWindow(counts [][2]int64, offset, limit int64) (lo, hi, before, total int64, ok bool) {
	first, last := -1, -1
	for i, pc := range counts {
		if first < 0 && total+pc[1] > offset {
			first, before = i, total
		}
		if total < offset+limit {
			last = i
		}
		total += pc[1]
	}
	if first < 0 {
		return 0, 0, 0, total, false
	}
	lo, hi = counts[first][0], counts[last][0]
	return min(lo, hi), max(lo, hi), before, total, true
}

// totalsKey is q as part of a memo key.
func totalsKey(kind string, q metrics.TotalsQuery) string {
	f := q.Filter
	return strings.Join([]string{kind, scopeKey(f.Scope), f.ProjectID, f.ProviderID, f.InstallationID, f.DefinitionID,
		strconv.FormatInt(secs(f.From), 10), strconv.FormatInt(secs(f.To), 10), q.Granularity, q.Sort, strconv.FormatBool(q.Desc),
		strconv.Itoa(q.Limit), strconv.Itoa(q.Offset)}, "\x00")
}

// pagedTotals is a page of totals with how many there are in all.
type pagedTotals struct {
	rows  []metrics.Total
	total int64
}

// MetricTotals returns one page of totals and how many there are in all.
// What the ARGO sync, a push or the catalogue has not changed is not read
// again (memo.go).
func (db *DB) MetricTotals(ctx context.Context, q metrics.TotalsQuery) ([]metrics.Total, int64, error) {
	p, err := remembered(db, totalsKey("totals", q), db.gen(portal.UpstreamArgo, genCatalog), func() (pagedTotals, error) {
		rows, total, err := db.metricTotals(ctx, q)
		return pagedTotals{rows, total}, err
	}, func(p pagedTotals) pagedTotals { return pagedTotals{slices.Clone(p.rows), p.total} })
	return p.rows, p.total, err
}

// metricTotals reads MetricTotals.
// Sorted by period (the default), the page reads only the periods it
// shows: how many totals each period holds comes first, from the totals'
// index, and names are looked up for those periods' rows alone.
func (db *DB) metricTotals(ctx context.Context, q metrics.TotalsQuery) ([]metrics.Total, int64, error) {
	var out []metrics.Total
	var total int64
	err := db.read(ctx, func(tx *sql.Tx) error {
		if q.Filter.InstallationID == "" && q.Limit > 0 {
			counts, err := periodCounts(ctx, tx, q)
			if err != nil {
				return err
			}
			lo, hi, before, n, ok := pageWindow(counts, int64(q.Offset), int64(q.Limit))
			total = n
			if !ok {
				return nil
			}
			window := false
			if s, known := metricTotalSorts[q.Sort]; !known || s == "g.period" {
				window = true
				q.Offset -= int(before)
			}
			s, args, err := totalsSQL(q, false, window, lo, hi)
			if err != nil {
				return err
			}
			return scanTotals(ctx, tx, s, args, func(t metrics.Total) { out = append(out, t) })
		}
		s, args, err := totalsSQL(q, true, false, 0, 0)
		if err != nil {
			return err
		}
		if err := scanTotals(ctx, tx, s, args, func(t metrics.Total) { out = append(out, t) }, &total); err != nil || len(out) > 0 || q.Offset == 0 {
			return err
		}
		// A page past the end has no row to carry the count.
		cs, cargs, _ := totalsSQL(q, false, false, 0, 0)
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (`+strings.TrimSuffix(cs, ` LIMIT ? OFFSET ?`)+`)`, cargs[:len(cargs)-2]...).Scan(&total)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("cache: metric totals: %w", err)
	}
	return out, total, nil
}

// scanTotals runs a totals query and calls fn with each row; the count
// column goes to count[0] when given.
func scanTotals(ctx context.Context, tx *sql.Tx, s string, args []any, fn func(metrics.Total), count ...*int64) error {
	rows, err := tx.QueryContext(ctx, s, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var n int64
	c := &n
	if len(count) > 0 {
		c = count[0]
	}
	for rows.Next() {
		t, err := scanMetricTotal(rows, c)
		if err != nil {
			return err
		}
		fn(t)
	}
	return rows.Err()
}

// EachMetricTotal calls fn for every total q selects (Limit and Offset
// are ignored), in order, reading them one at a time from one snapshot:
// memory stays flat however many there are. An error from fn stops it.
func (db *DB) EachMetricTotal(ctx context.Context, q metrics.TotalsQuery, fn func(metrics.Total) error) error {
	q.Limit, q.Offset = 0, 0
	s, args, err := totalsSQL(q, false, false, 0, 0)
	if err != nil {
		return err
	}
	return db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s, args...)
		if err != nil {
			return fmt.Errorf("cache: metric totals: %w", err)
		}
		defer rows.Close()
		var n int64
		for rows.Next() {
			t, err := scanMetricTotal(rows, &n)
			if err != nil {
				return fmt.Errorf("cache: metric totals: %w", err)
			}
			if err := fn(t); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// seriesKeys maps what a chart's series can be to SQL: the key and the label.
var seriesKeys = map[string][2]string{
	"project":      {"per.project_id", "COALESCE(pp.name, NULLIF(ap.title, ''), NULLIF(ap.acronym, ''), per.project_id)"},
	"provider":     {"per.provider_id", "COALESCE(NULLIF(pv.name, ''), per.provider_id)"},
	"installation": {"per.installation_id", "COALESCE(NULLIF(i.installation, ''), per.installation_id)"},
	"definition":   {"per.definition_id", "d.name"},
}

// MetricSeries returns the totals of q per period and per series, where a
// series is a project, provider, installation or metric definition (by),
// ordered by series then period. Unless by is "definition", q should name
// one metric definition: totals in different units do not add up.
// The points are shared with every caller that asks the same until the
// data changes: callers read them, never change them (copying a long
// series on every request cost as much as drawing it).
func (db *DB) MetricSeries(ctx context.Context, q metrics.TotalsQuery, by string) ([]metrics.PeriodValue, error) {
	return remembered(db, totalsKey("series "+by, q), db.gen(portal.UpstreamArgo, genCatalog),
		func() ([]metrics.PeriodValue, error) { return db.metricSeries(ctx, q, by) }, same)
}

func (db *DB) metricSeries(ctx context.Context, q metrics.TotalsQuery, by string) ([]metrics.PeriodValue, error) {
	key, ok := seriesKeys[by]
	if !ok {
		return nil, portal.Errorf(portal.EINVALID, "series: %q is not project, provider, installation or definition", by)
	}
	var per string
	var args []any
	var err error
	if by == "installation" || q.Filter.InstallationID != "" {
		per, args, err = perInstallation(q.Filter, q.Granularity)
	} else {
		per, args, err = perTotal(q.Filter, q.Granularity)
	}
	if err != nil {
		return nil, err
	}
	s := `WITH ` + per + `
	SELECT per.period, ` + key[0] + `, ` + key[1] + `, d.unit_type, d.metric_type, SUM(per.v)
	FROM per JOIN argo_metric_definitions d ON d.id = per.definition_id
	LEFT JOIN argo_projects ap ON ap.id = per.project_id
	LEFT JOIN project_ids pi ON pi.upstream = 'argo' AND pi.upstream_id = per.project_id
	LEFT JOIN projects pp ON pp.key = pi.project_key
	LEFT JOIN argo_providers pv ON pv.id = per.provider_id
	LEFT JOIN argo_installations i ON i.id = per.installation_id
	GROUP BY per.period, ` + key[0] + `
	ORDER BY 3, 2, 1`
	var out []metrics.PeriodValue
	err = db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p metrics.PeriodValue
			var period int64
			if err := rows.Scan(&period, &p.Key, &p.Label, &p.UnitType, &p.MetricType, &p.Total); err != nil {
				return err
			}
			p.Period = time.Unix(period, 0).UTC()
			out = append(out, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("cache: metric series: %w", err)
	}
	return out, nil
}
