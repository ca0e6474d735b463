package cache

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// CreateSession stores a new session for u and returns the cookie value.
// Only a hash of the value is stored, so a copy of the database cannot be
// used to sign in.
func (db *DB) CreateSession(ctx context.Context, u portal.User, idToken string, maxAge time.Duration) (string, error) {
	token := portal.NewToken()
	userJSON, err := json.Marshal(u)
	if err != nil {
		return "", fmt.Errorf("cache: create session: %w", err)
	}
	now := db.now()
	err = db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions(token_hash, subject, user_json, csrf_token, id_token, created_at, last_seen, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, hashToken(token), u.Subject, string(userJSON), portal.NewToken(), idToken, now, now, now+int64(maxAge/time.Second))
		if err != nil {
			return err
		}
		db.bumpOnCommit(tx, genSessions)
		if err := db.rememberPerson(ctx, tx, u); err != nil {
			return err
		}
		// The roles of this sign-in are those the person's API tokens act
		// with from now on (fewer roles now: their tokens get fewer too).
		return rememberUser(ctx, tx, u, now)
	})
	if err != nil {
		return "", fmt.Errorf("cache: create session: %w", err)
	}
	return token, nil
}

// SessionByToken returns the live session for a cookie value. A session
// idle for longer than idle, or past its absolute end, is deleted and
// reported as EUNAUTHORIZED.
func (db *DB) SessionByToken(ctx context.Context, token string, idle time.Duration) (*portal.Session, error) {
	// Every request looks its session up: the session is kept (memo.go)
	// until a session is written (created, touched, given or relieved of
	// a flash, ended), and its ends are checked against the clock here
	// every time.
	kept, err := rememberedIn(&db.personal, "session:"+string(hashToken(token)), db.gen(genSessions), func() (portal.Session, error) {
		var s portal.Session
		var userJSON string
		var created, lastSeen, expires int64
		err := db.read(ctx, func(tx *sql.Tx) error {
			return db.queryRowIn(ctx, tx, `SELECT user_json, csrf_token, id_token, flash, created_at, last_seen, expires_at
		FROM sessions WHERE token_hash = ?`, hashToken(token)).Scan(&userJSON, &s.CSRFToken, &s.IDToken, &s.Flash, &created, &lastSeen, &expires)
		})
		if err != nil {
			return s, err
		}
		if err := json.Unmarshal([]byte(userJSON), &s.User); err != nil {
			return s, fmt.Errorf("session user: %w", err)
		}
		s.Created, s.LastSeen, s.Expires = unix(created), unix(lastSeen), unix(expires)
		return s, nil
	}, same)
	if err == sql.ErrNoRows {
		return nil, portal.Errorf(portal.EUNAUTHORIZED, "Your session has ended. Please sign in again.")
	}
	if err != nil {
		return nil, fmt.Errorf("cache: session: %w", err)
	}
	now := db.now()
	if now >= kept.Expires.Unix() || now-kept.LastSeen.Unix() > int64(idle/time.Second) {
		db.DeleteSession(ctx, token)
		return nil, portal.Errorf(portal.EUNAUTHORIZED, "Your session has expired. Please sign in again.")
	}
	return &kept, nil
}

// TouchSession records activity on a session, at most once a minute so
// that page views do not all queue on the writer.
func (db *DB) TouchSession(ctx context.Context, token string, lastSeen time.Time) error {
	if db.Now().Sub(lastSeen) < time.Minute {
		return nil
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen = ? WHERE token_hash = ?`, db.now(), hashToken(token))
		db.bumpOnCommit(tx, genSessions)
		return err
	})
}

// SetFlash stores a one-time message to show on the session's next page.
func (db *DB) SetFlash(ctx context.Context, token, msg string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET flash = ? WHERE token_hash = ?`, msg, hashToken(token))
		db.bumpOnCommit(tx, genSessions)
		return err
	})
}

// TakeFlash returns and clears the session's flash message.
func (db *DB) TakeFlash(ctx context.Context, token string) (string, error) {
	var msg string
	err := db.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT flash FROM sessions WHERE token_hash = ?`, hashToken(token)).Scan(&msg)
		if err != nil || msg == "" {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET flash = '' WHERE token_hash = ?`, hashToken(token))
		db.bumpOnCommit(tx, genSessions)
		return err
	})
	if err == sql.ErrNoRows {
		return "", nil
	}
	return msg, err
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, token string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashToken(token))
		db.bumpOnCommit(tx, genSessions)
		return err
	})
}

// DeleteExpired removes ended sessions: past their absolute end, or idle
// for longer than idle.
func (db *DB) DeleteExpired(ctx context.Context, idle time.Duration) error {
	now := db.now()
	return db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen < ?`, now, now-int64(idle/time.Second))
		db.bumpOnCommit(tx, genSessions)
		return err
	})
}
