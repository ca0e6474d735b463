package app

import (
	"fmt"
	"log/slog"

	"github.com/accounting-portal/portal/internal/clients/obi"
	"github.com/accounting-portal/portal/internal/outbox"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/syncer"
)

// wireOBI builds the OBI accounting client, its sync job (which reads the
// virtual labs and projects the catalogue names) and the deliverer of
// approved budget requests, when the upstream is configured.
func (a *App) wireOBI() error {
	cfg := a.Config.OBI
	if !cfg.Configured() {
		return nil
	}
	hc, err := a.upstreamHTTPClient("")
	if err != nil {
		return err
	}
	client, err := obi.New(obi.Config{BaseURL: cfg.URL, Token: cfg.Token, Timeout: a.Config.UpstreamTimeout, Retries: 2,
		HTTPClient: hc, Logger: a.Log, Debug: a.Config.UpstreamDebug})
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	a.Sync.Add(a.withLedger(syncer.OBISyncJob(client, a.DB, syncer.OBIOptions{Interval: cfg.Interval, Now: a.now, Log: a.Log}), nil))
	a.deliverers.OBIBudget = outbox.OBIBudget{Client: client, Now: a.now, OnApplied: func() {
		// The new balances show after the next sync: run it now.
		if err := a.Sync.Trigger(portal.UpstreamOBI); err != nil {
			a.Log.Warn("OBI sync after a budget change", slog.Any("error", err))
		}
	}}
	return nil
}
