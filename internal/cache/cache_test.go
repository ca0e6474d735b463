package cache

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// MustOpen opens a fresh database in a temporary directory with a fixed clock.
func MustOpen(tb testing.TB) (*DB, *time.Time) {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "portal.db"))
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	db.SetSettlers(settlers(db))
	tb.Cleanup(func() { db.Close() })
	return db, &now
}

// settlers are the settlers the outbox table (internal/outbox/kinds.go)
// gives the database at start.
func settlers(db *DB) map[string]Settler {
	return map[string]Settler{
		portal.KindOBIBudget:       db.SettleBudgetRequest,
		portal.KindARGOMetric:      db.SettleMetricPush,
		portal.KindAMIEUsage:       db.SettleUsageChunk,
		portal.KindAMIEClear:       db.SettleUsageClear,
		portal.KindVergeOSGenerate: db.SettleGenerateRequest,
	}
}

func TestOpen_FreshAndExisting(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "portal.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	names, _ := migrationNames()
	applied, err := db.AppliedMigrations(ctx)
	if err != nil || strings.Join(applied, ",") != strings.Join(names, ",") {
		t.Fatalf("applied %v, want %v (%v)", applied, names, err)
	}
	if _, err := db.StartSyncRun(ctx, "argo"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Reopening applies nothing twice and keeps the data.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runs, err := db.RecentSyncRuns(ctx, "argo", 10)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs after reopen: %v %v", runs, err)
	}
	again, _ := db.AppliedMigrations(ctx)
	if len(again) != len(names) {
		t.Fatalf("migrations applied twice: %v", again)
	}
}

func TestOpen_PragmasOnEveryConnection(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	// Hold several reader connections at once so the pool opens more than one.
	var conns []*sql.Conn
	for range 3 {
		c, err := db.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		var fk, timeout int
		var mode string
		c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
		c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&timeout)
		c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
		if fk != 1 || timeout != 10000 || mode != "wal" {
			t.Errorf("reader %d: foreign_keys=%d busy_timeout=%d journal_mode=%s", i, fk, timeout, mode)
		}
		if _, err := c.ExecContext(ctx, "INSERT INTO projects(key, name) VALUES ('x', 'x')"); err == nil {
			t.Errorf("reader %d can write", i)
		}
		c.Close()
	}
}

func TestOpen_RefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "portal.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.w.ExecContext(ctx, `INSERT INTO schema_migrations(name, applied_at) VALUES ('9999_future.sql', 0)`)
	db.Close()
	_, err = Open(ctx, path)
	if portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(err.Error(), "9999_future.sql") {
		t.Fatalf("newer schema: %v", err)
	}
	if _, err := Open(ctx, ":memory:"); err == nil {
		t.Fatal(":memory: accepted")
	}
}

func TestSyncRuns_Status(t *testing.T) {
	db, now := MustOpen(t)
	ctx := context.Background()
	id, _ := db.StartSyncRun(ctx, "argo")
	*now = now.Add(time.Minute)
	db.FinishSyncRun(ctx, id, 42, "")
	*now = now.Add(time.Minute)
	id2, _ := db.StartSyncRun(ctx, "argo")
	db.FinishSyncRun(ctx, id2, 0, "ARGO could not be reached")
	st, err := db.SourceStatuses(ctx, []string{"argo", "obi"})
	if err != nil {
		t.Fatal(err)
	}
	a := st["argo"]
	if a.LastSuccess == nil || a.LastSuccess.Rows != 42 || !a.Failing() || a.LastError.Error != "ARGO could not be reached" {
		t.Fatalf("argo status %+v", a)
	}
	if !a.DataAsOf().Equal(time.Date(2026, 11, 20, 12, 1, 0, 0, time.UTC)) {
		t.Fatalf("data as of %v", a.DataAsOf())
	}
	if o := st["obi"]; o.LastRun != nil || !o.DataAsOf().IsZero() || o.Failing() {
		t.Fatalf("obi status %+v", o)
	}
	// A run left unfinished by a crash is marked failed at the next start.
	db.StartSyncRun(ctx, "obi")
	db.AbandonSyncRuns(ctx)
	st, _ = db.SourceStatuses(ctx, []string{"obi"})
	if !st["obi"].Failing() || !strings.Contains(st["obi"].LastError.Error, "interrupted") {
		t.Fatalf("abandoned run: %+v", st["obi"])
	}
}

func TestSessions(t *testing.T) {
	db, now := MustOpen(t)
	ctx := context.Background()
	u := portal.User{Subject: "sub-1", Name: "Max", Manages: []string{"a"}, Member: []string{"a", "b"}}
	tok, err := db.CreateSession(ctx, u, "idtok", 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.SessionByToken(ctx, tok, time.Hour)
	if err != nil || s.User.Name != "Max" || !s.User.CanManage("a") || s.CSRFToken == "" || s.IDToken != "idtok" {
		t.Fatalf("session %+v %v", s, err)
	}
	var stored int
	db.r.QueryRow(`SELECT COUNT(*) FROM sessions WHERE token_hash = ?`, tok).Scan(&stored)
	if stored != 0 {
		t.Fatal("the cookie value is stored in clear")
	}
	db.SetFlash(ctx, tok, "Saved.")
	if f, _ := db.TakeFlash(ctx, tok); f != "Saved." {
		t.Fatalf("flash %q", f)
	}
	if f, _ := db.TakeFlash(ctx, tok); f != "" {
		t.Fatalf("flash not cleared: %q", f)
	}
	// Idle expiry.
	*now = now.Add(61 * time.Minute)
	if _, err := db.SessionByToken(ctx, tok, time.Hour); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
		t.Fatalf("idle session accepted: %v", err)
	}
	// Absolute expiry despite activity.
	tok2, _ := db.CreateSession(ctx, u, "", 2*time.Hour)
	for range 3 {
		*now = now.Add(50 * time.Minute)
		s, err := db.SessionByToken(ctx, tok2, time.Hour)
		if err != nil {
			break
		}
		db.TouchSession(ctx, tok2, s.LastSeen)
	}
	if _, err := db.SessionByToken(ctx, tok2, time.Hour); err == nil {
		t.Fatal("session outlived its absolute expiry")
	}
	if _, err := db.SessionByToken(ctx, "forged", time.Hour); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
		t.Fatalf("forged token: %v", err)
	}
}

func TestCatalogAndScope(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	c := &portal.Catalog{
		VirtualLabs: []portal.VirtualLab{{ID: "lab-1", Name: "Lab"}},
		Projects: []portal.CatalogProject{
			{Key: "a", Name: "Alpha", ArgoID: "ALPHA", OBIID: "obi-a", OBIVlabID: "lab-1"},
			{Key: "b", Name: "Beta", ArgoID: "BETA"},
		},
	}
	if err := db.ReplaceCatalog(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, _ := db.Catalog(ctx)
	if len(got.Projects) != 2 || got.Projects[0].OBIVlabID != "lab-1" || got.Projects[1].ArgoID != "BETA" {
		t.Fatalf("catalogue %+v", got)
	}
	db.w.Exec(`CREATE TABLE t (pid TEXT)`)
	db.w.Exec(`INSERT INTO t VALUES ('ALPHA'), ('BETA'), ('c'), ('OTHER')`)
	count := func(s portal.Scope) []string {
		where, args := ScopeFilter(s, "argo", "pid")
		rows, err := db.r.Query(`SELECT pid FROM t WHERE `+where+` ORDER BY pid`, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var p string
			rows.Scan(&p)
			out = append(out, p)
		}
		return out
	}
	for _, tc := range []struct {
		scope portal.Scope
		want  string
	}{
		{portal.Scope{All: true}, "ALPHA,BETA,OTHER,c"},
		{portal.Scope{Projects: []string{"a"}}, "ALPHA"},
		{portal.Scope{Projects: []string{"a", "c"}}, "ALPHA,c"}, // "c" matches an upstream id equal to the key
		{portal.Scope{}, ""},
	} {
		if got := strings.Join(count(tc.scope), ","); got != tc.want {
			t.Errorf("scope %+v: %s, want %s", tc.scope, got, tc.want)
		}
	}
	// Replacing drops what the configuration no longer names.
	db.ReplaceCatalog(ctx, &portal.Catalog{Projects: []portal.CatalogProject{{Key: "b", Name: "Beta"}}})
	names, _ := db.ProjectNames(ctx, []string{"a", "b"})
	if len(names) != 1 || names["b"] != "Beta" {
		t.Fatalf("names %v", names)
	}
}
