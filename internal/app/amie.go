package app

import (
	"log/slog"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/amie"
	"github.com/accounting-portal/portal/internal/handlers"
	"github.com/accounting-portal/portal/internal/outbox"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/syncer"
)

// amieReadRetries is how often a read of AMIE is tried again after a
// failure with no effect (writes are never retried by the client).
const amieReadRetries = 2

// uploadSyncDelay is how long after an upload's request was delivered the
// AMIE sync runs: AMIE processes records a little after it queues them
// (the simulator after 5 seconds), so a sync at once would not see them
// yet. Each delivery restarts the wait, so an upload of many requests is
// followed by one sync.
const uploadSyncDelay = 10 * time.Second

// wireAMIE builds the AMIE Usage API client, its sync job and its outbox deliverers
// when the upstream is configured.
func (a *App) wireAMIE() error {
	if !a.Config.AMIE.Configured() {
		return nil
	}
	c, err := a.amieClient()
	if err != nil {
		return err
	}
	a.Sync.Add(a.withLedger(syncer.AMIEJob(c, a.DB, a.Config.AMIE.Interval, syncer.AMIEOptions{Now: a.now}), nil))
	syncNow := func() {
		if err := a.Sync.Trigger(portal.UpstreamAMIE); err != nil {
			a.Log.Warn("AMIE sync after a delivery", slog.Any("error", err))
		}
	}
	later := &amieDebounce{wait: uploadSyncDelay, fn: syncNow}
	a.deliverers.AMIEUsage = &outbox.AMIEUsage{Client: c, Store: a.DB, AfterDelivery: later.fire}
	// A confirmed clear is already processed upstream: sync at once.
	a.deliverers.AMIEClear = &outbox.AMIEClear{Client: c, AfterDelivery: syncNow}
	return nil
}

// amieClient builds the AMIE client from the configuration.
func (a *App) amieClient() (*amie.Client, error) {
	hc, err := a.upstreamHTTPClient("")
	if err != nil {
		return nil, err
	}
	cfg := a.Config
	return amie.New(amie.Config{BaseURL: cfg.AMIE.URL, Site: cfg.AMIE.Site, APIKey: cfg.AMIE.APIKey, Timeout: cfg.UpstreamTimeout,
		Retries: amieReadRetries, HTTPClient: hc, Logger: a.Log, Debug: cfg.UpstreamDebug})
}

// usageStore is the usage pages' store: the cache, plus the AMIE client's
// planning of requests, which an upload uses to store the exact requests
// it will send (the handlers never hold a client).
type usageStore struct {
	*cache.DB
	outbox.AMIEPlanner
}

// usageStore returns the usage pages' store. Without AMIE configured the
// planner refuses, and the upload form says why.
func (a *App) usageStore() handlers.UsageStore {
	s := usageStore{DB: a.DB}
	if a.Config.AMIE.Configured() {
		// Building the client again is cheap; planning only uses its limits.
		if c, err := a.amieClient(); err == nil {
			s.AMIEPlanner.Client = c
		}
	}
	return s
}

// amieDebounce calls fn once, wait after the last of a burst of fire calls.
type amieDebounce struct {
	wait time.Duration
	fn   func()
	mu   sync.Mutex
	t    *time.Timer
}

func (d *amieDebounce) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.t != nil {
		d.t.Stop()
	}
	d.t = time.AfterFunc(d.wait, d.fn)
}
