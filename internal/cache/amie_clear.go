package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// CreateUsageClear records a request to clear failed records and its
// outbox item in one transaction. Every id must be a failed record the
// portal lists now; otherwise nothing is stored and the error names them.
func (db *DB) CreateUsageClear(ctx context.Context, ids []int64, actor, actorName string) (int64, error) {
	ids, err := usage.ClearIDs(ids)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.write(ctx, func(tx *sql.Tx) error {
		if missing, err := missingAMIEFailedIDs(ctx, tx, ids); err != nil {
			return err
		} else if len(missing) > 0 {
			return usage.NotListed(missing)
		}
		summary := usage.ClearSummary(len(ids))
		now := db.now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO usage_clears(failed_ids, count, summary, state, created_by, created_by_name, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, amieJoinIDs(ids), len(ids), summary, portal.OutboxQueued, actor, actorName, now, now).Scan(&id); err != nil {
			return err
		}
		payload, err := json.Marshal(usage.ClearPayload{Clear: id, IDs: ids})
		if err != nil {
			return err
		}
		if _, err := db.enqueue(ctx, tx, portal.OutboxItem{Kind: portal.KindAMIEClear, Upstream: portal.UpstreamAMIE, Ref: usage.ClearRef(id),
			Summary: summary, Payload: string(payload), CreatedBy: actor, CreatedByName: actorName}); err != nil {
			return err
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: usage.ClearRef(id), To: portal.OutboxQueued, Reason: summary})
	})
	if err != nil {
		return 0, fmt.Errorf("cache: create clear request: %w", err)
	}
	return id, nil
}

func missingAMIEFailedIDs(ctx context.Context, tx *sql.Tx, ids []int64) ([]int64, error) {
	var missing []int64
	const batch = 500
	for i := 0; i < len(ids); i += batch {
		part := ids[i:min(i+batch, len(ids))]
		rows, err := tx.QueryContext(ctx, `SELECT failed_id FROM amie_failed WHERE failed_id IN (`+placeholders(len(part))+`)`, anys(part)...)
		if err != nil {
			return nil, err
		}
		found := map[int64]bool{}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			found[id] = true
		}
		rows.Close()
		for _, id := range part {
			if !found[id] {
				missing = append(missing, id)
			}
		}
	}
	return missing, nil
}

func amieJoinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// SettleUsageClear mirrors the outbox state on the clear request. Once the
// upstream confirmed the clear (the deliverer re-read its failed list),
// the records leave the cache at once, and the next sync re-reads the
// whole status window, because cleared failures change past days' counts.
func (db *DB) SettleUsageClear(ctx context.Context, tx *sql.Tx, it portal.OutboxItem, o portal.OutboxOutcome) error {
	var p usage.ClearPayload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		return fmt.Errorf("cache: clear request %d: payload: %w", it.ID, err)
	}
	var prev string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM usage_clears WHERE id = ?`, p.Clear).Scan(&prev); err != nil {
		return notFound(err, fmt.Sprintf("clear request %d does not exist", p.Clear))
	}
	state, confirmed := usage.ClearAfter(o)
	if _, err := tx.ExecContext(ctx, `UPDATE usage_clears SET state = ?, result = ?, updated_at = ? WHERE id = ?`,
		state, it.Result, db.now(), p.Clear); err != nil {
		return err
	}
	if confirmed {
		for i := 0; i < len(p.IDs); i += 500 {
			part := p.IDs[i:min(i+500, len(p.IDs))]
			if _, err := tx.ExecContext(ctx, `DELETE FROM amie_failed WHERE failed_id IN (`+placeholders(len(part))+`)`, anys(part)...); err != nil {
				return err
			}
		}
		if err := db.requestFullAMIESync(ctx, tx); err != nil {
			return err
		}
		db.bumpOnCommit(tx, genAMIEFailed)
	}
	actor := o.Actor
	if actor == "" {
		actor = portal.SystemActor
	}
	return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: o.ActorName, Subject: usage.ClearRef(p.Clear), From: prev, To: state,
		Reason: usage.ClearReason(o)})
}

const usageClearCols = `id, failed_ids, summary, state, result, created_by, created_by_name, created_at, updated_at`

func scanUsageClear(row rowScanner) (*usage.Clear, error) {
	var c usage.Clear
	var ids string
	var created, updated int64
	if err := row.Scan(&c.ID, &ids, &c.Summary, &c.State, &c.Result, &c.CreatedBy, &c.CreatedByName, &created, &updated); err != nil {
		return nil, err
	}
	for _, s := range strings.Split(ids, ",") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			c.FailedIDs = append(c.FailedIDs, n)
		}
	}
	c.Created, c.Updated = unix(created), unix(updated)
	return &c, nil
}

// UsageClearByID returns one clear request.
func (db *DB) UsageClearByID(ctx context.Context, id int64) (*usage.Clear, error) {
	c, err := one(ctx, db, `SELECT `+usageClearCols+` FROM usage_clears WHERE id = ?`, []any{id}, scanUsageClear)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("There is no clear request %d.", id))
	}
	return c, nil
}

// clearSortColumns are the columns of usage.ClearSorts.
var clearSortColumns = map[string]string{"id": "id", "records": "count", "state": "state", "updated": "updated_at", "by": "created_by_name"}

// ListUsageClears returns one page of clear requests and how many there are.
func (db *DB) ListUsageClears(ctx context.Context, f usage.ClearFilter) ([]usage.Clear, int64, error) {
	col, ok := clearSortColumns[f.Sort]
	if !ok {
		col, f.Desc = "id", true
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q := listQuery{cols: usageClearCols, from: `usage_clears`, where: "1=1", order: col + dir(f.Desc) + ", id DESC", limit: f.Limit, offset: f.Offset}
	out, total, err := list(ctx, db, q, func(row rowScanner) (usage.Clear, error) {
		c, err := scanUsageClear(row)
		if err != nil {
			return usage.Clear{}, err
		}
		return *c, nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("cache: list clear requests: %w", err)
	}
	return out, total, nil
}

// AMIEProjectIDs maps the AMIE LocalProjectIDs the scope covers to their
// portal project keys. all is set for an unlimited scope (admins), which
// covers every LocalProjectID, known to the catalogue or not.
func (db *DB) AMIEProjectIDs(ctx context.Context, scope portal.Scope) (ids map[string]string, all bool, err error) {
	ids = map[string]string{}
	q, args := `SELECT upstream_id, project_key FROM project_ids WHERE upstream = 'amie'`, []any{}
	if !scope.All {
		if len(scope.Projects) == 0 {
			return ids, false, nil
		}
		q += ` AND project_key IN (` + placeholders(len(scope.Projects)) + `)`
		args = anys(scope.Projects)
		// As in ScopeFilter: an upstream id equal to a project key is that project.
		for _, k := range scope.Projects {
			ids[k] = k
		}
	}
	err = db.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, key string
			if err := rows.Scan(&id, &key); err != nil {
				return err
			}
			ids[id] = key
		}
		return rows.Err()
	})
	if err != nil {
		return nil, false, fmt.Errorf("cache: amie project ids: %w", err)
	}
	return ids, scope.All, nil
}
