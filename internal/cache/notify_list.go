package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/portal"
)

// The notifications pages' reads and writes: a person's notifications
// (theirs only: every query names the recipient), the navigation's
// counts, preferences and the people the portal knows.

const notificationCols = `n.id, n.recipient, n.mode, n.read_at, n.mail, COALESCE(n.outbox_id, 0),
	e.id, e.kind, e.at, e.actor, e.actor_name, e.subject, e.project_key, e.title, e.body, e.link`

func scanNotificationInto(r rowScanner, n *notify.Notification, extra ...any) error {
	var read, at int64
	dest := []any{&n.ID, &n.Recipient, &n.Mode, &read, &n.Mail, &n.OutboxID,
		&n.Event.ID, &n.Kind, &at, &n.Actor, &n.ActorName, &n.Subject, &n.Project, &n.Title, &n.Body, &n.Link}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return err
	}
	n.Read, n.At = unix(read), unix(at)
	return nil
}

func scanNotification(r rowScanner) (notify.Notification, error) {
	var n notify.Notification
	err := scanNotificationInto(r, &n)
	return n, err
}

func notificationQuery(subject string, f notify.Filter) listQuery {
	q := listQuery{cols: notificationCols, from: `notifications n JOIN notify_events e ON e.id = n.event_id`,
		countFrom: `notifications n`, where: `n.recipient = ?`, args: []any{subject},
		order: `(n.read_at = 0) DESC, n.id DESC`, limit: f.Limit, offset: f.Offset}
	if f.UnreadOnly {
		q.where += ` AND n.read_at = 0`
	}
	return q
}

// Notifications returns a person's notifications, unread first, newest
// first within each, and how many match.
func (db *DB) Notifications(ctx context.Context, subject string, f notify.Filter) ([]notify.Notification, int64, error) {
	out, total, err := list(ctx, db, notificationQuery(subject, f), scanNotification)
	if err != nil {
		return nil, 0, fmt.Errorf("cache: notifications: %w", err)
	}
	return out, total, nil
}

// EachNotification streams a person's notifications in the page's order.
func (db *DB) EachNotification(ctx context.Context, subject string, f notify.Filter, fn func(notify.Notification) error) error {
	q := notificationQuery(subject, f)
	q.limit, q.offset = 0, 0
	return each(ctx, db, q, scanNotification, fn)
}

// NavCounts returns a person's unread notifications and, for admins, how
// many budget requests wait for approval. Every page shows them, so they
// are kept (memo.go) until a notification is written or read, or a
// request created or decided: the person's count apart from the shared
// answers, the pending requests once for every admin.
func (db *DB) NavCounts(ctx context.Context, subject string, admin bool) (unread, pending int, err error) {
	unread, err = rememberedIn(&db.personal, "unread:"+subject, db.gen(genNotifications), func() (int, error) {
		var n int
		err := db.read(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE recipient = ? AND read_at = 0`, subject).Scan(&n)
		})
		return n, err
	}, same)
	if err == nil && admin {
		pending, err = remembered(db, "pending requests", db.gen(genRequests), func() (int, error) {
			var n int
			err := db.read(ctx, func(tx *sql.Tx) error {
				return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM budget_requests WHERE state = 'pending'`).Scan(&n)
			})
			return n, err
		}, same)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cache: navigation counts: %w", err)
	}
	return unread, pending, nil
}

// MarkRead marks one of a person's notifications read; another person's
// is ENOTFOUND, as if it did not exist.
func (db *DB) MarkRead(ctx context.Context, subject string, id int64) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var read int64
		err := tx.QueryRowContext(ctx, `SELECT read_at FROM notifications WHERE id = ? AND recipient = ?`, id, subject).Scan(&read)
		if err != nil {
			return notFound(err, "There is no notification "+strconv.FormatInt(id, 10)+".")
		}
		if read != 0 {
			return nil
		}
		db.bumpOnCommit(tx, genNotifications)
		_, err = tx.ExecContext(ctx, `UPDATE notifications SET read_at = ? WHERE id = ?`, db.now(), id)
		return err
	})
}

// MarkAllRead marks every unread notification of a person read and
// returns how many.
func (db *DB) MarkAllRead(ctx context.Context, subject string) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = ? WHERE recipient = ? AND read_at = 0`, db.now(), subject)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n > 0 {
			db.bumpOnCommit(tx, genNotifications)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: mark all read: %w", err)
	}
	return n, nil
}

// NotifyPrefs returns a person's choices, by kind (kinds without one are absent).
func (db *DB) NotifyPrefs(ctx context.Context, subject string) (map[string]string, error) {
	type pref struct{ kind, mode string }
	rows, err := all(ctx, db, `SELECT kind, mode FROM notify_prefs WHERE subject = ?`, []any{subject}, func(r rowScanner) (pref, error) {
		var p pref
		err := r.Scan(&p.kind, &p.mode)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("cache: notification preferences: %w", err)
	}
	out := map[string]string{}
	for _, p := range rows {
		out[p.kind] = p.mode
	}
	return out, nil
}

// SetNotifyPrefs stores a person's choices (each checked by
// notify.CheckPref against their role) and records the change.
func (db *DB) SetNotifyPrefs(ctx context.Context, u portal.User, prefs map[string]string) error {
	for k, m := range prefs {
		if err := notify.CheckPref(k, m, u.Admin); err != nil {
			return portal.Errorf(portal.EINVALID, "%s", err.Error())
		}
	}
	b, _ := json.Marshal(prefs)
	return db.write(ctx, func(tx *sql.Tx) error {
		for k, m := range prefs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notify_prefs(subject, kind, mode) VALUES (?, ?, ?)
				ON CONFLICT(subject, kind) DO UPDATE SET mode = excluded.mode`, u.Subject, k, m); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: u.Subject, ActorName: u.DisplayName(), Subject: "notify_prefs:" + u.Subject,
			To: string(b)})
	})
}

// NotifyUsers returns the people the portal knows, by name, with their
// roles as of their last sign-in.
func (db *DB) NotifyUsers(ctx context.Context) ([]notify.User, error) {
	var out []notify.User
	err := db.read(ctx, func(tx *sql.Tx) error {
		idx := map[string]int{}
		if err := eachRow(ctx, db, tx, `SELECT subject, name, email, admin, first_seen, last_sign_in FROM users ORDER BY name, subject`, nil,
			func(r rowScanner) (notify.User, error) {
				var u notify.User
				var first, last int64
				err := r.Scan(&u.Subject, &u.Name, &u.Email, &u.Admin, &first, &last)
				u.FirstSeen, u.LastSeen = unix(first), unix(last)
				return u, err
			}, func(u notify.User) error {
				idx[u.Subject] = len(out)
				out = append(out, u)
				return nil
			}); err != nil {
			return err
		}
		type role struct{ subject, key, role string }
		return eachRow(ctx, db, tx, `SELECT subject, project_key, role FROM user_projects ORDER BY project_key`, nil,
			func(r rowScanner) (role, error) {
				var x role
				err := r.Scan(&x.subject, &x.key, &x.role)
				return x, err
			}, func(x role) error {
				i, ok := idx[x.subject]
				if !ok {
					return nil
				}
				if x.role == "manager" {
					out[i].Manages = append(out[i].Manages, x.key)
				}
				out[i].Member = append(out[i].Member, x.key)
				return nil
			})
	})
	if err != nil {
		return nil, fmt.Errorf("cache: users: %w", err)
	}
	return out, nil
}
