package app

// wireAMIE builds the AMIE Usage API client, its sync job and its outbox deliverers
// when the upstream is configured.
func (a *App) wireAMIE() error {
	if !a.Config.AMIE.Configured() {
		return nil
	}
	return nil
}
