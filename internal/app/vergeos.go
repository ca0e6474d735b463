package app

import (
	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/outbox"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/syncer"
)

// wireVergeOS builds the VergeOS billing client, its sync job and its outbox deliverers
// when the upstream is configured.
func (a *App) wireVergeOS() error {
	cfg := a.Config.VergeOS
	if !cfg.Configured() {
		return nil
	}
	hc, err := a.upstreamHTTPClient(cfg.CAFile)
	if err != nil {
		return err
	}
	client, err := vergeos.New(vergeos.Config{
		BaseURL: cfg.URL, User: cfg.User, Password: cfg.Password, APIKey: cfg.APIKey,
		// The largest page VergeOS allows: the first sync of a long history
		// then costs the fewest of the 1000 requests per hour a key may make.
		PageSize: vergeos.MaxPageSize, Timeout: a.Config.UpstreamTimeout, Retries: vergeos.DefaultRetries,
		HTTPClient: hc, Logger: a.Log, Debug: a.Config.UpstreamDebug,
	})
	if err != nil {
		return err
	}
	// The catalogued tenants' usage is read in the same run, then the ledger.
	a.Sync.Add(a.withLedger(syncer.VergeOSJob(client, a.DB, cfg.Interval), client))
	a.deliverers.VergeOSGenerate = &outbox.VergeOSGenerate{Client: client, OnDelivered: func() {
		// A new record exists upstream now: fetch it rather than wait for the schedule.
		a.Sync.Trigger(portal.UpstreamVergeOS)
	}}
	return nil
}
