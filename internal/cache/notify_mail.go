package cache

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/portal"
)

// Mail: notifications waiting for e-mail are planned into messages
// (notify.Plan), each queued as one outbox item of kind
// portal.KindMailMessage in the transaction that marks its notifications
// queued; the item's settler marks them sent, failed or uncertain.

// maxPendingRead bounds the notifications one planning round reads.
const maxPendingRead = 5000

// SkipUnmailable marks the pending notifications that no mail will carry:
// those of people whose sign-in gave no e-mail address, and, when no SMTP
// server is configured, all of them (so that configuring one later does
// not send old news). It returns how many it marked.
func (db *DB) SkipUnmailable(ctx context.Context, smtpConfigured bool) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET mail = 'no-address' WHERE mail = 'pending'
			AND recipient NOT IN (SELECT subject FROM users WHERE email <> '')`)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		if smtpConfigured {
			return nil
		}
		res, err = tx.ExecContext(ctx, `UPDATE notifications SET mail = 'unsent' WHERE mail = 'pending'`)
		if err != nil {
			return err
		}
		m, _ := res.RowsAffected()
		n += m
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("cache: skip unmailable notifications: %w", err)
	}
	return n, nil
}

// PendingMail returns the people with notifications waiting for mail,
// with when they were last mailed, oldest notification first.
func (db *DB) PendingMail(ctx context.Context) ([]notify.Outgoing, error) {
	var out []notify.Outgoing
	err := db.read(ctx, func(tx *sql.Tx) error {
		idx := map[string]int{}
		return eachRow(ctx, db, tx, `SELECT `+notificationCols+`, u.name, u.email, COALESCE(m.last_immediate, 0), COALESCE(m.last_digest, 0)
			FROM notifications n JOIN notify_events e ON e.id = n.event_id JOIN users u ON u.subject = n.recipient
			LEFT JOIN notify_mailing m ON m.recipient = n.recipient
			WHERE n.mail = 'pending' AND u.email <> '' ORDER BY n.recipient, n.id LIMIT ?`, []any{maxPendingRead},
			func(r rowScanner) (struct{}, error) {
				var nt notify.Notification
				var name, email string
				var lastImm, lastDig int64
				if err := scanNotificationInto(r, &nt, &name, &email, &lastImm, &lastDig); err != nil {
					return struct{}{}, err
				}
				i, ok := idx[nt.Recipient]
				if !ok {
					i = len(out)
					idx[nt.Recipient] = i
					out = append(out, notify.Outgoing{Recipient: notify.User{Subject: nt.Recipient, Name: name, Email: email},
						LastImmediate: unix(lastImm), LastDigest: unix(lastDig)})
				}
				out[i].Pending = append(out[i].Pending, nt)
				return struct{}{}, nil
			}, func(struct{}) error { return nil })
	})
	if err != nil {
		return nil, fmt.Errorf("cache: pending mail: %w", err)
	}
	return out, nil
}

// QueueMail queues one message: the outbox item it is delivered by, and
// its notifications marked queued with it, in one transaction, and
// records when the person was mailed. It refuses (ECONFLICT) when any
// of the notifications is no longer pending, so none is mailed twice.
func (db *DB) QueueMail(ctx context.Context, m notify.Message, it portal.OutboxItem) (int64, error) {
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = db.enqueue(ctx, tx, it); err != nil {
			return err
		}
		ids := m.IDs()
		for i := 0; i < len(ids); i += 500 {
			part := ids[i:min(i+500, len(ids))]
			res, err := tx.ExecContext(ctx, `UPDATE notifications SET mail = 'queued', outbox_id = ? WHERE mail = 'pending' AND id IN (`+
				placeholders(len(part))+`)`, append([]any{id}, anys(part)...)...)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != int64(len(part)) {
				return portal.Errorf(portal.ECONFLICT, "notifications of %s were mailed meanwhile", m.Recipient.Subject)
			}
		}
		col := "last_immediate"
		if m.Digest {
			col = "last_digest"
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO notify_mailing(recipient, `+col+`) VALUES (?, ?)
			ON CONFLICT(recipient) DO UPDATE SET `+col+` = excluded.`+col, m.Recipient.Subject, secs(m.Date))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("cache: queue mail: %w", err)
	}
	return id, nil
}

// SettleMailMessage is the settler of portal.KindMailMessage: the
// notifications a message carries follow its item's state.
func (db *DB) SettleMailMessage(ctx context.Context, tx *sql.Tx, it portal.OutboxItem, o portal.OutboxOutcome) error {
	state := notify.MailQueued
	switch o.State {
	case portal.OutboxDelivered:
		state = notify.MailSent
	case portal.OutboxFailed, portal.OutboxDead:
		state = notify.MailFailed
	case portal.OutboxUncertain:
		state = notify.MailUncertain
	}
	_, err := tx.ExecContext(ctx, `UPDATE notifications SET mail = ? WHERE outbox_id = ?`, state, it.ID)
	return err
}

// MailStatus is what the data-sources page says about the SMTP server:
// the newest attempt to send and the newest that failed, and how many
// messages wait or were left uncertain.
type MailStatus struct {
	LastAttempt, LastFailure *portal.OutboxAttempt
	Waiting, Uncertain, Dead int
}

// MailStatus reads the state of mail delivery from the outbox.
func (db *DB) MailStatus(ctx context.Context) (MailStatus, error) {
	var st MailStatus
	err := db.read(ctx, func(tx *sql.Tx) error {
		scan := func(where string) (*portal.OutboxAttempt, error) {
			var a portal.OutboxAttempt
			var s, f int64
			err := tx.QueryRowContext(ctx, `SELECT a.started_ms, COALESCE(a.finished_ms, 0), a.outcome, a.error FROM outbox_attempts a
				JOIN outbox o ON o.id = a.outbox_id WHERE o.kind = ? `+where+` ORDER BY a.id DESC LIMIT 1`, portal.KindMailMessage).
				Scan(&s, &f, &a.Outcome, &a.Error)
			if err == sql.ErrNoRows {
				return nil, nil
			}
			a.Started, a.Finished = unixMS(s), unixMS(f)
			return &a, err
		}
		var err error
		if st.LastAttempt, err = scan(`AND a.finished_ms IS NOT NULL`); err != nil {
			return err
		}
		if st.LastFailure, err = scan(`AND a.finished_ms IS NOT NULL AND a.outcome <> 'delivered'`); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(state IN ('queued', 'sending', 'verify')), 0), COALESCE(SUM(state = 'uncertain'), 0),
			COALESCE(SUM(state IN ('dead', 'failed')), 0) FROM outbox WHERE kind = ?`, portal.KindMailMessage).Scan(&st.Waiting, &st.Uncertain, &st.Dead)
	})
	if err != nil {
		return st, fmt.Errorf("cache: mail status: %w", err)
	}
	return st, nil
}
