package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/accounting-portal/portal/internal/syncer"
)

// withLedger returns j followed, in the same run, by the ledger's
// maintenance for j's upstream: once the upstream's sync has committed,
// the ledger lines of the days it can have changed are recomputed and
// priced. tenants, for VergeOS, also reads the catalogued tenants' usage
// first (its oldest new sample tells the ledger where to start).
func (a *App) withLedger(j syncer.Job, tenants syncer.TenantSource) syncer.Job {
	return syncer.Then(j, func(ctx context.Context) (int64, error) {
		var hint time.Time
		var rows int64
		var errs []error
		if tenants != nil {
			n, earliest, err := syncer.SyncVergeOSTenants(ctx, tenants, a.DB, a.now())
			rows += n
			if earliest > 0 {
				hint = time.Unix(earliest, 0)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		start := time.Now()
		up, err := a.DB.MaintainLedger(ctx, j.Upstream, a.Config.Costs.BaseCurrency, hint)
		if err != nil {
			errs = append(errs, err)
		} else if !up.Skipped {
			a.Log.Info("ledger maintained", slog.String("source", up.Source), slog.Bool("full", up.From.IsZero()),
				slog.Int64("written", up.Written), slog.Int64("removed", up.Removed), slog.Int("usage_lines", up.Examined),
				slog.Duration("took", time.Since(start)))
		}
		return rows, errors.Join(errs...)
	})
}
