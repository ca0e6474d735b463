package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/accounting-portal/portal/internal/app"
	"github.com/accounting-portal/portal/internal/config"
)

// serve runs the portal as configured until ctx ends.
func serve(ctx context.Context, cfg *config.Config, logw io.Writer) error {
	log := newLogger(logw, cfg.LogLevel, cfg.LogFormat)
	a, err := app.New(ctx, cfg, app.Options{Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		a.Close()
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	log.Info("accounting portal listening", slog.String("addr", ln.Addr().String()), slog.String("public_url", cfg.PublicURL))
	return a.Run(ctx, ln)
}
