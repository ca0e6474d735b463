package cache

import (
	"context"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// TestAPITokens_ActWithTheRolesOfTheLastSignIn stores only a hash, acts
// with the roles of the owner's latest sign-in, refuses an expired or
// revoked token alike, and lets an owner revoke only their own.
func TestAPITokens_ActWithTheRolesOfTheLastSignIn(t *testing.T) {
	db, now := MustOpen(t)
	ctx := context.Background()
	mk := func(subject string, expires time.Time) (string, int64, error) {
		return db.CreateAPIToken(ctx, portal.NewAPIToken{Subject: subject, Name: "n", Scope: portal.ScopeRead, CreatedBy: subject, Expires: expires})
	}
	if _, _, err := mk("m", now.Add(time.Hour)); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("a token of someone who never signed in: %v, want EINVALID", err)
	}
	both := portal.User{Subject: "m", Name: "Max", Manages: []string{"a", "b"}, Member: []string{"a", "b"}}
	if _, err := db.CreateSession(ctx, both, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	secret, id, err := mk("m", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var stored int
	db.r.QueryRow(`SELECT COUNT(*) FROM api_tokens WHERE secret_hash = ? AND hint = ?`, portal.TokenHash(secret), secret[:8]).Scan(&stored)
	if stored != 1 {
		t.Fatalf("the token is not stored by its hash")
	}
	u, tok, err := db.APIUser(ctx, secret)
	if err != nil || len(u.Manages) != 2 || tok.ID != id || tok.LastUsed.IsZero() {
		t.Fatalf("APIUser: %+v %+v %v", u, tok, err)
	}
	// A new sign-in with fewer roles: the token has fewer too.
	if _, err := db.CreateSession(ctx, portal.User{Subject: "m", Manages: []string{"a"}, Member: []string{"a"}}, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if u, _, _ := db.APIUser(ctx, secret); len(u.Manages) != 1 || u.Manages[0] != "a" {
		t.Fatalf("after a sign-in with fewer roles: %+v", u)
	}
	if err := db.RevokeAPIToken(ctx, id, "someone-else", "someone-else"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("revoking another's token: %v, want ENOTFOUND", err)
	}
	if err := db.RevokeAPIToken(ctx, id, "m", "m"); err != nil {
		t.Fatal(err)
	}
	expired, _, _ := mk("m", now.Add(time.Minute))
	*now = now.Add(time.Minute)
	for name, s := range map[string]string{"revoked": secret, "expired": expired, "unknown": portal.NewTokenSecret(), "malformed": "pap_x"} {
		if _, _, err := db.APIUser(ctx, s); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
			t.Errorf("%s: %v, want EUNAUTHORIZED", name, err)
		}
	}
	toks, err := db.APITokens(ctx, "m", false)
	if err != nil || len(toks) != 2 || toks[1].Revoked.IsZero() || toks[1].RevokedBy != "m" || toks[0].OwnerName != "m" {
		t.Fatalf("the list: %+v %v", toks, err)
	}
}
