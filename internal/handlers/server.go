package handlers

import (
	"compress/gzip"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/accounting-portal/portal/internal/auth"
	"github.com/accounting-portal/portal/web/static"
)

// Body limits: forms are small; usage-record uploads may be large.
const (
	FormBodyLimit   = "1M"
	UploadBodyLimit = "64M"
)

// uploadPaths are the routes that accept large bodies.
var uploadPaths = []string{"/usage/upload", APIBase + "/usage/uploads"}

// Echo builds the web server: middleware, error handler and every route.
func (h *Handler) Echo() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = h.handleError
	// The client's address (request log, sign-in limits): the peer's, or
	// behind a trusted proxy the one it forwarded (PORTAL_TRUSTED_PROXIES).
	e.IPExtractor = func(r *http.Request) string {
		a, _ := h.Auth.ClientAddr(r)
		return a.String()
	}
	e.Use(
		middleware.RecoverWithConfig(middleware.RecoverConfig{LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			h.Logger.Error("panic", slog.Any("error", err), slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)), slog.String("stack", string(stack)))
			return err
		}}),
		middleware.RequestID(),
		h.requestLog(),
		h.securityHeaders(),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: FormBodyLimit, Skipper: func(c echo.Context) bool {
			return isUpload(c.Request().URL.Path)
		}}),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: UploadBodyLimit, Skipper: func(c echo.Context) bool {
			return !isUpload(c.Request().URL.Path)
		}}),
		middleware.GzipWithConfig(middleware.GzipConfig{Skipper: func(c echo.Context) bool {
			return strings.HasPrefix(c.Request().URL.Path, "/static/img/") || isCSVDownload(c)
		}}),
		// CSV downloads run to megabytes: at the default level, compressing
		// one took as long as reading its rows from SQLite; the fastest
		// level takes a fraction of that for a slightly larger transfer.
		middleware.GzipWithConfig(middleware.GzipConfig{Level: gzip.BestSpeed, Skipper: func(c echo.Context) bool {
			return !isCSVDownload(c)
		}}),
		h.Auth.Sessions(),
		auth.CSRF(),
		h.apiAuth(),
	)
	h.add(e, "GET", "/static/*", echo.WrapHandler(static.Handler()), Public)
	h.add(e, "GET", "/favicon.ico", func(c echo.Context) error {
		return c.Redirect(http.StatusMovedPermanently, static.URL("img/favicon.svg"))
	}, Public)
	for _, r := range h.Auth.Routes() {
		a := Public
		if r.SignedIn {
			a = Member
		}
		h.add(e, r.Method, r.Path, r.Handler, a)
	}
	h.registerCore(e)
	h.registerBudgets(e)
	h.registerMetrics(e)
	h.registerUsage(e)
	h.registerBilling(e)
	h.registerCosts(e)
	h.registerTokens(e)
	h.registerAPI(e)
	h.registerNotify(e)
	return e
}

func isUpload(path string) bool {
	for _, p := range uploadPaths {
		if path == p {
			return true
		}
	}
	return false
}

// requestLog logs one line per request with log/slog.
func (h *Handler) requestLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogRemoteIP: true, LogError: true,
		HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			} else if v.Status >= 400 {
				level = slog.LevelWarn
			}
			attrs := []slog.Attr{slog.String("method", v.Method), slog.String("uri", v.URI), slog.Int("status", v.Status),
				slog.Duration("took", v.Latency), slog.String("request_id", v.RequestID), slog.String("client", v.RemoteIP)}
			if u := user(c); u.Subject != "" {
				attrs = append(attrs, slog.String("subject", u.Subject))
			}
			h.Logger.LogAttrs(c.Request().Context(), level, "request", attrs...)
			if h.Observe != nil {
				h.Observe(c.Path(), v.Method, v.Status, v.Latency)
			}
			return nil
		},
	})
}

// securityHeaders sets a strict Content-Security-Policy (no inline script
// or style anywhere in the portal) and the other protective headers on
// every response.
func (h *Handler) securityHeaders() echo.MiddlewareFunc {
	formAction := "'self'"
	if u, err := url.Parse(h.Issuer); err == nil && u.Host != "" {
		// Sign-out posts to the portal, which redirects to the provider.
		formAction += " " + u.Scheme + "://" + u.Host
	}
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
		"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action " + formAction
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			hd := c.Response().Header()
			hd.Set("Content-Security-Policy", csp)
			hd.Set("X-Content-Type-Options", "nosniff")
			hd.Set("X-Frame-Options", "DENY")
			hd.Set("Referrer-Policy", "same-origin")
			hd.Set("Cross-Origin-Opener-Policy", "same-origin")
			hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			hd.Set("Cache-Control", "no-store")
			if h.Secure {
				hd.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			}
			return next(c)
		}
	}
}

// registerCore mounts the pages of the portal's core.
func (h *Handler) registerCore(e *echo.Echo) {
	h.add(e, "GET", "/healthz", h.handleHealthz, Public)
	h.add(e, "GET", "/readyz", h.handleReadyz, Public)
	h.add(e, "GET", "/auth/signed-out", h.handleSignedOut, Public)
	h.add(e, "GET", "/", h.handleHome, Member)
	h.add(e, "GET", "/sources", h.handleSources, Admin)
	h.add(e, "GET", "/sources.csv", h.handleSourcesCSV, Admin)
	h.add(e, "POST", "/sources/:upstream/sync", h.handleSyncNow, Admin)
	h.add(e, "GET", "/outbox", h.handleOutboxList, Admin)
	h.add(e, "GET", "/outbox.csv", h.handleOutboxList, Admin)
	h.add(e, "GET", "/outbox/:id", h.handleOutboxItem, Admin)
	h.add(e, "POST", "/outbox/:id/resolve", h.handleOutboxResolve, Admin)
	h.add(e, "POST", "/outbox/:id/requeue", h.handleOutboxRequeue, Admin)
}

func (h *Handler) handleHealthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// handleReadyz answers 200 when the database answers and holds exactly the
// migrations this binary ships, 503 otherwise.
func (h *Handler) handleReadyz(c echo.Context) error {
	ctx := c.Request().Context()
	if err := h.Store.Ping(ctx); err != nil {
		h.Logger.Error("not ready", slog.Any("error", err))
		return c.String(http.StatusServiceUnavailable, "database not answering\n")
	}
	if err := h.Store.SchemaCurrent(ctx); err != nil {
		h.Logger.Error("not ready", slog.Any("error", err))
		return c.String(http.StatusServiceUnavailable, "database schema does not match this portal\n")
	}
	return c.String(http.StatusOK, "ready\n")
}

// nowUTC is the handler clock in UTC.
func (h *Handler) nowUTC() time.Time { return h.Now().UTC() }
