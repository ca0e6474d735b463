package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/telemetry"
)

// newTelemetry makes the operators' metrics and, when PORTAL_METRICS_ADDR
// is set, opens their listener now, so that an address in use stops the
// portal at start rather than later.
func (a *App) newTelemetry() error {
	cfg := a.Config
	var upstreams []string
	for u, on := range map[string]bool{portal.UpstreamOBI: cfg.OBI.Configured(), portal.UpstreamArgo: cfg.Argo.Configured(),
		portal.UpstreamAMIE: cfg.AMIE.Configured(), portal.UpstreamVergeOS: cfg.VergeOS.Configured()} {
		if on {
			upstreams = append(upstreams, u)
		}
	}
	slices.Sort(upstreams)
	a.Telemetry = telemetry.New(a.DB, upstreams, a.Config.DBPath, a.now)
	if a.Config.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("app: metrics listener (PORTAL_METRICS_ADDR): %w", err)
	}
	a.metricsLn = ln
	return nil
}

// MetricsAddr is the address the operators' metrics are served on ("": off).
func (a *App) MetricsAddr() string {
	if a.metricsLn == nil {
		return ""
	}
	return a.metricsLn.Addr().String()
}

// serveTelemetry serves the metrics until ctx ends.
func (a *App) serveTelemetry(ctx context.Context, wg *sync.WaitGroup) {
	if a.metricsLn == nil {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.Telemetry.Serve(ctx, a.metricsLn, a.Log); err != nil {
			a.Log.Error("metrics listener stopped", slog.Any("error", err))
		}
	}()
}
