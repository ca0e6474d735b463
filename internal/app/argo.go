package app

// wireArgo builds the ARGO Accounting client, its sync job and its outbox deliverers
// when the upstream is configured.
func (a *App) wireArgo() error {
	if !a.Config.Argo.Configured() {
		return nil
	}
	return nil
}
