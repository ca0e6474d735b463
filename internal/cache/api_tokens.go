package cache

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// Personal access tokens and the roles each person had at their last
// sign-in, which a token acts with.

// rememberUser records u's roles as of now, inside tx.
func rememberUser(ctx context.Context, tx *sql.Tx, u portal.User, now int64) error {
	js, err := json.Marshal(u)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO api_users(subject, user_json, signed_in_at) VALUES (?, ?, ?)
		ON CONFLICT(subject) DO UPDATE SET user_json = excluded.user_json, signed_in_at = excluded.signed_in_at`, u.Subject, string(js), now)
	return err
}

// RememberUser records the roles u has now, as a sign-in does: the roles
// their tokens act with from now on. The demo records its people this way.
func (db *DB) RememberUser(ctx context.Context, u portal.User) error {
	return db.write(ctx, func(tx *sql.Tx) error { return rememberUser(ctx, tx, u, db.now()) })
}

// CreateAPIToken stores a new token and returns its secret, which is not
// kept: only its hash is. The owner must have signed in at least once,
// since a token acts with the roles of their last sign-in.
func (db *DB) CreateAPIToken(ctx context.Context, n portal.NewAPIToken) (string, int64, error) {
	secret := portal.NewTokenSecret()
	var id int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		var known int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_users WHERE subject = ?`, n.Subject).Scan(&known); err != nil {
			return err
		}
		if known == 0 {
			return portal.Errorf(portal.EINVALID, "%q has never signed in to the portal, so it has no roles a token could act with.", n.Subject)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens(secret_hash, hint, subject, name, scope, created_at, created_by, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, portal.TokenHash(secret), portal.TokenHint(secret), n.Subject, n.Name, n.Scope,
			db.now(), n.CreatedBy, secs(n.Expires))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		if err != nil {
			return err
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: n.CreatedBy, Subject: apiTokenSubject(id), To: "created",
			Reason: fmt.Sprintf("token %q (%s) for %s, until %s", n.Name, n.Scope, n.Subject, n.Expires.UTC().Format(time.RFC3339))})
	})
	if err != nil {
		if portal.ErrorCode(err) == portal.EINVALID {
			return "", 0, err
		}
		return "", 0, fmt.Errorf("cache: create API token: %w", err)
	}
	return secret, id, nil
}

func apiTokenSubject(id int64) string { return fmt.Sprintf("api-token:%d", id) }

const apiTokenCols = `t.id, t.hint, t.subject, COALESCE(u.user_json, ''), t.name, t.scope, t.created_at, t.created_by, t.expires_at,
	t.last_used_at, t.revoked_at, t.revoked_by`

func scanAPIToken(r rowScanner) (portal.APIToken, error) {
	var t portal.APIToken
	var userJSON string
	var created, expires, used, revoked int64
	if err := r.Scan(&t.ID, &t.Hint, &t.Subject, &userJSON, &t.Name, &t.Scope, &created, &t.CreatedBy, &expires, &used, &revoked, &t.RevokedBy); err != nil {
		return t, err
	}
	if userJSON != "" {
		var u portal.User
		if err := json.Unmarshal([]byte(userJSON), &u); err != nil {
			return t, err
		}
		t.OwnerName = u.DisplayName()
	}
	t.Created, t.Expires, t.LastUsed, t.Revoked = unix(created), unix(expires), unix(used), unix(revoked)
	return t, nil
}

// APITokens lists the tokens of subject, newest first; every person's
// when every is set (for admins).
func (db *DB) APITokens(ctx context.Context, subject string, every bool) ([]portal.APIToken, error) {
	q := `SELECT ` + apiTokenCols + ` FROM api_tokens t LEFT JOIN api_users u ON u.subject = t.subject`
	var args []any
	if !every {
		q += ` WHERE t.subject = ?`
		args = append(args, subject)
	}
	out, err := all(ctx, db, q+` ORDER BY t.created_at DESC, t.id DESC`, args, scanAPIToken)
	if err != nil {
		return nil, fmt.Errorf("cache: API tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken ends a token at once. owner limits it to one person's
// tokens ("" for an admin, who may revoke any); a token outside that, or
// none, is ENOTFOUND. Revoking a revoked token changes nothing.
func (db *DB) RevokeAPIToken(ctx context.Context, id int64, owner, actor string) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		var subject string
		var revoked int64
		err := tx.QueryRowContext(ctx, `SELECT subject, revoked_at FROM api_tokens WHERE id = ?`, id).Scan(&subject, &revoked)
		if err != nil || (owner != "" && subject != owner) {
			return notFound(sql.ErrNoRows, "There is no such token.")
		}
		if revoked != 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ?`, db.now(), actor, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, Subject: apiTokenSubject(id), From: "created", To: "revoked"})
	})
}

// APIUser returns the person a secret belongs to, with the roles of their
// last sign-in, and the token. A secret that is unknown, revoked or
// expired is EUNAUTHORIZED, with the same message for each, so that a
// guess learns nothing. Use is recorded at most once a minute.
func (db *DB) APIUser(ctx context.Context, secret string) (*portal.User, *portal.APIToken, error) {
	refused := portal.Errorf(portal.EUNAUTHORIZED, "The token is not valid: it is unknown, revoked or expired.")
	if !portal.LooksLikeToken(secret) {
		return nil, nil, refused
	}
	hash := portal.TokenHash(secret)
	var stored []byte
	var userJSON string
	t, err := one(ctx, db, `SELECT t.secret_hash, `+apiTokenCols+` FROM api_tokens t JOIN api_users u ON u.subject = t.subject WHERE t.secret_hash = ?`,
		[]any{hash}, func(r rowScanner) (portal.APIToken, error) {
			return scanAPIToken(scanHashFirst{r, &stored, &userJSON})
		})
	if err == sql.ErrNoRows {
		return nil, nil, refused
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cache: API token: %w", err)
	}
	// The index found the row by hash; comparing the hashes again in
	// constant time keeps any later change of the lookup from leaking.
	if subtle.ConstantTimeCompare(stored, hash) != 1 || !t.Active(db.Now()) {
		return nil, nil, refused
	}
	var u portal.User
	if err := json.Unmarshal([]byte(userJSON), &u); err != nil {
		return nil, nil, fmt.Errorf("cache: API token user: %w", err)
	}
	if now := db.now(); now-secs(t.LastUsed) >= 60 {
		err := db.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now, t.ID)
			return err
		})
		if err != nil {
			return nil, nil, fmt.Errorf("cache: API token use: %w", err)
		}
		t.LastUsed = unix(now)
	}
	return &u, &t, nil
}

// scanHashFirst reads the hash column before the token's columns and
// keeps a copy of the user's JSON, which scanAPIToken reads for the name.
type scanHashFirst struct {
	r        rowScanner
	hash     *[]byte
	userJSON *string
}

func (s scanHashFirst) Scan(dest ...any) error {
	if err := s.r.Scan(append([]any{s.hash}, dest...)...); err != nil {
		return err
	}
	*s.userJSON = *(dest[3].(*string))
	return nil
}
