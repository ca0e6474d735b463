package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/accounting-portal/portal/internal/cache"
)

// errSilent is returned after a command has said what went wrong itself:
// main exits non-zero without printing it again.
var errSilent = errors.New("")

// dbFlag adds -db, defaulting to PORTAL_DB as `portal serve` reads it.
func dbFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	def := getenv("PORTAL_DB")
	if def == "" {
		def = "portal.db"
	}
	return fs.String("db", def, "SQLite database file (default: PORTAL_DB, else portal.db)")
}

// runBackup copies the database consistently, also while a portal runs on it.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portal backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs, getenv)
	out := fs.String("out", "", "file to write the copy to (required; must not exist unless -force)")
	force := fs.Bool("force", false, "replace -out if it exists")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("backup: usage: portal backup [-db FILE] -out FILE [-force]")
	}
	res, err := cache.Backup(ctx, *db, *out, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s: %d bytes, %d migrations, in %s\n", *db, res.Path, res.Bytes, len(res.Migrations), res.Took.Round(1e6))
	return nil
}

// runMigrate applies the migrations a database lacks, or with -check only
// lists them. Both refuse (exit non-zero) a database newer than this binary.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("portal migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs, getenv)
	check := fs.Bool("check", false, "only list the migrations this binary would apply; change nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("migrate: unexpected arguments: %v", fs.Args())
	}
	var plan cache.MigrationPlan
	var err error
	if *check {
		plan, err = cache.PlanMigrations(ctx, *db)
	} else {
		plan, err = cache.Migrate(ctx, *db)
	}
	if err != nil && !plan.Newer() {
		return err
	}
	if plan.Newer() {
		fmt.Fprintf(stdout, "%s is newer than this portal: it has migrations this version does not know: %s\n", *db, strings.Join(plan.Unknown, ", "))
		fmt.Fprintln(stdout, "Run the portal version that wrote it (or newer), or restore a backup made before the upgrade.")
		return errSilent
	}
	verb := "applied"
	if *check {
		verb = "would apply"
	}
	switch {
	case len(plan.Pending) == 0:
		fmt.Fprintf(stdout, "%s is current: %d migrations applied, none pending\n", *db, len(plan.Applied))
	case !plan.Exists:
		fmt.Fprintf(stdout, "%s does not exist; %s all %d migrations to a new database:\n", *db, verb, len(plan.Pending))
	default:
		fmt.Fprintf(stdout, "%s has %d of %d migrations; %s %d:\n", *db, len(plan.Applied), len(plan.Applied)+len(plan.Pending), verb, len(plan.Pending))
	}
	for _, n := range plan.Pending {
		fmt.Fprintf(stdout, "  %s\n", n)
	}
	return nil
}
