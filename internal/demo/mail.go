package demo

import (
	"context"
	"log/slog"
	"time"

	"github.com/accounting-portal/portal/internal/app"
	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/mailcatch"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// MailFrom is the demo's sender address.
const MailFrom = "Accounting portal demo <portal@demo.example.org>"

// MailEnv points the portal at the demo's SMTP catcher. The digests go
// out at the default hour; SeedNotifications mails the first at once.
func MailEnv(env map[string]string, c *mailcatch.Catcher) {
	env["PORTAL_SMTP_URL"], env["PORTAL_MAIL_FROM"] = c.URL(), MailFrom
}

// SeedNotifications gives a fresh demo what its mail shows: a pending
// top-up the manager asked for (the admins hear of it in a digest mailed
// at once), and one an admin
// approved for less than was asked, with a note (the manager hears of
// the decision and of OBI applying it). Once the ledger holds this
// month's spend, brain-atlas gets a monthly budget 85% spent, so its
// managers hear of a threshold crossed. An existing demo is left as it is.
// The demo's people must be known first (RememberPeople), so they have
// addresses.
func SeedNotifications(ctx context.Context, a *app.App, w *world.World, log *slog.Logger) error {
	reqs, total, err := a.DB.ListBudgetRequests(ctx, budgets.RequestFilter{Limit: 1})
	if err != nil || total > 0 || len(reqs) > 0 {
		return err
	}
	p := w.Projects[0]
	if _, err := a.DB.CreateBudgetRequest(ctx, budgets.NewRequest{Kind: budgets.TopUp, VlabID: p.VlabID, Amount: decimal.MustParse("2500"),
		Justification: "New simulation campaign from January: 40 more runs of the cortex model.", Actor: "demo-manager", ActorName: "Max Manager"}); err != nil {
		return err
	}
	id, err := a.DB.CreateBudgetRequest(ctx, budgets.NewRequest{Kind: budgets.Assign, VlabID: p.VlabID, ProjID: p.OBIID, ProjectKey: p.Key,
		Amount: decimal.MustParse("1500"), Justification: "Calibration runs for the conference deadline.", Actor: "demo-manager", ActorName: "Max Manager"})
	if err != nil {
		return err
	}
	if _, err := a.DB.ApproveBudgetRequestWith(ctx, id, budgets.Approval{Actor: "demo-admin", ActorName: "Ada Admin",
		Amount: decimal.MustParse("1000"), Note: "1000 now; ask again in January for the rest."}); err != nil {
		return err
	}
	// A digest goes out at the digest hour after its notifications
	// arrive; a fresh demo shows the admins' first one at once.
	a.MailDigestsNow(ctx)
	a.Outbox.Notify()
	go budgetAt85(ctx, a, w.Projects[1].Key, log)
	return nil
}

// budgetAt85 waits until every upstream has synced (so the ledger holds
// this month's spend from each), then sets project key's monthly budget
// so that 85% of it is spent: the next sync's thresholds cross 80%.
func budgetAt85(ctx context.Context, a *app.App, key string, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Second):
		}
		st, err := a.DB.SourceStatuses(ctx, portal.Upstreams)
		if err != nil {
			return
		}
		synced := true
		for _, s := range st {
			synced = synced && s.LastSuccess != nil
		}
		if !synced {
			continue
		}
		now := time.Now()
		month := costs.PeriodOf(costs.PeriodMonth, now)
		spent, _, err := a.DB.SpentBetween(ctx, key, month.Start, month.End())
		if err != nil || spent.Sign() <= 0 {
			return
		}
		amount, err := spent.DivRound(decimal.MustParse("0.85"), 2)
		if err != nil {
			return
		}
		if err := a.DB.SetBudget(ctx, costs.Budget{Project: key, Period: month, Amount: amount, Note: "demo: 85% spent when the demo started",
			SetBy: "demo-admin", SetByName: "Ada Admin"}); err != nil {
			log.Warn("demo budget", slog.Any("error", err))
		}
		return
	}
}
