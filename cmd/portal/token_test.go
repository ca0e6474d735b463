package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/portal"
)

// TestToken_CreateAndRevoke makes a token from the command line with the
// tokens page's checks, prints only its secret, and revokes it.
func TestToken_CreateAndRevoke(t *testing.T) {
	path := filepath.Join(t.TempDir(), "portal.db")
	ctx := context.Background()
	db, err := cache.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RememberUser(ctx, portal.User{Subject: "demo-manager", Manages: []string{"neuro-sim"}, Member: []string{"neuro-sim"}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for args, says := range map[string]string{
		"-user nobody -name x -expires 3d":                  "never signed in",
		"-user demo-manager -name x -expires 2000d":         "-expires: A token lives at most a year",
		"-user demo-manager -expires 3d":                    "-name:",
		"-user demo-manager -name x -scope all -expires 3d": "-scope:",
	} {
		if _, err := runCmd(t, append([]string{"token", "create", "-db", path}, strings.Fields(args)...)...); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("token create %s: %v, want an error saying %q", args, err, says)
		}
	}
	out, err := runCmd(t, "token", "create", "-db", path, "-user", "demo-manager", "-name", "ci", "-scope", "read write", "-expires", "30d")
	secret := strings.TrimSpace(out)
	if err != nil || !portal.LooksLikeToken(secret) {
		t.Fatalf("token create: %q %v", out, err)
	}
	db, err = cache.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, tok, err := db.APIUser(ctx, secret)
	if err != nil || u.Subject != "demo-manager" || tok.Scope != portal.ScopeReadWrite {
		t.Fatalf("the token: %+v %+v %v", u, tok, err)
	}
	if _, err := runCmd(t, "token", "revoke", "-db", path, "-id", "1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.APIUser(ctx, secret); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
		t.Fatalf("a revoked token: %v", err)
	}
}
