package app

// wireUpstreams builds a client for each configured upstream and registers
// its sync job and its outbox deliverers.
func (a *App) wireUpstreams() error {
	for _, wire := range []func() error{a.wireOBI, a.wireArgo, a.wireAMIE, a.wireVergeOS} {
		if err := wire(); err != nil {
			return err
		}
	}
	return nil
}
