// Command portal is the accounting portal: one binary that gives
// research-infrastructure people a single place for the accounting data of
// ARGO Accounting, OBI budgets, ACCESS AMIE usage and VergeOS billing.
//
//	portal [serve] [flags]   run the portal (configured by flags and PORTAL_* variables)
//	portal demo [flags]      run the portal with simulated upstreams and a development sign-in
//	portal sim [flags]       run the upstream simulators alone
//	portal check [flags]     check the configuration and reach what it points to
//	portal backup -out FILE  copy the database consistently while the portal runs
//	portal migrate [-check]  apply (or list) the schema migrations an upgrade brings
//	portal token create|revoke  make or revoke a personal access token of the JSON API
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/portal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) && !errors.Is(err, errSilent) {
			fmt.Fprintln(os.Stderr, "portal:", describe(err))
		}
		os.Exit(1)
	}
}

// run is the whole program, with its inputs passed in so tests can drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && slices.Contains([]string{"serve", "demo", "sim", "check", "backup", "migrate", "token", "help"}, args[0]) {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "demo":
		return runDemo(ctx, args, stdout, stderr)
	case "sim":
		return runSim(ctx, args, stdout, stderr)
	case "check":
		return runCheck(ctx, args, getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args, getenv, stdout, stderr)
	case "token":
		return runToken(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprintln(stdout, "usage: portal [serve|demo|sim|check|backup|migrate|token] [flags]; portal <command> -h lists the flags")
		return nil
	}
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stderr)
}

// describe is an error as an operator reads it: a portal error's message
// (which says what to do) rather than its code.
func describe(err error) string {
	var pe *portal.Error
	if errors.As(err, &pe) && pe.Code != portal.EINTERNAL && pe.Message != "" && pe.Err == nil {
		return pe.Message
	}
	return err.Error()
}

// newLogger returns the structured logger the configuration asks for.
func newLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
