package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/portal"
)

// runCmd runs the program with args and no environment and returns its
// output and error.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, io.Discard)
	return out.String(), err
}

func countRows(t *testing.T, path, table string) int {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBackup_WhileThePortalWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "portal.db")
	db, err := cache.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.ReplaceCatalog(ctx, &portal.Catalog{Projects: []portal.CatalogProject{{Key: "neuro-sim", Name: "Neural Circuit Simulation"}}}); err != nil {
		t.Fatal(err)
	}
	const before = 200
	for range before {
		id, _ := db.StartSyncRun(ctx, "argo")
		db.FinishSyncRun(ctx, id, 1, "")
	}
	// Writes go on in another goroutine, as syncs do, for the whole backup.
	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	var written atomic.Int64
	var once sync.Once
	underway := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				writerDone <- nil
				return
			default:
			}
			id, err := db.StartSyncRun(ctx, "obi")
			if err == nil {
				err = db.FinishSyncRun(ctx, id, 7, "")
			}
			if err != nil {
				writerDone <- err
				return
			}
			written.Add(1)
			once.Do(func() { close(underway) })
		}
	}()
	select {
	case <-underway:
	case err := <-writerDone:
		t.Fatal(err)
	}
	out := filepath.Join(dir, "backups", "portal-backup.db")
	os.MkdirAll(filepath.Dir(out), 0o700)
	atStart := written.Load()
	text, err := runCmd(t, "backup", "-db", path, "-out", out)
	during := written.Load() - atStart
	close(stop)
	if werr := <-writerDone; werr != nil {
		t.Fatalf("a write failed during the backup: %v", werr)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d writes went on during the backup: %s", during, text)
	if !strings.HasPrefix(text, "backed up "+path+" to "+out) {
		t.Errorf("output %q", text)
	}

	// The copy is one file, needing no -wal beside it.
	if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 1 {
		t.Errorf("the backup directory holds %d files", len(entries))
	}
	// It opens as a portal database: nothing to migrate, the data there.
	check, err := runCmd(t, "migrate", "-check", "-db", out)
	if err != nil || !strings.Contains(check, "is current") {
		t.Fatalf("migrate -check on the copy: %v %q", err, check)
	}
	cp, err := cache.Open(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := cp.Catalog(ctx)
	cp.Close()
	if err != nil || len(cat.Projects) != 1 || cat.Projects[0].Key != "neuro-sim" {
		t.Fatalf("catalogue in the copy: %+v %v", cat, err)
	}
	runs := countRows(t, out, "sync_runs")
	if runs < before+int(atStart) || runs > before+int(written.Load()) {
		t.Fatalf("the copy has %d runs; %d were written before it started and %d in all", runs, before+atStart, before+written.Load())
	}

	// An existing file is not overwritten unless told.
	if _, err := runCmd(t, "backup", "-db", path, "-out", out); err == nil || !strings.Contains(err.Error(), "-force") {
		t.Fatalf("second backup to the same file: %v", err)
	}
	if countRows(t, out, "sync_runs") != runs {
		t.Fatal("a refused backup changed the file")
	}
	if _, err := runCmd(t, "backup", "-db", path, "-out", out, "-force"); err != nil {
		t.Fatal(err)
	}
	if got := countRows(t, out, "sync_runs"); got != before+int(written.Load()) {
		t.Fatalf("after -force the copy has %d runs, want %d", got, before+written.Load())
	}
	if _, err := runCmd(t, "backup", "-db", path); err == nil {
		t.Error("backup without -out accepted")
	}
}

// olderDatabase makes a database as the previous release left it: every
// migration but the last applied.
func olderDatabase(t *testing.T, path string) string {
	t.Helper()
	names := cache.Migrations()
	conn, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Exec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`)
	for _, n := range names[:len(names)-1] {
		body, err := os.ReadFile(filepath.Join("..", "..", "internal", "cache", "migrations", "sqlite", n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		conn.Exec(`INSERT INTO schema_migrations VALUES (?, 0)`, n)
	}
	return names[len(names)-1]
}

func TestMigrate_CheckListsWhatAnUpgradeApplies(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "portal.db")
	last := olderDatabase(t, path)

	out, err := runCmd(t, "migrate", "-check", "-db", path)
	if err != nil {
		t.Fatal(err)
	}
	n := len(cache.Migrations())
	want := path + " has " + strconv.Itoa(n-1) + " of " + strconv.Itoa(n) + " migrations; would apply 1:\n  " + last + "\n"
	if out != want {
		t.Fatalf("migrate -check said\n%q\nwant\n%q", out, want)
	}
	// -check changed nothing.
	if again, _ := runCmd(t, "migrate", "-check", "-db", path); again != out {
		t.Fatalf("a second -check differs: %q", again)
	}
	out, err = runCmd(t, "migrate", "-db", path)
	if err != nil || out != path+" has "+strconv.Itoa(n-1)+" of "+strconv.Itoa(n)+" migrations; applied 1:\n  "+last+"\n" {
		t.Fatalf("migrate: %v %q", err, out)
	}
	out, err = runCmd(t, "migrate", "-check", "-db", path)
	if err != nil || out != path+" is current: "+strconv.Itoa(n)+" migrations applied, none pending\n" {
		t.Fatalf("after migrate: %v %q", err, out)
	}

	// A database a newer portal has migrated: both refuse, exit non-zero, and say so.
	conn, _ := sql.Open("sqlite", "file:"+path)
	conn.Exec(`INSERT INTO schema_migrations VALUES ('9999_future.sql', 0)`)
	conn.Close()
	for _, args := range [][]string{{"migrate", "-check", "-db", path}, {"migrate", "-db", path}} {
		out, err := runCmd(t, args...)
		if !errors.Is(err, errSilent) || !strings.Contains(out, "is newer than this portal") || !strings.Contains(out, "9999_future.sql") {
			t.Errorf("%v on a newer database: %v %q", args, err, out)
		}
	}
	if got := countRows(t, path, "schema_migrations"); got != n+1 {
		t.Errorf("the newer database was changed: %d migrations recorded", got)
	}

	// A database that does not exist yet: -check lists everything and creates nothing.
	none := filepath.Join(dir, "none.db")
	out, err = runCmd(t, "migrate", "-check", "-db", none)
	if err != nil || !strings.HasPrefix(out, none+" does not exist; would apply all "+strconv.Itoa(n)+" migrations") {
		t.Fatalf("missing database: %v %q", err, out)
	}
	if _, err := os.Stat(none); err == nil {
		t.Fatal("migrate -check created the database")
	}
}
