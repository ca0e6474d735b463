// Package app assembles the portal from its configuration: the cache, the
// project catalogue, sign-in, the web handlers, the sync scheduler and the
// outbox dispatcher, and runs them until asked to stop. `portal serve`,
// `portal demo` and the integration tests all start the portal through it.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/auth"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/certpool"
	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/handlers"
	"github.com/accounting-portal/portal/internal/mailcatch"
	"github.com/accounting-portal/portal/internal/outbox"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/syncer"
	"github.com/accounting-portal/portal/internal/telemetry"
)

// Options are what the configuration does not say.
type Options struct {
	Logger *slog.Logger
	// OIDCClient talks to the identity provider (nil: http.DefaultClient).
	OIDCClient *http.Client
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// LoginSlowdown replaces the wait imposed on an address after failed
	// sign-ins (nil: a real wait). Tests that fail many sign-ins on purpose
	// set a no-op.
	LoginSlowdown func(ctx context.Context, d time.Duration)
	// DemoMail is the demo's SMTP catcher, whose messages /demo/mail
	// shows (nil: the page does not exist).
	DemoMail *mailcatch.Catcher
}

// App is an assembled portal.
type App struct {
	Config  *config.Config
	Log     *slog.Logger
	DB      *cache.DB
	Auth    *auth.Auth
	Handler *handlers.Handler
	Echo    *echo.Echo
	Sync    *syncer.Scheduler
	Outbox  *outbox.Dispatcher
	now     func() time.Time

	// deliverers are the outbox deliverers of the configured upstreams,
	// which wireUpstreams builds for the outbox table.
	deliverers outbox.Deliverers

	// notifier plans notification mail; demoMail is the demo's catcher.
	notifier *notifier
	demoMail *mailcatch.Catcher

	// catalog is the projects file, reloaded on SIGHUP and when it changes.
	catalog *config.CatalogFile
	// cert is the certificate served when the portal serves HTTPS itself,
	// swapped on SIGHUP.
	cert atomic.Pointer[tls.Certificate]
	// upstreamClients are the HTTP clients of the upstreams, whose idle
	// connections are closed when the portal stops.
	upstreamClients []*http.Client

	// Telemetry is the operators' metrics, served on metricsLn when
	// PORTAL_METRICS_ADDR is set (telemetry.go).
	Telemetry *telemetry.Telemetry
	metricsLn net.Listener
}

// Catalog returns the project catalogue in use.
func (a *App) Catalog() *portal.Catalog { return a.catalog.Current().Catalog }

// CatalogStatus returns the catalogue in use with where it came from, and
// the last refusal of the projects file.
func (a *App) CatalogStatus() config.CatalogStatus { return a.catalog.Status() }

// New opens the database, loads the catalogue, discovers the identity
// provider and builds the handlers. Nothing runs until Run.
func New(ctx context.Context, cfg *config.Config, opts Options) (*App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	catalog, err := config.OpenCatalogFile(cfg.ProjectsFile, now())
	if err != nil {
		return nil, err
	}
	var cert *tls.Certificate
	if cfg.TLS.Enabled() {
		if cert, err = cfg.TLS.LoadCertificate(); err != nil {
			return nil, err
		}
	}
	db, err := cache.Open(ctx, cfg.DBPath)
	if err != nil {
		return nil, err
	}
	db.Now = now
	a := &App{Config: cfg, Log: log, DB: db, catalog: catalog, now: now, demoMail: opts.DemoMail}
	a.cert.Store(cert)
	if err := a.build(ctx, opts); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context, opts Options) error {
	cfg := a.Config
	if err := a.DB.ReplaceCatalog(ctx, a.Catalog()); err != nil {
		return err
	}
	if err := a.DB.AbandonSyncRuns(ctx); err != nil {
		return err
	}
	if err := a.newTelemetry(); err != nil {
		return err
	}
	manager, _ := config.CompilePattern(cfg.OIDC.ManagerPattern)
	member, _ := config.CompilePattern(cfg.OIDC.MemberPattern)
	var err error
	a.Auth, err = auth.New(ctx, auth.Config{
		Issuer: cfg.OIDC.Issuer, ClientID: cfg.OIDC.ClientID, ClientSecret: cfg.OIDC.ClientSecret, Scopes: cfg.OIDC.Scopes,
		PublicURL: cfg.PublicURL, Idle: cfg.Sessions.Idle, MaxAge: cfg.Sessions.Absolute, Secure: cfg.Secure(),
		HTTPClient: opts.OIDCClient, Now: a.now, Slowdown: opts.LoginSlowdown, TrustedProxies: cfg.TrustedProxies, SignInFailed: a.Telemetry.SignInFailed,
		Roles: auth.RoleMapping{RolesClaim: cfg.OIDC.RolesClaim, NameClaim: cfg.OIDC.NameClaim, AdminGroups: cfg.OIDC.AdminGroups, Manager: manager, Member: member},
	}, a.DB, a.Log)
	if err != nil {
		return err
	}
	a.Sync = syncer.New(a.Telemetry.Recorder(a.DB), a.Log)
	a.Sync.Now = a.now
	if err := a.wireUpstreams(); err != nil {
		return err
	}
	if err := a.wireMail(); err != nil {
		return err
	}
	if err := a.newOutbox(); err != nil {
		return err
	}
	a.Handler, err = handlers.New(a.handlerDeps())
	if err != nil {
		return err
	}
	a.Echo = a.Handler.Echo()
	return nil
}

func (a *App) handlerDeps() handlers.Deps {
	d := a.coreDeps()
	a.notifyDeps(&d)
	return d
}

func (a *App) coreDeps() handlers.Deps {
	cfg := a.Config
	return handlers.Deps{
		Logger: a.Log, Store: a.DB, Auth: a.Auth, Sync: a.Sync, Outbox: a.Outbox,
		Budgets: a.DB, Metrics: a.DB, Usage: a.usageStore(), Billing: a.DB,
		Issuer: cfg.OIDC.Issuer, Secure: cfg.Secure(), Now: a.now, ProjectsFile: a.CatalogStatus,
		AllowSelfApproval: !cfg.FourEyes,
		ConfirmOlderThan:  cfg.ConfirmOlderThan,
		Costs:             a.DB,
		Tokens:            a.DB,
		Observe:           a.Telemetry.ObserveHTTP,
		CostSettings: handlers.CostSettings{Base: cfg.Costs.BaseCurrency, WarnPercent: cfg.Costs.WarnPercent,
			TolerancePercent: cfg.Costs.TolerancePercent},
		Sources: []handlers.Source{
			{Upstream: portal.UpstreamOBI, Configured: cfg.OBI.Configured(), Interval: cfg.OBI.Interval},
			{Upstream: portal.UpstreamArgo, Configured: cfg.Argo.Configured(), Interval: cfg.Argo.Interval},
			{Upstream: portal.UpstreamAMIE, Configured: cfg.AMIE.Configured(), Interval: cfg.AMIE.Interval},
			{Upstream: portal.UpstreamVergeOS, Configured: cfg.VergeOS.Configured(), Interval: cfg.VergeOS.Interval},
		},
	}
}

// Run serves on ln (over TLS when the configuration names a certificate)
// and runs the background work until ctx ends, then shuts down: requests
// in flight finish (up to 15 seconds) while idle connections are closed at
// once, a sync in progress is cancelled (and recorded like any failed
// run), the dispatcher stops (a delivery in flight is cut off and its item
// stays marked as sending, so the next start looks it up or leaves it to
// an admin, never sending it twice), and the database is closed. With
// nothing in flight this takes milliseconds: nothing waits for a timer.
func (a *App) Run(ctx context.Context, ln net.Listener) error {
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	a.Sync.Start(bg)
	wg.Add(4)
	go func() {
		defer wg.Done()
		a.notifier.run(bg)
	}()
	go func() {
		defer wg.Done()
		if err := a.Outbox.Run(bg); err != nil {
			a.Log.Error("outbox stopped", slog.Any("error", err))
		}
	}()
	go func() {
		defer wg.Done()
		a.housekeeping(bg)
	}()
	go func() {
		defer wg.Done()
		a.watchCatalog(bg)
	}()
	a.serveTelemetry(bg, &wg)

	if a.cert.Load() != nil {
		ln = tls.NewListener(ln, a.serverTLS())
	}
	srv := &http.Server{Handler: a.Echo, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute,
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	serveErr := serveHTTP(ctx, srv, ln, 15*time.Second)
	stop()
	a.Sync.Wait()
	wg.Wait()
	// The upstream clients' idle keep-alive connections would otherwise stay
	// open until the process exits; an upstream in the same process (the
	// demo's simulators) would wait a second for each HTTP/2 one to close.
	for _, c := range a.upstreamClients {
		c.CloseIdleConnections()
	}
	closeErr := a.DB.Close()
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	return errors.Join(serveErr, closeErr)
}

// serverTLS is the TLS configuration of direct HTTPS. The certificate is
// looked up per handshake, so a reload swaps it for new connections.
func (a *App) serverTLS() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return a.cert.Load(), nil
		},
	}
}

// Close releases an App that was built but never Run.
func (a *App) Close() error {
	if a.metricsLn != nil {
		a.metricsLn.Close()
	}
	return a.DB.Close()
}

// housekeeping removes ended sessions and thins old balance snapshots.
func (a *App) housekeeping(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if err := a.DB.DeleteExpired(ctx, a.Config.Sessions.Idle); err != nil && ctx.Err() == nil {
			a.Log.Warn("housekeeping", slog.Any("error", err))
		}
		if n, err := a.DB.ThinBalanceSnapshots(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("housekeeping", slog.Any("error", err))
		} else if n > 0 {
			a.Log.Info("thinned old balance snapshots", slog.Int64("removed", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// upstreamHTTPClient returns a client of its own (so the portal can close
// its connections when it stops) that trusts the system roots plus the CA
// in caFile, if one is given.
func (a *App) upstreamHTTPClient(caFile string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	c := &http.Client{Transport: tr}
	if caFile == "" {
		a.upstreamClients = append(a.upstreamClients, c)
		return c, nil
	}
	pool, err := certpool.WithCA(caFile)
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	a.upstreamClients = append(a.upstreamClients, c)
	return c, nil
}
