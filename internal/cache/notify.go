package cache

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/portal"
)

// Notifications (the notify package has their rules): an event is
// written in the transaction of the change that causes it, with one
// notification per recipient whose mode for its kind is not off. The
// recipients are the people the portal knows from their sign-ins
// (RememberUser): admins, a project's managers and members, a request's
// requester.

// rememberPerson records a person as their sign-in described them: name,
// e-mail and roles. CreateSession (and RememberUser) call it in their
// transaction, so every signed-in person is known; nobody else is.
func (db *DB) rememberPerson(ctx context.Context, tx *sql.Tx, u portal.User) error {
	now := db.now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO users(subject, name, email, admin, first_seen, last_sign_in) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(subject) DO UPDATE SET name = excluded.name, email = excluded.email, admin = excluded.admin, last_sign_in = excluded.last_sign_in`,
		u.Subject, u.Name, u.Email, u.Admin, now, now); err != nil {
		return fmt.Errorf("cache: remember user: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_projects WHERE subject = ?`, u.Subject); err != nil {
		return err
	}
	for _, k := range u.Member {
		role := "member"
		if slices.Contains(u.Manages, k) {
			role = "manager"
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_projects(subject, project_key, role) VALUES (?, ?, ?)`, u.Subject, k, role); err != nil {
			return err
		}
	}
	return nil
}

// raise writes e and a notification for each recipient whose mode for
// its kind is not off, inside tx. The person who caused the event is not
// told of it.
func (db *DB) raise(ctx context.Context, tx *sql.Tx, e notify.Event, rcpts []notify.Recipient) error {
	type target struct{ subject, mode string }
	var ts []target
	seen := map[string]bool{}
	for _, r := range rcpts {
		if r.Subject == "" || r.Subject == e.Actor || seen[r.Subject] {
			continue
		}
		seen[r.Subject] = true
		if m := notify.ModeFor(e.Kind, r.Relation, r.Pref, r.Admin); m != notify.ModeOff {
			ts = append(ts, target{r.Subject, m})
		}
	}
	if len(ts) == 0 {
		return nil
	}
	at := e.At
	if at.IsZero() {
		at = db.Now()
	}
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO notify_events(kind, at, actor, actor_name, subject, project_key, title, body, link)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, e.Kind, secs(at), e.Actor, e.ActorName, e.Subject, e.Project,
		notify.Clip(notify.OneLine(e.Title), 500), notify.Clip(e.Body, 4000), e.Link).Scan(&id); err != nil {
		return fmt.Errorf("cache: event: %w", err)
	}
	for _, t := range ts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications(event_id, recipient, mode) VALUES (?, ?, ?)`, id, t.subject, t.mode); err != nil {
			return fmt.Errorf("cache: notification: %w", err)
		}
	}
	db.bumpOnCommit(tx, genNotifications)
	return nil
}

// recipients runs a query whose rows are (subject, admin, pref, role)
// and returns them as recipients; role "" takes rel.
func recipients(ctx context.Context, tx *sql.Tx, rel notify.Relation, q string, args ...any) ([]notify.Recipient, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []notify.Recipient
	for rows.Next() {
		var r notify.Recipient
		var role string
		if err := rows.Scan(&r.Subject, &r.Admin, &r.Pref, &role); err != nil {
			return nil, err
		}
		r.Relation = rel
		if role != "" {
			r.Relation = notify.Relation(role)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// admins are the people whose last sign-in made them admins.
func admins(ctx context.Context, tx *sql.Tx, kind string) ([]notify.Recipient, error) {
	return recipients(ctx, tx, notify.AsAdmin, `SELECT u.subject, u.admin, COALESCE(p.mode, ''), '' FROM users u
		LEFT JOIN notify_prefs p ON p.subject = u.subject AND p.kind = ? WHERE u.admin = 1 ORDER BY u.subject`, kind)
}

// projectPeople are a project's managers, and with members its members too.
func projectPeople(ctx context.Context, tx *sql.Tx, project, kind string, members bool) ([]notify.Recipient, error) {
	cond := ` AND up.role = 'manager'`
	if members {
		cond = ""
	}
	return recipients(ctx, tx, notify.AsManager, `SELECT u.subject, u.admin, COALESCE(p.mode, ''), up.role FROM user_projects up
		JOIN users u ON u.subject = up.subject LEFT JOIN notify_prefs p ON p.subject = u.subject AND p.kind = ?
		WHERE up.project_key = ?`+cond+` ORDER BY u.subject`, kind, project)
}

// person is one person (a requester, a sender), known or not.
func person(ctx context.Context, tx *sql.Tx, subject string, rel notify.Relation, kind string) ([]notify.Recipient, error) {
	if subject == "" || subject == portal.SystemActor {
		return nil, nil
	}
	return recipients(ctx, tx, rel, `SELECT ?, COALESCE((SELECT admin FROM users WHERE subject = ?), 0),
		COALESCE((SELECT mode FROM notify_prefs WHERE subject = ? AND kind = ?), ''), ''`, subject, subject, subject, kind)
}
