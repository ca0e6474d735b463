package app_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/demo"
)

// TestDemo_SeedMailsTheFirstDigestAtOnce: a digest waits for the digest
// hour, but a fresh demo mails the admins' first one as soon as it has
// seeded the request they hear of, so /demo/mail shows one.
func TestDemo_SeedMailsTheFirstDigestAtOnce(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{"obi"}})
	ctx := context.Background()
	if err := demo.RememberPeople(ctx, p.App, p.Sims.World); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedNotifications(ctx, p.App, p.Sims.World, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	apptest.Eventually(t, 30*time.Second, "the admins' first digest in the demo's mail", func() bool {
		for _, m := range p.Mail.Messages() {
			if slices.Contains(m.To, adaAddr) && strings.HasPrefix(m.Subject, "Accounting portal digest of ") &&
				strings.Contains(m.Text, "Max Manager") {
				return true
			}
		}
		return false
	})
}
