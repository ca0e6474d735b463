package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// MaxClearIDs bounds the failed records one clear request may name.
const MaxClearIDs = 10000

// UsageClear is a request to clear failed records upstream.
type UsageClear struct {
	ID                       int64
	FailedIDs                []int64
	Summary                  string
	State                    string // the state of its outbox item
	Result                   string
	CreatedBy, CreatedByName string
	Created, Updated         time.Time
}

// UsageClearPayload is the outbox payload of a clear request.
type UsageClearPayload struct {
	Clear int64   `json:"clear"`
	IDs   []int64 `json:"failed_record_ids"`
}

// UsageClearResult is what the deliverer keeps of a confirmed clear.
type UsageClearResult struct {
	Cleared int `json:"cleared"`
	// StillListed is empty when the re-read confirmed the clear.
	StillListed []int64 `json:"still_listed,omitempty"`
}

func usageClearSubject(id int64) string { return "usage_clear:" + strconv.FormatInt(id, 10) }

// CreateUsageClear records a request to clear failed records and its
// outbox item in one transaction. Every id must be a failed record the
// portal lists now; otherwise nothing is stored and the error names them.
func (db *DB) CreateUsageClear(ctx context.Context, ids []int64, actor, actorName string) (int64, error) {
	ids = amieUniqueIDs(ids)
	switch {
	case len(ids) == 0:
		return 0, portal.Errorf(portal.EINVALID, "Select at least one failed record to clear.")
	case len(ids) > MaxClearIDs:
		return 0, portal.Errorf(portal.EINVALID, "Select at most %d failed records at a time (you selected %d).", MaxClearIDs, len(ids))
	}
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		if missing, err := missingAMIEFailedIDs(ctx, tx, ids); err != nil {
			return err
		} else if len(missing) > 0 {
			return portal.Errorf(portal.ECONFLICT, "%d of the selected records (%s) are no longer listed as failed; reload the page and select again.",
				len(missing), amieJoinIDs(missing[:min(len(missing), 10)]))
		}
		summary := fmt.Sprintf("Clear %d failed AMIE records", len(ids))
		now := db.now()
		if err := tx.QueryRowContext(ctx, `INSERT INTO usage_clears(failed_ids, count, summary, state, created_by, created_by_name, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, amieJoinIDs(ids), len(ids), summary, portal.OutboxQueued, actor, actorName, now, now).Scan(&id); err != nil {
			return err
		}
		payload, err := json.Marshal(UsageClearPayload{Clear: id, IDs: ids})
		if err != nil {
			return err
		}
		if _, err := db.enqueue(ctx, tx, portal.OutboxItem{Kind: portal.KindAMIEClear, Upstream: portal.UpstreamAMIE, Ref: usageClearSubject(id),
			Summary: summary, Payload: string(payload), CreatedBy: actor}); err != nil {
			return err
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: usageClearSubject(id), To: portal.OutboxQueued, Reason: summary})
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

func amieUniqueIDs(ids []int64) []int64 {
	seen := map[int64]bool{}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
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
	var p UsageClearPayload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		return fmt.Errorf("cache: clear request %d: payload: %w", it.ID, err)
	}
	var prev string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM usage_clears WHERE id = ?`, p.Clear).Scan(&prev); err != nil {
		return notFound(err, fmt.Sprintf("clear request %d does not exist", p.Clear))
	}
	if _, err := tx.ExecContext(ctx, `UPDATE usage_clears SET state = ?, result = ?, updated_at = ? WHERE id = ?`,
		o.State, it.Result, db.now(), p.Clear); err != nil {
		return err
	}
	if o.State == portal.OutboxDelivered {
		for i := 0; i < len(p.IDs); i += 500 {
			part := p.IDs[i:min(i+500, len(p.IDs))]
			if _, err := tx.ExecContext(ctx, `DELETE FROM amie_failed WHERE failed_id IN (`+placeholders(len(part))+`)`, anys(part)...); err != nil {
				return err
			}
		}
		if err := db.requestFullAMIESync(ctx, tx); err != nil {
			return err
		}
	}
	actor := o.Actor
	if actor == "" {
		actor = portal.SystemActor
	}
	reason := o.Reason
	if reason == "" {
		reason = o.Error
	}
	return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: o.ActorName, Subject: usageClearSubject(p.Clear), From: prev, To: o.State, Reason: reason})
}

const usageClearCols = `id, failed_ids, summary, state, result, created_by, created_by_name, created_at, updated_at`

func scanUsageClear(row rowScanner) (*UsageClear, error) {
	var c UsageClear
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
func (db *DB) UsageClearByID(ctx context.Context, id int64) (*UsageClear, error) {
	c, err := one(ctx, db, `SELECT `+usageClearCols+` FROM usage_clears WHERE id = ?`, []any{id}, scanUsageClear)
	if err != nil {
		return nil, notFound(err, fmt.Sprintf("There is no clear request %d.", id))
	}
	return c, nil
}

// ClearFilter pages and sorts clear requests.
type ClearFilter struct {
	Sort          string // one of ClearSorts; default newest first
	Desc          bool
	Limit, Offset int
}

var usageClearOrder = map[string]string{"id": "id", "records": "count", "state": "state", "updated": "updated_at", "by": "created_by_name"}

// ClearSorts lists the sort keys of the clear requests table.
func ClearSorts() []string { return amieSortKeys(usageClearOrder) }

// ListUsageClears returns one page of clear requests and how many there are.
func (db *DB) ListUsageClears(ctx context.Context, f ClearFilter) ([]UsageClear, int64, error) {
	col, ok := usageClearOrder[f.Sort]
	if !ok {
		col, f.Desc = "id", true
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q := listQuery{cols: usageClearCols, from: `usage_clears`, where: "1=1", order: col + dir(f.Desc) + ", id DESC", limit: f.Limit, offset: f.Offset}
	out, total, err := list(ctx, db, q, func(row rowScanner) (UsageClear, error) {
		c, err := scanUsageClear(row)
		if err != nil {
			return UsageClear{}, err
		}
		return *c, nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("cache: list clear requests: %w", err)
	}
	return out, total, nil
}

// amieSortKeys lists a sort map's keys, sorted.
func amieSortKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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
