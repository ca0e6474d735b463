package cache

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/portal"
)

func TestBackup_CopiesRefusesToOverwriteAndLeavesNothingOnFailure(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	if _, err := db.StartSyncRun(ctx, "argo"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "copy.db")
	res, err := Backup(ctx, db.Path(), out, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes == 0 || len(res.Migrations) != len(Migrations()) {
		t.Fatalf("result %+v", res)
	}
	st, _ := os.Stat(out)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v: it holds session hashes, so only its owner may read it", st.Mode().Perm())
	}
	plan, err := PlanMigrations(ctx, out)
	if err != nil || len(plan.Pending) != 0 || plan.Newer() {
		t.Fatalf("the copy is not current: %+v %v", plan, err)
	}
	cp, err := Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := cp.RecentSyncRuns(ctx, "argo", 5)
	cp.Close()
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs in the copy: %v %v", runs, err)
	}

	// An existing file is kept unless overwrite is asked for.
	os.WriteFile(out, []byte("keep me"), 0o600)
	_, err = Backup(ctx, db.Path(), out, false)
	if portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("overwrite without force: %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Fatal("the existing file was changed")
	}
	if _, err := Backup(ctx, db.Path(), out, true); err != nil {
		t.Fatalf("overwrite with force: %v", err)
	}
	// The database itself is never a target, force or not.
	if _, err := Backup(ctx, db.Path(), db.Path(), true); err == nil {
		t.Fatal("backup over the live database accepted")
	}
	// A failed backup (the source is not a database) leaves no file behind.
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not a database ", 100)), 0o600)
	if _, err := Backup(ctx, junk, filepath.Join(dir, "fail.db"), false); err == nil {
		t.Fatal("backup of a non-database succeeded")
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "copy.db,junk.db" {
		t.Fatalf("left behind: %v", names)
	}
}

func TestPlanMigrations_PendingAndNewer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.db")
	plan, err := PlanMigrations(ctx, missing)
	if err != nil || plan.Exists || len(plan.Pending) != len(Migrations()) {
		t.Fatalf("plan of a missing file: %+v %v", plan, err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("planning created the database")
	}
	db, _ := MustOpen(t)
	// An older database: the last migration not yet applied.
	last := Migrations()[len(Migrations())-1]
	if _, err := db.w.ExecContext(ctx, `DELETE FROM schema_migrations WHERE name = ?`, last); err != nil {
		t.Fatal(err)
	}
	plan, err = PlanMigrations(ctx, db.Path())
	if err != nil || len(plan.Pending) != 1 || plan.Pending[0] != last || plan.Newer() {
		t.Fatalf("older database: %+v %v", plan, err)
	}
	if err := db.SchemaCurrent(ctx); err == nil || !strings.Contains(err.Error(), last) {
		t.Fatalf("SchemaCurrent with a pending migration: %v", err)
	}
	// A newer one: a migration this binary does not know.
	db.w.ExecContext(ctx, `INSERT INTO schema_migrations(name, applied_at) VALUES (?, 0), ('9999_future.sql', 0)`, last)
	plan, err = PlanMigrations(ctx, db.Path())
	if err != nil || !plan.Newer() || plan.Unknown[0] != "9999_future.sql" || len(plan.Pending) != 0 {
		t.Fatalf("newer database: %+v %v", plan, err)
	}
	if err := db.SchemaCurrent(ctx); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("SchemaCurrent on a newer schema: %v", err)
	}
}

// Commands run as root on a stopped portal's database must leave no -wal
// or -shm file behind: owned by root, they would stop the portal's own
// user from opening the database.
func TestBackupAndPlan_LeaveNoFilesBesideAStoppedDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "portal.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.StartSyncRun(ctx, "obi")
	db.Close()
	if _, err := PlanMigrations(ctx, path); err != nil {
		t.Fatal(err)
	}
	if _, err := Backup(ctx, path, filepath.Join(t.TempDir(), "b.db"), false); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("files beside the database: %v", names)
	}
}
