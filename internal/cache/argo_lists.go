package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

// scopedProjects is the SQL condition limiting column (an ARGO project id)
// to the scope, as a list evaluated once.
func scopedProjects(scope portal.Scope, column string) (string, []any) {
	if scope.All {
		return "1=1", nil
	}
	cond, args := ScopeFilter(scope, portal.UpstreamArgo, "sp.id")
	return column + " IN (SELECT sp.id FROM argo_projects sp WHERE " + cond + ")", args
}

// ArgoFilterOptions returns the projects, providers and installations in
// scope and every metric definition, sorted by label.
// They change only with the ARGO sync and the catalogue, and are read
// again only then (memo.go). The lists are shared with every caller that
// asks the same until the data changes: callers read them, never change
// them (the pages keep their rendering by the lists themselves).
func (db *DB) ArgoFilterOptions(ctx context.Context, scope portal.Scope) (metrics.FilterOptions, error) {
	return remembered(db, "argo options:"+scopeKey(scope), db.gen(portal.UpstreamArgo, genCatalog),
		func() (metrics.FilterOptions, error) { return db.argoFilterOptions(ctx, scope) }, same)
}

func (db *DB) argoFilterOptions(ctx context.Context, scope portal.Scope) (metrics.FilterOptions, error) {
	var o metrics.FilterOptions
	cond, args := scopedProjects(scope, "i.project_id")
	queries := []struct {
		dst  *[]metrics.Option
		sql  string
		args []any
	}{
		{&o.Projects, `SELECT DISTINCT ap.id, COALESCE(pp.name, NULLIF(ap.title, ''), NULLIF(ap.acronym, ''), ap.id) AS label, ''
			FROM argo_installations i JOIN argo_projects ap ON ap.id = i.project_id
			LEFT JOIN project_ids pi ON pi.upstream = 'argo' AND pi.upstream_id = ap.id LEFT JOIN projects pp ON pp.key = pi.project_key
			WHERE ` + cond + ` ORDER BY label, ap.id`, args},
		{&o.Providers, `SELECT DISTINCT pv.id, COALESCE(NULLIF(pv.name, ''), pv.id) AS label, '' FROM argo_installations i
			JOIN argo_providers pv ON pv.id = i.provider_id WHERE ` + cond + ` ORDER BY label, pv.id`, args},
		{&o.Installations, `SELECT i.id, COALESCE(NULLIF(i.installation, ''), i.id) AS label, i.project_id FROM argo_installations i
			WHERE ` + cond + ` ORDER BY label, i.id`, args},
		{&o.Definitions, `SELECT id, name || ' (' || unit_type || ')' AS label, '' FROM argo_metric_definitions ORDER BY name, unit_type, id`, nil},
	}
	err := db.read(ctx, func(tx *sql.Tx) error {
		for _, q := range queries {
			rows, err := tx.QueryContext(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var op metrics.Option
				if err := rows.Scan(&op.Value, &op.Label, &op.Group); err != nil {
					rows.Close()
					return err
				}
				*q.dst = append(*q.dst, op)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return o, fmt.Errorf("cache: metric filter options: %w", err)
	}
	return o, nil
}

// installationSorts are the columns of metrics.InstallationSorts.
var installationSorts = map[string]string{
	"installation": "label", "project": "project_name", "provider": "provider_name", "infrastructure": "i.infrastructure",
	"resource": "i.resource", "metrics": "metrics", "last": "last",
}

const installationCols = `i.id, i.project_id, i.provider_id, i.infrastructure, i.installation, i.resource, i.external_id, i.unit_of_access,
	COALESCE(pi.project_key, ''), COALESCE(pp.name, NULLIF(ap.title, ''), NULLIF(ap.acronym, ''), i.project_id) AS project_name,
	COALESCE(NULLIF(pv.name, ''), i.provider_id) AS provider_name, COALESCE(u.name, ''), COALESCE(u.unit_type, ''),
	COALESCE(r.n, 0) AS metrics, COALESCE(r.first, 0), COALESCE(r.last, 0) AS last,
	COALESCE(NULLIF(i.installation, ''), i.id) AS label`

const installationTables = `argo_installations i
	LEFT JOIN argo_projects ap ON ap.id = i.project_id
	LEFT JOIN project_ids pi ON pi.upstream = 'argo' AND pi.upstream_id = i.project_id
	LEFT JOIN projects pp ON pp.key = pi.project_key
	LEFT JOIN argo_providers pv ON pv.id = i.provider_id
	LEFT JOIN argo_metric_definitions u ON u.id = i.unit_of_access
	LEFT JOIN (SELECT installation_id, SUM(n) AS n, MIN(first) AS first, MAX(last) AS last FROM argo_metric_rollups
		WHERE granularity = 'month' GROUP BY installation_id) r ON r.installation_id = i.id`

func installationWhere(q metrics.InstallationQuery) (string, []any) {
	cond, args := scopedProjects(q.Scope, "i.project_id")
	if q.ProjectID != "" {
		cond += " AND i.project_id = ?"
		args = append(args, q.ProjectID)
	}
	if q.ProviderID != "" {
		cond += " AND i.provider_id = ?"
		args = append(args, q.ProviderID)
	}
	return cond, args
}

func scanInstallation(row rowScanner) (metrics.InstallationRow, error) {
	var r metrics.InstallationRow
	var first, last int64
	var label string
	err := row.Scan(&r.ID, &r.ProjectID, &r.ProviderID, &r.Infrastructure, &r.Name, &r.Resource, &r.External, &r.UnitOfAccess,
		&r.ProjectKey, &r.ProjectName, &r.ProviderName, &r.UnitOfAccessName, &r.UnitOfAccessUnit, &r.Metrics, &first, &last, &label)
	r.First, r.Last = unix(first), unix(last)
	return r, err
}

// EachArgoInstallation calls fn for every installation q selects (Limit
// and Offset apply when set), in order, one row at a time.
func (db *DB) EachArgoInstallation(ctx context.Context, q metrics.InstallationQuery, fn func(metrics.InstallationRow) error) error {
	if err := each(ctx, db, installationQuery(q), scanInstallation, fn); err != nil {
		return fmt.Errorf("cache: installations: %w", err)
	}
	return nil
}

// ArgoInstallations returns one page of installations and how many q
// selects in all. It changes only with the ARGO sync, a push and the
// catalogue, and is read again only then (memo.go).
func (db *DB) ArgoInstallations(ctx context.Context, q metrics.InstallationQuery) ([]metrics.InstallationRow, int64, error) {
	type page struct {
		rows  []metrics.InstallationRow
		total int64
	}
	key := strings.Join([]string{"installations", scopeKey(q.Scope), q.ProjectID, q.ProviderID, q.Sort, strconv.FormatBool(q.Desc),
		strconv.Itoa(q.Limit), strconv.Itoa(q.Offset)}, "\x00")
	p, err := remembered(db, key, db.gen(portal.UpstreamArgo, genCatalog), func() (page, error) {
		rows, total, err := db.argoInstallations(ctx, q)
		return page{rows, total}, err
	}, func(p page) page { return page{slices.Clone(p.rows), p.total} })
	return p.rows, p.total, err
}

func (db *DB) argoInstallations(ctx context.Context, q metrics.InstallationQuery) ([]metrics.InstallationRow, int64, error) {
	out, total, err := list(ctx, db, installationQuery(q), scanInstallation)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: installations: %w", err)
	}
	return out, total, nil
}

// ArgoInstallation returns one installation if it is in scope, and
// ENOTFOUND otherwise: an installation of another project does not exist
// for this user.
func (db *DB) ArgoInstallation(ctx context.Context, id string, scope portal.Scope) (*metrics.InstallationRow, error) {
	where, args := installationWhere(metrics.InstallationQuery{Scope: scope})
	r, err := one(ctx, db, `SELECT `+installationCols+` FROM `+installationTables+` WHERE i.id = ? AND `+where, append([]any{id}, args...), scanInstallation)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("There is no installation %q among your projects' installations.", id))
	}
	return &r, nil
}

// ArgoInstallationInScope reports whether the installation exists and its
// project is in scope (e.g. a manage scope, for pushing metrics).
func (db *DB) ArgoInstallationInScope(ctx context.Context, id string, scope portal.Scope) (bool, error) {
	where, args := installationWhere(metrics.InstallationQuery{Scope: scope})
	n, err := one(ctx, db, `SELECT COUNT(*) FROM argo_installations i WHERE i.id = ? AND `+where, append([]any{id}, args...), scanValue[int])
	if err != nil {
		return false, fmt.Errorf("cache: installation scope: %w", err)
	}
	return n > 0, nil
}

// definitionSorts are the columns of metrics.DefinitionSorts.
var definitionSorts = map[string]string{
	"name": "d.name", "unit": "d.unit_type", "type": "d.metric_type", "installations": "insts", "metrics": "n", "last": "last",
}

// EachArgoDefinition calls fn for every metric definition, with the
// installations and metrics of the scope that use it, in order.
func (db *DB) EachArgoDefinition(ctx context.Context, q metrics.DefinitionQuery, fn func(metrics.DefinitionRow) error) error {
	if err := each(ctx, db, definitionQuery(q), scanDefinitionRow, fn); err != nil {
		return fmt.Errorf("cache: metric definitions: %w", err)
	}
	return nil
}

// ArgoDefinitions returns one page of metric definitions and how many
// there are, kept like ArgoInstallations.
func (db *DB) ArgoDefinitions(ctx context.Context, q metrics.DefinitionQuery) ([]metrics.DefinitionRow, int64, error) {
	type page struct {
		rows  []metrics.DefinitionRow
		total int64
	}
	key := strings.Join([]string{"definitions", scopeKey(q.Scope), q.Sort, strconv.FormatBool(q.Desc), strconv.Itoa(q.Limit), strconv.Itoa(q.Offset)}, "\x00")
	p, err := remembered(db, key, db.gen(portal.UpstreamArgo, genCatalog), func() (page, error) {
		rows, total, err := db.argoDefinitions(ctx, q)
		return page{rows, total}, err
	}, func(p page) page { return page{slices.Clone(p.rows), p.total} })
	return p.rows, p.total, err
}

func (db *DB) argoDefinitions(ctx context.Context, q metrics.DefinitionQuery) ([]metrics.DefinitionRow, int64, error) {
	out, total, err := list(ctx, db, definitionQuery(q), scanDefinitionRow)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: metric definitions: %w", err)
	}
	return out, total, nil
}

// metricListSorts are the columns of metrics.ListSorts.
var metricListSorts = map[string]string{
	"start": "m.start", "end": "m.end", "definition": "d.name", "value": "m.value", "user": "m.user_id", "group": "m.group_id",
}

// EachArgoMetric calls fn for every metric q selects (Limit and Offset
// apply when set), in order, one at a time from one snapshot.
func (db *DB) EachArgoMetric(ctx context.Context, q metrics.ListQuery, fn func(metrics.Row) error) error {
	if err := each(ctx, db, metricQuery(q), scanMetricRow, fn); err != nil {
		return fmt.Errorf("cache: metrics: %w", err)
	}
	return nil
}

// ArgoMetrics returns one page of metrics and how many q selects in all.
func (db *DB) ArgoMetrics(ctx context.Context, q metrics.ListQuery) ([]metrics.Row, int64, error) {
	out, total, err := list(ctx, db, metricQuery(q), scanMetricRow)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: metrics: %w", err)
	}
	return out, total, nil
}

// ArgoDefinition returns one metric definition.
func (db *DB) ArgoDefinition(ctx context.Context, id string) (*metrics.Definition, error) {
	d, err := one(ctx, db, `SELECT id, name, description, unit_type, metric_type FROM argo_metric_definitions WHERE id = ?`, []any{id},
		func(row rowScanner) (metrics.Definition, error) {
			var d metrics.Definition
			err := row.Scan(&d.ID, &d.Name, &d.Description, &d.UnitType, &d.MetricType)
			return d, err
		})
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("There is no metric definition %q.", id))
	}
	return &d, nil
}

// installationQuery is the list of installations q selects.
func installationQuery(q metrics.InstallationQuery) listQuery {
	where, args := installationWhere(q)
	order, ok := installationSorts[q.Sort]
	if !ok {
		order = "label"
	}
	return listQuery{cols: installationCols, from: installationTables, countFrom: `argo_installations i`, where: where, args: args,
		order: order + dir(q.Desc) + `, label, i.id`, limit: q.Limit, offset: q.Offset}
}

// definitionQuery is the list of metric definitions q selects, with what
// the scope holds of each.
func definitionQuery(q metrics.DefinitionQuery) listQuery {
	cond, args := scopedProjects(q.Scope, "m.project_id")
	order, ok := definitionSorts[q.Sort]
	if !ok {
		order = "d.name"
	}
	return listQuery{
		// From the monthly rollups: a few rows per installation.
		with: `WITH c AS (SELECT m.definition_id, COUNT(DISTINCT m.installation_id) AS insts, SUM(m.n) AS n, MIN(m.first) AS first, MAX(m.last) AS last
			FROM argo_metric_rollups m WHERE m.granularity = 'month' AND ` + cond + ` GROUP BY m.definition_id)`,
		withArgs: args,
		cols: `d.id, d.name, d.description, d.unit_type, d.metric_type, COALESCE(c.insts, 0) AS insts, COALESCE(c.n, 0) AS n,
			COALESCE(c.first, 0), COALESCE(c.last, 0) AS last`,
		from:      `argo_metric_definitions d LEFT JOIN c ON c.definition_id = d.id`,
		countFrom: `argo_metric_definitions d`,
		where:     "1=1",
		order:     order + dir(q.Desc) + `, d.name, d.id`,
		limit:     q.Limit, offset: q.Offset,
	}
}

func scanDefinitionRow(row rowScanner) (metrics.DefinitionRow, error) {
	var r metrics.DefinitionRow
	var first, last int64
	err := row.Scan(&r.ID, &r.Name, &r.Description, &r.UnitType, &r.MetricType, &r.Installations, &r.Metrics, &first, &last)
	r.First, r.Last = unix(first), unix(last)
	return r, err
}

// metricQuery is the list of metrics q selects.
func metricQuery(q metrics.ListQuery) listQuery {
	where, args := metricWhere(q.Filter)
	order, ok := metricListSorts[q.Sort]
	if !ok {
		order = "m.start"
	}
	return listQuery{cols: `m.id, m.installation_id, m.definition_id, m.project_id, m.provider_id, m.start, m.end, m.value, m.group_id, m.user_id,
			d.name, d.unit_type, d.metric_type`,
		from: `argo_metrics m JOIN argo_metric_definitions d ON d.id = m.definition_id`, countFrom: `argo_metrics m`, where: where, args: args,
		order: order + dir(q.Desc) + `, m.start DESC, d.name, m.id`, limit: q.Limit, offset: q.Offset}
}

func scanMetricRow(row rowScanner) (metrics.Row, error) {
	var r metrics.Row
	var start, end int64
	err := row.Scan(&r.ID, &r.InstallationID, &r.DefinitionID, &r.ProjectID, &r.ProviderID, &start, &end, &r.Value,
		&r.GroupID, &r.UserID, &r.DefinitionName, &r.UnitType, &r.MetricType)
	r.Start, r.End = unix(start), unix(end)
	return r, err
}
