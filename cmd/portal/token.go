package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/handlers"
	"github.com/accounting-portal/portal/internal/portal"
)

// runToken makes or revokes personal access tokens against the database,
// for operators and scripts (a CI job, the demo): the same checks as the
// tokens page, and the token acts with the roles of the person's last
// sign-in like every token.
//
//	portal token create -user SUBJECT -name NAME [-scope read|"read write"] -expires YYYY-MM-DD|Nd
//	portal token revoke -id N
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	usage := `token: usage: portal token create -user SUBJECT -name NAME [-scope read|"read write"] -expires YYYY-MM-DD|<days>d [-db FILE]
       portal token revoke -id N [-db FILE]`
	if len(args) == 0 {
		return fmt.Errorf("%s", usage)
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("portal token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := dbFlag(fs, getenv)
	switch sub {
	case "create":
		subject := fs.String("user", "", "the person's subject (their OIDC sub; the demo's manager is demo-manager)")
		name := fs.String("name", "", "what the token is for")
		scope := fs.String("scope", portal.ScopeRead, `read, or "read write"`)
		expires := fs.String("expires", "", "the day it expires (YYYY-MM-DD), or in how many days (30d); at most a year")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *subject == "" || fs.NArg() > 0 {
			return fmt.Errorf("%s", usage)
		}
		now := time.Now().UTC()
		n, errs := handlers.NewTokenInput(*subject, "portal token create", *name, *scope, expiryDate(*expires, now), now)
		if len(errs) > 0 {
			var lines []string
			for _, f := range []string{"name", "scope", "expires"} {
				if errs[f] != "" {
					lines = append(lines, "-"+f+": "+errs[f])
				}
			}
			return fmt.Errorf("token: %s", strings.Join(lines, "; "))
		}
		d, err := cache.Open(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		secret, id, err := d.CreateAPIToken(ctx, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "token %d %q (%s) for %s, until %s; the secret is printed once:\n", id, n.Name, n.Scope, n.Subject, n.Expires.Format("2006-01-02"))
		fmt.Fprintln(stdout, secret)
		return nil
	case "revoke":
		id := fs.Int64("id", 0, "the token's number")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if *id <= 0 || fs.NArg() > 0 {
			return fmt.Errorf("%s", usage)
		}
		d, err := cache.Open(ctx, *db)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.RevokeAPIToken(ctx, *id, "", "portal token revoke"); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %d revoked\n", *id)
		return nil
	}
	return fmt.Errorf("%s", usage)
}

var daysText = regexp.MustCompile(`^([0-9]{1,4})d$`)

// expiryDate turns "30d" into the date 30 days from now; a date stays as it is.
func expiryDate(s string, now time.Time) string {
	if m := daysText.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return now.AddDate(0, 0, n).Format("2006-01-02")
	}
	return s
}
