package app

import "github.com/accounting-portal/portal/internal/outbox"

// newOutbox builds the dispatcher from the outbox table (outbox.Table):
// the deliverers of the configured upstreams, and the cache's settlers,
// which the dispatcher gives to the database. An admin's actions on
// outbox items go through the database and so reach the same settlers.
func (a *App) newOutbox() error {
	d, err := outbox.New(a.DB, a.Log, outbox.Table(a.DB, a.deliverers))
	if err != nil {
		return err
	}
	d.Now = a.now
	a.Outbox = d
	return nil
}
