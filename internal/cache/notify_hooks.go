package cache

import (
	"context"
	"database/sql"
	"sort"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// The events of changes the cache makes elsewhere: each is called inside
// the transaction of the change (a request's creation or decision, an
// outbox settler, the sync of AMIE's failed records).

// noteRequest raises the event of budget request id reaching state: a
// new request tells the admins, a decision or OBI's outcome its requester.
func (db *DB) noteRequest(ctx context.Context, tx *sql.Tx, id int64, state, actor, actorName string) error {
	r, err := budgetRequest(ctx, tx, id)
	if err != nil {
		return err
	}
	if state == budgets.Pending {
		rcpts, err := admins(ctx, tx, notify.KindRequestCreated)
		if err != nil {
			return err
		}
		return db.raise(ctx, tx, notify.RequestCreated(r), rcpts)
	}
	e, ok := notify.RequestDecided(r, state, actor, actorName, db.Now())
	if !ok {
		return nil
	}
	rcpts, err := person(ctx, tx, r.RequestedBy, notify.AsRequester, notify.KindRequestDecided)
	if err != nil {
		return err
	}
	return db.raise(ctx, tx, e, rcpts)
}

// notePush tells a metric push's sender that it failed or gave up.
func (db *DB) notePush(ctx context.Context, tx *sql.Tx, id int64, from, to, reason string) error {
	if from == to || (to != portal.OutboxFailed && to != portal.OutboxDead) {
		return nil
	}
	var sender, def, inst, value string
	if err := tx.QueryRowContext(ctx, `SELECT created_by, definition_name, installation_name, value_text FROM metric_pushes WHERE id = ?`, id).
		Scan(&sender, &def, &inst, &value); err != nil {
		return err
	}
	rcpts, err := person(ctx, tx, sender, notify.AsSender, notify.KindDeliveryFailed)
	if err != nil {
		return err
	}
	return db.raise(ctx, tx, notify.PushFailed(id, value+" "+def+" of "+inst, to, reason, db.Now()), rcpts)
}

// noteUpload tells a usage upload's sender that it failed.
func (db *DB) noteUpload(ctx context.Context, tx *sql.Tx, id int64, from, to string) error {
	if from == to || to != usage.UploadFailed {
		return nil
	}
	var sender, filename string
	var records, refused, notSent int
	if err := tx.QueryRowContext(ctx, `SELECT created_by, filename, records, refused, not_sent FROM usage_uploads WHERE id = ?`, id).
		Scan(&sender, &filename, &records, &refused, &notSent); err != nil {
		return err
	}
	rcpts, err := person(ctx, tx, sender, notify.AsSender, notify.KindDeliveryFailed)
	if err != nil {
		return err
	}
	return db.raise(ctx, tx, notify.UploadFailed(id, filename, records, refused, notSent, db.Now()), rcpts)
}

// amieFreshGroup is the failed records AMIE lists that the portal had
// not seen before, of one LocalProjectID and Error.
type amieFreshGroup struct {
	localProjectID, error string
	count                 int
}

// noteAMIEFailed tells the managers of each project concerned of failed
// records AMIE lists that the portal had not seen before (fresh, in the
// order first listed): one event per project and sync.
func (db *DB) noteAMIEFailed(ctx context.Context, tx *sql.Tx, fresh []amieFreshGroup) error {
	if len(fresh) == 0 {
		return nil
	}
	type group struct {
		count  int
		errors []string
		seen   map[string]bool
	}
	byProject := map[string]*group{}
	for _, r := range fresh {
		key, err := projectOf(ctx, tx, portal.UpstreamAMIE, r.localProjectID)
		if err != nil {
			return err
		}
		if key == "" {
			continue
		}
		g := byProject[key]
		if g == nil {
			g = &group{seen: map[string]bool{}}
			byProject[key] = g
		}
		g.count += r.count
		if !g.seen[r.error] {
			g.seen[r.error] = true
			g.errors = append(g.errors, r.error)
		}
	}
	keys := make([]string, 0, len(byProject))
	for k := range byProject {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g := byProject[k]
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT name FROM projects WHERE key = ?), ?)`, k, k).Scan(&name); err != nil {
			return err
		}
		rcpts, err := projectPeople(ctx, tx, k, notify.KindAMIEFailed, false)
		if err != nil {
			return err
		}
		if err := db.raise(ctx, tx, notify.AMIEFailed(k, name, g.count, g.errors, db.Now()), rcpts); err != nil {
			return err
		}
	}
	return nil
}

// projectOf is the portal project of an upstream's project id: the one
// the catalogue maps it to, or the project whose key is that id ("" for none).
func projectOf(ctx context.Context, tx *sql.Tx, upstream, id string) (string, error) {
	var key string
	err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT project_key FROM project_ids WHERE upstream = ? AND upstream_id = ?),
		(SELECT key FROM projects WHERE key = ?), '')`, upstream, id, id).Scan(&key)
	return key, err
}
