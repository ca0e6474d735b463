package cache

import (
	"compress/gzip"
	"context"
	"database/sql"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/portal"
)

// TestReads_OnlyThroughRead keeps every read in a read transaction: the
// reader pool (db.r) is used by read alone (and closed by Close), so a
// page's queries see one snapshot and a new query cannot bypass it.
func TestReads_OnlyThroughRead(t *testing.T) {
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "r" {
					return true
				}
				// prepared only prepares statements; they run in a read's transaction.
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "db" && fn.Name.Name != "read" && fn.Name.Name != "Close" && fn.Name.Name != "prepared" {
					t.Errorf("%s: %s uses the reader pool directly; read through db.read (or list, each, one, all)", fset.Position(sel.Pos()), fn.Name.Name)
				}
				return true
			})
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d files", checked)
	}
}

// sqliteOnly are constructs only SQLite understands (or understands its
// own way). They belong in dialect_sqlite.go, by name, so that a second
// dialect supplies its own.
var sqliteOnly = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\bstrftime\(`),
	regexp.MustCompile(`(?i)\bunixepoch\(`),
	regexp.MustCompile(`(?i)\bjulianday\(`),
	regexp.MustCompile(`(?i)\bINSERT OR\b`),
	regexp.MustCompile(`(?i)\bsqlite_master\b`),
	regexp.MustCompile(`(?i)\bPRAGMA\b`),
	regexp.MustCompile(`(?i)\bVACUUM\b`),
	regexp.MustCompile(`(?i)\browid\b`),
	regexp.MustCompile(`(?i)\bLIMIT -1\b`),
	regexp.MustCompile(`(?i)\bIFNULL\(`),
	regexp.MustCompile(`\bIS NOT (?:[a-z(]|excluded)`), // null-safe "differs"; IS NOT NULL is standard
	regexp.MustCompile(`\b(?:MAX|MIN)\([^()]*,`),       // the two-argument scalar MAX/MIN
	regexp.MustCompile(`"modernc\.org/sqlite`),
}

// TestDialect_SQLiteOnlyHere keeps SQLite's own SQL and driver in
// dialect_sqlite.go (and the migrations of migrations/sqlite), and the
// driver out of every other package.
func TestDialect_SQLiteOnlyHere(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "dialect_sqlite.go" {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			for _, re := range sqliteOnly {
				if re.MatchString(line) && !strings.Contains(line, "IS NOT NULL") {
					t.Errorf("%s:%d: SQLite-only %q belongs in dialect_sqlite.go: %s", name, i+1, re, strings.TrimSpace(line))
				}
			}
		}
	}
	// No other package talks to SQLite.
	root := filepath.Join("..", "..")
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
			strings.HasPrefix(filepath.ToSlash(path), "../../internal/cache/") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(src), `"modernc.org/sqlite`) || strings.Contains(string(src), "sql.Open(") {
			t.Errorf("%s opens a database itself; storage is internal/cache's", path)
		}
		return nil
	})
}

// TestMigrations_DatabaseOfThePreviousLayoutOpens opens a database made by
// the portal before the migrations moved to migrations/sqlite (a copy of
// one, testdata/portal-0400.db.gz: migrations 0001 to 0400, a catalogue, a
// budget request approved and queued, balances, a sync run, a session, a
// pending sign-in and a sign-in failure). It opens without re-applying
// anything: only the migrations added since run (among them the one that
// drops the sign-in tables), and the data is all there.
func TestMigrations_DatabaseOfThePreviousLayoutOpens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "portal.db")
	gunzip(t, filepath.Join("testdata", "portal-0400.db.gz"), path)

	old := []string{"0001_core.sql", "0002_outbox_attempts.sql", "0100_argo.sql", "0200_obi.sql", "0300_amie.sql", "0400_vergeos.sql"}
	plan, err := PlanMigrations(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// Pending: every migration this binary has beyond the old ones, and
	// none of the old ones again.
	var pending []string
	for _, name := range Migrations() {
		if !slices.Contains(old, name) {
			pending = append(pending, name)
		}
	}
	if !slices.Equal(plan.Applied, old) || !slices.Equal(plan.Pending, pending) || !slices.Contains(pending, "0003_drop_sign_in_tables.sql") || plan.Newer() {
		t.Fatalf("plan for the old database: applied %v, pending %v, unknown %v", plan.Applied, plan.Pending, plan.Unknown)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SchemaCurrent(ctx); err != nil {
		t.Fatal(err)
	}
	applied, _ := db.AppliedMigrations(ctx)
	if want := Migrations(); !slices.Equal(applied, want) {
		t.Fatalf("applied %v, want %v", applied, want)
	}
	r, err := db.BudgetRequestByID(ctx, 1)
	if err != nil || r.State != budgets.Approved || r.Amount.String() != "250.50" || r.ProjName != "Neural Circuit Simulation" ||
		r.DecidedByName != "Ada Admin" || !r.ProjBalance.Known || r.ProjBalance.Value.String() != "90.5" {
		t.Fatalf("the request of the old database: %+v %v", r, err)
	}
	items, err := db.OutboxByRef(ctx, budgets.RequestRef(1))
	if err != nil || len(items) != 1 || items[0].Kind != portal.KindOBIBudget || items[0].State != portal.OutboxQueued {
		t.Fatalf("its outbox item: %+v %v", items, err)
	}
	// Queued before names were kept with items: it and its history take
	// the name its admin approved under.
	if items[0].CreatedBy != "demo-admin" || items[0].CreatedByName != "Ada Admin" {
		t.Errorf("the item was queued by %q named %q, want demo-admin named Ada Admin", items[0].CreatedBy, items[0].CreatedByName)
	}
	trail, err := db.AuditTrail(ctx, "outbox:"+strconv.FormatInt(items[0].ID, 10))
	if err != nil || len(trail) == 0 {
		t.Fatalf("the item's history: %+v %v", trail, err)
	}
	for _, e := range trail {
		if e.Actor == "demo-admin" && e.ActorName != "Ada Admin" {
			t.Errorf("a history entry of demo-admin is named %q", e.ActorName)
		}
	}
	runs, err := db.RecentSyncRuns(ctx, portal.UpstreamOBI, 5)
	if err != nil || len(runs) != 1 || runs[0].Rows != 4 {
		t.Fatalf("sync runs: %+v %v", runs, err)
	}
	var sessions int
	var signIn int
	db.read(ctx, func(tx *sql.Tx) error {
		tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sessions`).Scan(&sessions)
		return tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name IN ('pending_logins', 'login_failures', 'login_failures_by_client')`).Scan(&signIn)
	})
	if sessions != 1 || signIn != 0 {
		t.Fatalf("%d sessions, %d sign-in tables and indexes left", sessions, signIn)
	}
}

func gunzip(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestList_CountAndPageAgree: list counts every matching row and returns
// the page; LIMIT and OFFSET apply as given, an offset without a limit
// skips rows, and each streams the same rows in the same order.
func TestList_CountAndPageAgree(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		db.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO projects(key, name) VALUES (?, ?)`, k, "Project "+k)
			return err
		})
	}
	q := listQuery{cols: "key", from: "projects p", where: "p.key <> ?", args: []any{"c"}, order: "p.key" + dir(true)}
	for _, c := range []struct {
		limit, offset int
		want          string
	}{{0, 0, "e,d,b,a"}, {2, 0, "e,d"}, {2, 3, "a"}, {0, 1, "d,b,a"}, {9, 9, ""}} {
		q.limit, q.offset = c.limit, c.offset
		got, total, err := list(ctx, db, q, scanValue[string])
		if err != nil || total != 4 || strings.Join(got, ",") != c.want {
			t.Errorf("limit %d offset %d: %v of %d (%v), want %s of 4", c.limit, c.offset, got, total, err, c.want)
		}
		var streamed []string
		if err := each(ctx, db, q, scanValue[string], func(s string) error { streamed = append(streamed, s); return nil }); err != nil ||
			!slices.Equal(streamed, got) {
			t.Errorf("limit %d offset %d: each gave %v, list %v (%v)", c.limit, c.offset, streamed, got, err)
		}
	}
	if _, err := one(ctx, db, `SELECT key FROM projects WHERE key = ?`, []any{"zz"}, scanValue[string]); portal.ErrorCode(notFound(err, "none")) != portal.ENOTFOUND {
		t.Errorf("one of no row: %v", err)
	}
}

// TestDialect_ClassifiesErrors: the driver's errors are told apart by
// the dialect, not by their text.
func TestDialect_ClassifiesErrors(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	insert := func() error {
		return db.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO projects(key, name) VALUES ('dup', 'x')`)
			return err
		})
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}
	err := insert()
	if !isUniqueViolation(err) || isBusy(err) {
		t.Errorf("a second row with the same key: unique %v, busy %v (%v)", isUniqueViolation(err), isBusy(err), err)
	}
	// Another connection holds the write lock past a short busy timeout.
	other, err := sql.Open(driverName, "file:"+db.Path()+"?_pragma=busy_timeout(50)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = other.ExecContext(ctx, `INSERT INTO projects(key, name) VALUES ('other', 'x')`)
	if !isBusy(err) || isUniqueViolation(err) {
		t.Errorf("a write while another holds the lock: busy %v, unique %v (%v)", isBusy(err), isUniqueViolation(err), err)
	}
	if isBusy(nil) || isUniqueViolation(sql.ErrNoRows) {
		t.Error("errors that are not the driver's were classified")
	}
}

// TestSessions_DeleteExpired removes sessions past their end or idle too
// long, and keeps the others.
func TestSessions_DeleteExpired(t *testing.T) {
	db, now := MustOpen(t)
	ctx := context.Background()
	u := portal.User{Subject: "s"}
	ended, _ := db.CreateSession(ctx, u, "", time.Hour)
	idle, _ := db.CreateSession(ctx, u, "", 12*time.Hour)
	*now = now.Add(30 * time.Minute)
	live, _ := db.CreateSession(ctx, u, "", 12*time.Hour)
	*now = now.Add(31 * time.Minute)
	if err := db.DeleteExpired(ctx, 45*time.Minute); err != nil {
		t.Fatal(err)
	}
	var left []string
	for name, tok := range map[string]string{"ended": ended, "idle": idle, "live": live} {
		if _, err := db.SessionByToken(ctx, tok, 24*time.Hour); err == nil {
			left = append(left, name)
		}
	}
	if !slices.Equal(left, []string{"live"}) {
		t.Fatalf("sessions left: %v", left)
	}
}
