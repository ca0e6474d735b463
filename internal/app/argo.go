package app

import (
	"fmt"

	"github.com/accounting-portal/portal/internal/clients/argo"
	"github.com/accounting-portal/portal/internal/outbox"
	"github.com/accounting-portal/portal/internal/syncer"
)

// wireArgo builds the ARGO Accounting client, its sync job and its outbox
// deliverer when the upstream is configured.
func (a *App) wireArgo() error {
	cfg := a.Config.Argo
	if !cfg.Configured() {
		return nil
	}
	hc, err := a.upstreamHTTPClient(cfg.CAFile)
	if err != nil {
		return fmt.Errorf("app: ARGO: %w", err)
	}
	client, err := argo.New(argo.Config{BaseURL: cfg.URL, Token: cfg.Token, Timeout: a.Config.UpstreamTimeout, Retries: 2,
		HTTPClient: hc, Logger: a.Log, Debug: a.Config.UpstreamDebug})
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	a.Sync.Add(a.withLedger(syncer.ArgoJob(client, a.DB, syncer.ArgoOptions{Interval: cfg.Interval, Now: a.now, Log: a.Log}), nil))
	a.deliverers.ARGOMetric = outbox.ArgoMetric{Client: client}
	return nil
}
