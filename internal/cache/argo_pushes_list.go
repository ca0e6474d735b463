package cache

import (
	"context"
	"fmt"
	"strconv"

	"github.com/accounting-portal/portal/internal/metrics"
)

// pushSorts are the columns of metrics.PushSorts.
var pushSorts = map[string]string{
	"id": "p.id", "installation": "p.installation_name", "definition": "p.definition_name", "start": "p.start",
	"value": "p.value", "state": "live", "updated": "updated",
}

// pushCols reads a push with its live state: the outbox item's while it
// exists (it moves through sending and verify, which the push row skips).
var pushCols = `p.id, p.installation_id, p.installation_name, p.project_id,
	COALESCE(pp.name, NULLIF(ap.title, ''), NULLIF(ap.acronym, ''), p.project_id), p.provider_id,
	p.definition_id, p.definition_name, p.unit_type, p.metric_type, p.start, p.end, p.value_text, p.value_text, p.group_id, p.user_id,
	COALESCE(o.state, p.state) AS live, p.metric_id, CASE WHEN o.id IS NOT NULL AND o.state <> 'delivered' THEN o.last_error ELSE p.error END,
	COALESCE(p.outbox_id, 0), COALESCE(o.result, ''), p.created_by, p.created_by_name, p.created_at,
	` + sqlGreatest("p.updated_at", "COALESCE(o.updated_at, 0)") + ` AS updated`

const pushTables = `metric_pushes p LEFT JOIN outbox o ON o.id = p.outbox_id
	LEFT JOIN argo_projects ap ON ap.id = p.project_id
	LEFT JOIN project_ids pi ON pi.upstream = 'argo' AND pi.upstream_id = p.project_id
	LEFT JOIN projects pp ON pp.key = pi.project_key`

func scanPush(row rowScanner) (metrics.Push, error) {
	var p metrics.Push
	var start, end, created, updated int64
	err := row.Scan(&p.ID, &p.InstallationID, &p.InstallationName, &p.ProjectID, &p.ProjectName, &p.ProviderID,
		&p.DefinitionID, &p.DefinitionName, &p.UnitType, &p.MetricType, &start, &end, &p.Value, &p.ValueText, &p.GroupID, &p.UserID,
		&p.State, &p.MetricID, &p.Error, &p.OutboxID, &p.Result, &p.CreatedBy, &p.CreatedByName, &created, &updated)
	p.Start, p.End, p.Created, p.Updated = unix(start), unix(end), unix(created), unix(updated)
	return p, err
}

func pushWhere(q metrics.PushQuery) (string, []any) {
	cond, args := "1=1", []any{}
	if q.CreatedBy != "" {
		cond += " AND p.created_by = ?"
		args = append(args, q.CreatedBy)
	}
	if q.State != "" {
		cond += " AND COALESCE(o.state, p.state) = ?"
		args = append(args, q.State)
	}
	return cond, args
}

// EachMetricPush calls fn for every push q selects (Limit and Offset apply
// when set), in order, one at a time.
func (db *DB) EachMetricPush(ctx context.Context, q metrics.PushQuery, fn func(metrics.Push) error) error {
	if err := each(ctx, db, pushQuery(q), scanPush, fn); err != nil {
		return fmt.Errorf("cache: metric pushes: %w", err)
	}
	return nil
}

// MetricPushes returns one page of pushes and how many q selects in all.
func (db *DB) MetricPushes(ctx context.Context, q metrics.PushQuery) ([]metrics.Push, int64, error) {
	out, total, err := list(ctx, db, pushQuery(q), scanPush)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: metric pushes: %w", err)
	}
	return out, total, nil
}

// MetricPushByID returns a push. createdBy "" finds anyone's (admins);
// otherwise another person's push is ENOTFOUND.
func (db *DB) MetricPushByID(ctx context.Context, id int64, createdBy string) (*metrics.Push, error) {
	where, args := pushWhere(metrics.PushQuery{CreatedBy: createdBy})
	p, err := one(ctx, db, `SELECT `+pushCols+` FROM `+pushTables+` WHERE p.id = ? AND `+where, append([]any{id}, args...), scanPush)
	if err != nil {
		return nil, notFound(err, "There is no metric push "+strconv.FormatInt(id, 10)+" of yours.")
	}
	return &p, nil
}

// pushQuery is the list of pushes q selects.
func pushQuery(q metrics.PushQuery) listQuery {
	where, args := pushWhere(q)
	order, ok := pushSorts[q.Sort]
	if !ok {
		order = "p.id"
	}
	return listQuery{cols: pushCols, from: pushTables, countFrom: `metric_pushes p LEFT JOIN outbox o ON o.id = p.outbox_id`, where: where, args: args,
		order: order + dir(q.Desc) + `, p.id DESC`, limit: q.Limit, offset: q.Offset}
}
