package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/accounting-portal/portal/internal/app"
	"github.com/accounting-portal/portal/internal/config"
)

// runCheck checks the configuration `portal serve` would run with and
// reaches what it points to, printing one line per check; any failure
// makes it exit non-zero.
func runCheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return check(ctx, args, getenv, stdout, stderr, app.CheckOptions{})
}

func check(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, opts app.CheckOptions) error {
	cfg, err := config.Load(args, getenv, stderr)
	var problems *config.Problems
	if errors.As(err, &problems) {
		for _, p := range problems.List {
			fmt.Fprintf(stdout, "FAIL configuration: %s\n", p)
		}
		return errSilent
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "OK   configuration: every setting is valid")
	secrets := strings.NewReplacer(redactions(cfg)...)
	failed := 0
	for _, r := range app.Check(ctx, cfg, opts) {
		if r.Status == app.CheckFail {
			failed++
		}
		// One line per check, whatever an upstream's message holds. The
		// checks never put a secret in a line; the replacer makes sure of it.
		detail := strings.Join(strings.Fields(r.Detail), " ")
		fmt.Fprintln(stdout, secrets.Replace(fmt.Sprintf("%-4s %s: %s", r.Status, r.Name, detail)))
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d checks failed\n", failed)
		return errSilent
	}
	return nil
}

// redactions pairs every secret of cfg with its stand-in.
func redactions(cfg *config.Config) []string {
	var out []string
	for _, s := range []string{cfg.OIDC.ClientSecret, cfg.Argo.Token, cfg.OBI.Token, cfg.AMIE.APIKey, cfg.VergeOS.Password, cfg.VergeOS.APIKey} {
		if s != "" {
			out = append(out, s, "[secret]")
		}
	}
	return out
}
