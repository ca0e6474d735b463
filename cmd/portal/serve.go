package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/accounting-portal/portal/internal/app"
	"github.com/accounting-portal/portal/internal/config"
)

// serve runs the portal as configured until ctx ends.
func serve(ctx context.Context, cfg *config.Config, logw io.Writer) error {
	log := newLogger(logw, cfg.LogLevel, cfg.LogFormat)
	// Listen for SIGHUP before anything else, so a reload asked for while
	// the portal starts is carried out once it runs rather than ending it.
	hup := notifyHUP()
	defer signal.Stop(hup)
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		a.Close()
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	scheme := "http"
	if cfg.TLS.Enabled() {
		scheme = "https"
	}
	log.Info("accounting portal listening", slog.String("addr", ln.Addr().String()), slog.String("scheme", scheme), slog.String("public_url", cfg.PublicURL))
	hupCtx, stopHUP := context.WithCancel(ctx)
	defer stopHUP()
	go reloadOnHUP(hupCtx, hup, a)
	return a.Run(ctx, ln)
}

// notifyHUP starts catching SIGHUP.
func notifyHUP() chan os.Signal {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return hup
}

// reloadOnHUP reloads the projects file and the TLS certificate on every
// SIGHUP (systemctl reload) until ctx ends.
func reloadOnHUP(ctx context.Context, hup <-chan os.Signal, a *app.App) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			// A refusal is logged and shown on the data-sources page.
			a.Reload(ctx, "SIGHUP")
		}
	}
}
