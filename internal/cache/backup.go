package cache

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// BackupResult describes a finished backup.
type BackupResult struct {
	Path  string
	Bytes int64
	// Migrations are the migrations recorded in the copy.
	Migrations []string
	Took       time.Duration
}

// Backup writes a consistent copy of the database at src to dst while the
// portal may be using it: SQLite's VACUUM INTO reads one snapshot (in WAL
// mode, writers go on meanwhile) and writes a compact database file that
// needs no -wal file beside it. The copy is made under a temporary name in
// dst's directory, synced, checked (integrity and migrations), and only
// then given its name, so a failed backup leaves nothing behind. An
// existing dst is refused unless overwrite is set; src itself never is.
func Backup(ctx context.Context, src, dst string, overwrite bool) (BackupResult, error) {
	start := time.Now()
	if _, err := os.Stat(src); err != nil {
		return BackupResult{}, fmt.Errorf("backup: database: %w", err)
	}
	if st, err := os.Stat(dst); err == nil {
		if srcSt, err := os.Stat(src); err == nil && os.SameFile(st, srcSt) {
			return BackupResult{}, portal.Errorf(portal.EINVALID, "backup: %s is the database itself", dst)
		}
		if !overwrite {
			return BackupResult{}, portal.Errorf(portal.ECONFLICT, "backup: %s already exists (use -force to replace it)", dst)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return BackupResult{}, fmt.Errorf("backup: %w", err)
	}
	tmpName := tmp.Name()
	tmp.Close()
	done := false
	defer func() {
		if !done {
			os.Remove(tmpName)
		}
	}()

	conn, err := openReadOnly(src, false)
	if err != nil {
		return BackupResult{}, err
	}
	// VACUUM INTO accepts an empty file as its target.
	_, err = conn.ExecContext(ctx, sqlVacuumInto, tmpName)
	conn.Close()
	if err != nil {
		return BackupResult{}, fmt.Errorf("backup: copy %s: %w", src, err)
	}
	if err := syncFile(tmpName); err != nil {
		return BackupResult{}, fmt.Errorf("backup: %w", err)
	}
	migrations, err := checkCopy(ctx, tmpName)
	if err != nil {
		return BackupResult{}, err
	}
	if err := place(tmpName, dst, overwrite); err != nil {
		return BackupResult{}, err
	}
	done = true
	syncDir(filepath.Dir(dst))
	st, err := os.Stat(dst)
	if err != nil {
		return BackupResult{}, fmt.Errorf("backup: %w", err)
	}
	return BackupResult{Path: dst, Bytes: st.Size(), Migrations: migrations, Took: time.Since(start)}, nil
}

// checkCopy checks a fresh copy's integrity and returns its migrations.
func checkCopy(ctx context.Context, path string) ([]string, error) {
	conn, err := openReadOnly(path, true)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var ok string
	if err := conn.QueryRowContext(ctx, sqlQuickCheck).Scan(&ok); err != nil || ok != "ok" {
		return nil, fmt.Errorf("backup: the copy fails its integrity check: %v%s", err, ok)
	}
	applied, err := readApplied(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("backup: the copy's migrations: %w", err)
	}
	names, _ := migrationNames()
	plan := planFor(path, true, applied, names)
	return append(plan.Applied, plan.Unknown...), nil
}

// place gives the finished copy its name: atomically, and without
// replacing a file that appeared meanwhile unless overwrite is set.
func place(tmp, dst string, overwrite bool) error {
	if overwrite {
		if err := os.Rename(tmp, dst); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		return nil
	}
	err := os.Link(tmp, dst)
	switch {
	case errors.Is(err, fs.ErrExist):
		return portal.Errorf(portal.ECONFLICT, "backup: %s already exists (use -force to replace it)", dst)
	case err != nil:
		// A file system without hard links: check, then rename.
		if _, statErr := os.Stat(dst); statErr == nil {
			return portal.Errorf(portal.ECONFLICT, "backup: %s already exists (use -force to replace it)", dst)
		}
		if err := os.Rename(tmp, dst); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		return nil
	}
	os.Remove(tmp)
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncDir makes a rename durable; file systems that cannot sync a
// directory are left as they are.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}
