package app

// wireUpstreams builds a client for each configured upstream, adds its
// sync job and builds its outbox deliverers (a.deliverers).
func (a *App) wireUpstreams() error {
	for _, wire := range []func() error{a.wireOBI, a.wireArgo, a.wireAMIE, a.wireVergeOS} {
		if err := wire(); err != nil {
			return err
		}
	}
	return nil
}
