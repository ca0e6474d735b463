package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/portal"
)

// Reload re-reads what changes without a restart: the projects file and,
// when the portal serves HTTPS itself, its certificate. `portal serve`
// calls it on SIGHUP. Whatever fails to load is refused and the version in
// use stays.
func (a *App) Reload(ctx context.Context, trigger string) error {
	return errors.Join(a.ReloadCatalog(ctx, trigger), a.reloadCertificate())
}

// ReloadCatalog loads the projects file if it changed. The new catalogue
// is checked whole and stored in one transaction before it is put in use,
// so a page sees the old catalogue or the new one, never a mix; a file
// that fails its checks leaves the old one in use and is reported on the
// data-sources page.
func (a *App) ReloadCatalog(ctx context.Context, trigger string) error {
	lc, changed, err := a.catalog.Reload(a.now(), func(lc *config.LoadedCatalog) error {
		return a.DB.ReplaceCatalog(ctx, lc.Catalog)
	})
	if err != nil {
		a.Log.Error("projects file refused; the catalogue in use stays", slog.String("trigger", trigger), slog.Any("error", err))
		return err
	}
	a.Log.Info("projects file loaded", slog.String("trigger", trigger), slog.Bool("changed", changed),
		slog.Int("projects", len(lc.Catalog.Projects)), slog.Int("virtual_labs", len(lc.Catalog.VirtualLabs)), slog.String("sha256", short(lc.SHA256)))
	if changed && a.Config.OBI.Configured() {
		// Balances of newly listed labs and projects come with the next OBI
		// sync: run it now.
		if err := a.Sync.Trigger(portal.UpstreamOBI); err != nil {
			a.Log.Warn("OBI sync after a catalogue change", slog.Any("error", err))
		}
	}
	return nil
}

// reloadCertificate swaps in the certificate files' current contents, so a
// renewed certificate is served without a restart.
func (a *App) reloadCertificate() error {
	if !a.Config.TLS.Enabled() {
		return nil
	}
	cert, err := a.Config.TLS.LoadCertificate()
	if err != nil {
		a.Log.Error("TLS certificate refused; the one in use stays", slog.Any("error", err))
		return err
	}
	a.cert.Store(cert)
	a.Log.Info("TLS certificate loaded", slog.String("file", a.Config.TLS.CertFile))
	return nil
}

// watchCatalog looks at the projects file every PORTAL_PROJECTS_POLL and
// reloads it when it changed, until ctx ends.
func (a *App) watchCatalog(ctx context.Context) {
	every := a.Config.ProjectsPoll
	if every <= 0 || a.catalog.Path() == "" {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if a.catalog.Changed() {
			a.ReloadCatalog(ctx, "file changed")
		}
	}
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
