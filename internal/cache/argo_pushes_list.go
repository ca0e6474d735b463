package cache

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// PushQuery selects metric pushes.
type PushQuery struct {
	// CreatedBy limits the list to one person's pushes; "" lists everyone's (admins).
	CreatedBy string
	State     string // the live state; "" for any
	Sort      string // one of PushSorts
	Desc      bool
	Limit     int
	Offset    int
}

// PushSorts lists the sort keys of PushQuery.
var PushSorts = []string{"id", "installation", "definition", "start", "value", "state", "updated"}

var pushSorts = map[string]string{
	"id": "p.id", "installation": "p.installation_name", "definition": "p.definition_name", "start": "p.start",
	"value": "p.value", "state": "live", "updated": "updated",
}

// pushCols reads a push with its live state: the outbox item's while it
// exists (it moves through sending and verify, which the push row skips).
const pushCols = `p.id, p.installation_id, p.installation_name, p.project_id,
	COALESCE(pp.name, NULLIF(ap.title, ''), NULLIF(ap.acronym, ''), p.project_id), p.provider_id,
	p.definition_id, p.definition_name, p.unit_type, p.metric_type, p.start, p.end, p.value_text, p.value_text, p.group_id, p.user_id,
	COALESCE(o.state, p.state) AS live, p.metric_id, CASE WHEN o.id IS NOT NULL AND o.state <> 'delivered' THEN o.last_error ELSE p.error END,
	COALESCE(p.outbox_id, 0), COALESCE(o.result, ''), p.created_by, p.created_by_name, p.created_at,
	MAX(p.updated_at, COALESCE(o.updated_at, 0)) AS updated`

const pushFrom = ` FROM metric_pushes p LEFT JOIN outbox o ON o.id = p.outbox_id
	LEFT JOIN argo_projects ap ON ap.id = p.project_id
	LEFT JOIN project_ids pi ON pi.upstream = 'argo' AND pi.upstream_id = p.project_id
	LEFT JOIN projects pp ON pp.key = pi.project_key`

func scanPush(row interface{ Scan(...any) error }) (MetricPush, error) {
	var p MetricPush
	var start, end, created, updated int64
	err := row.Scan(&p.ID, &p.InstallationID, &p.InstallationName, &p.ProjectID, &p.ProjectName, &p.ProviderID,
		&p.DefinitionID, &p.DefinitionName, &p.UnitType, &p.MetricType, &start, &end, &p.Value, &p.ValueText, &p.GroupID, &p.UserID,
		&p.State, &p.MetricID, &p.Error, &p.OutboxID, &p.Result, &p.CreatedBy, &p.CreatedByName, &created, &updated)
	p.Start, p.End, p.Created, p.Updated = unix(start), unix(end), unix(created), unix(updated)
	return p, err
}

func (q PushQuery) where() (string, []any) {
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
func (db *DB) EachMetricPush(ctx context.Context, q PushQuery, fn func(MetricPush) error) error {
	where, args := q.where()
	order, ok := pushSorts[q.Sort]
	if !ok {
		order = "p.id"
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	s := `SELECT ` + pushCols + pushFrom + ` WHERE ` + where + ` ORDER BY ` + order + dir + `, p.id DESC`
	if q.Limit > 0 {
		s += ` LIMIT ? OFFSET ?`
		args = append(args, q.Limit, q.Offset)
	}
	return db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s, args...)
		if err != nil {
			return fmt.Errorf("cache: metric pushes: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			p, err := scanPush(rows)
			if err != nil {
				return fmt.Errorf("cache: metric pushes: %w", err)
			}
			if err := fn(p); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// MetricPushes returns one page of pushes and how many q selects in all.
func (db *DB) MetricPushes(ctx context.Context, q PushQuery) ([]MetricPush, int64, error) {
	where, args := q.where()
	var total int64
	if err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM metric_pushes p LEFT JOIN outbox o ON o.id = p.outbox_id WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("cache: metric pushes: %w", err)
	}
	var out []MetricPush
	err := db.EachMetricPush(ctx, q, func(p MetricPush) error {
		out = append(out, p)
		return nil
	})
	return out, total, err
}

// MetricPushByID returns a push. createdBy "" finds anyone's (admins);
// otherwise another person's push is ENOTFOUND.
func (db *DB) MetricPushByID(ctx context.Context, id int64, createdBy string) (*MetricPush, error) {
	where, args := PushQuery{CreatedBy: createdBy}.where()
	p, err := scanPush(db.r.QueryRowContext(ctx, `SELECT `+pushCols+pushFrom+` WHERE p.id = ? AND `+where, append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err, "There is no metric push "+strconv.FormatInt(id, 10)+" of yours.")
	}
	return &p, nil
}
