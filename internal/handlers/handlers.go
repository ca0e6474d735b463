// Package handlers is the portal's web layer: Echo handlers that read the
// request, ask the cache, build a view model and render a templ page (or
// its CSV twin). Handlers never call an upstream: reads come from the
// cache, writes go to the outbox.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/auth"
	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
	"github.com/accounting-portal/portal/web/templates"
)

// Store is what the core pages need from the cache.
type Store interface {
	Ping(ctx context.Context) error
	SchemaCurrent(ctx context.Context) error
	SourceStatuses(ctx context.Context, upstreams []string) (map[string]portal.SourceStatus, error)
	RecentSyncRuns(ctx context.Context, upstream string, limit int) ([]portal.SyncRun, error)
	CachedRowCounts(ctx context.Context, upstream string) ([]portal.RowCount, error)
	ProjectNames(ctx context.Context, keys []string) (map[string]string, error)
	TakeFlash(ctx context.Context, token string) (string, error)
	SetFlash(ctx context.Context, token, msg string) error
	ListOutbox(ctx context.Context, f portal.OutboxFilter) ([]portal.OutboxItem, int, error)
	OutboxItemByID(ctx context.Context, id int64) (*portal.OutboxItem, error)
	OutboxAttempts(ctx context.Context, id int64) ([]portal.OutboxAttempt, error)
	OutboxCounts(ctx context.Context) (map[string]int, error)
	AuditTrail(ctx context.Context, subjects ...string) ([]portal.AuditEntry, error)
	SettleOutbox(ctx context.Context, id int64, from []string, o portal.OutboxOutcome) (*portal.OutboxItem, error)
	RequeueOutbox(ctx context.Context, id int64, actor, actorName string) error
	RecordAudit(ctx context.Context, e portal.AuditEntry) error
	LatestAudit(ctx context.Context, subject string, limit int) ([]portal.AuditEntry, error)
}

// SyncControl is the scheduler, as the data-sources page sees it.
type SyncControl interface {
	NextRun(upstream string) time.Time
	Running(upstream string) bool
	Trigger(upstream string) error
}

// Notifier wakes the outbox dispatcher after a write was queued.
type Notifier interface{ Notify() }

// Source is one upstream as configured.
type Source struct {
	Upstream   string
	Configured bool
	Interval   time.Duration
}

// Deps are the handler's dependencies.
type Deps struct {
	Logger *slog.Logger
	Store  Store
	Auth   *auth.Auth
	Sync   SyncControl
	Outbox Notifier
	// The areas' stores; *cache.DB implements them all.
	Budgets BudgetStore
	Metrics MetricStore
	Usage   UsageStore
	Billing BillingStore
	// Sources lists every upstream, configured or not, in page order.
	Sources []Source
	// Issuer is the OIDC issuer URL (its origin may receive the sign-out form).
	Issuer string
	// Secure is set when the portal is served over https (adds HSTS).
	Secure bool
	Now    func() time.Time
	// ProjectsFile reports the projects file in use and its last refusal
	// (nil: the data-sources page leaves it out).
	ProjectsFile func() config.CatalogStatus

	// AllowSelfApproval lets an admin approve a budget request they made
	// themselves (PORTAL_FOUR_EYES=false). The zero value refuses it.
	AllowSelfApproval bool

	// ConfirmOlderThan is the age beyond which a usage upload's records or
	// a metric push's period are sent only once confirmed
	// (PORTAL_CONFIRM_OLDER_THAN; 0: never asked).
	ConfirmOlderThan time.Duration

	// Costs is the project pages' and costs pages' store (nil: not mounted),
	// CostSettings their settings.
	Costs        CostStore
	CostSettings CostSettings

	// Tokens keeps personal access tokens (nil: no API, no tokens page).
	// APIRate and APIBurst limit each token's requests (0: the defaults).
	Tokens   TokenStore
	APIRate  float64
	APIBurst int
	// Observe, when set, is told of every answer: the route's pattern,
	// the method, the status and how long it took (operators' metrics).
	Observe func(route, method string, status int, took time.Duration)

	// Notify is the notifications pages' store (nil: not mounted),
	// NotifySettings what they say about mail; MailStatus reports the
	// SMTP server on the data-sources page (nil: not shown); DemoMail is
	// the demo's SMTP catcher (nil outside `portal demo`).
	Notify         NotifyStore
	NotifySettings NotifySettings
	MailStatus     MailStatus
	DemoMail       DemoMailbox
}

// Handler serves the portal's pages.
type Handler struct {
	Deps
	routes []Route
	// charts keeps the metrics overview's charts by their inputs.
	charts keptByInputs[metrics.PeriodValue, *templates.ChartView]
	// filterLists keeps the metrics filters' option lists, rendered.
	filterLists keptByInputs[metrics.Option, templates.SelectOptions]
	// billingCharts keeps the billing page's charts and their table.
	billingCharts keptByInputs[billing.Point, keptBillingCharts]
	// billingRecords keeps the billing page's rows of records, rendered.
	billingRecords keptByInputs[billing.Record, templates.BillingRecordRows]
	// budgetTables keeps the budgets overview's tables.
	budgetTables keptByInputs[budgets.Lab, keptBudgets]
	// usageCharts keeps the usage status page's chart.
	usageCharts keptByInputs[usage.StatusDay, templates.ChartView]
	// failedFilters keeps the failed records page's selects, rendered.
	failedFilters keptByInputs[templates.UsageOption, templates.FailedFilters]
	// failedGroupRows keeps the failed records table's groups, rendered.
	failedGroupRows keptByInputs[templates.FailedGroupView, templates.FailedGroups]
}

// New checks deps and returns a Handler.
func New(d Deps) (*Handler, error) {
	var missing []error
	if d.Logger == nil {
		missing = append(missing, errors.New("Logger"))
	}
	if d.Store == nil {
		missing = append(missing, errors.New("Store"))
	}
	if d.Auth == nil {
		missing = append(missing, errors.New("Auth"))
	}
	if d.Sync == nil {
		missing = append(missing, errors.New("Sync"))
	}
	if d.Outbox == nil {
		missing = append(missing, errors.New("Outbox"))
	}
	if len(missing) > 0 {
		return nil, portal.WrapError(portal.EINTERNAL, errors.Join(missing...), "handlers: missing dependencies")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Handler{Deps: d}, nil
}

// Access is who may use a route.
type Access int

// Access levels, from least to most privileged.
const (
	Public  Access = iota // anyone, signed in or not
	Member                // any signed-in person (data is still scoped to their projects)
	Manager               // managers of at least one project, and admins
	Admin                 // admins only
)

func (a Access) String() string {
	return [...]string{"public", "member", "manager", "admin"}[a]
}

// Route is a registered route with its access level.
type Route struct {
	Method, Path string
	Access       Access
}

// Routes lists every route the handler registered, for the role tests.
func (h *Handler) Routes() []Route { return h.routes }

// add registers a route with its access check. Every route goes through
// here, so none can be added without saying who may use it. A GET route
// also answers HEAD the same way (the server drops the body), because
// load balancers and monitors check with HEAD.
func (h *Handler) add(e *echo.Echo, method, path string, fn echo.HandlerFunc, a Access, mw ...echo.MiddlewareFunc) {
	switch a {
	case Manager:
		mw = append([]echo.MiddlewareFunc{auth.RequireManager}, mw...)
	case Admin:
		mw = append([]echo.MiddlewareFunc{auth.RequireAdmin}, mw...)
	}
	e.Add(method, path, fn, mw...)
	if method == http.MethodGet {
		e.Add(http.MethodHead, path, fn, mw...)
	}
	h.routes = append(h.routes, Route{Method: method, Path: path, Access: a})
}

// user returns the signed-in user (routes other than Public always have one).
func user(c echo.Context) *portal.User {
	if u := portal.UserFromContext(c.Request().Context()); u != nil {
		return u
	}
	return &portal.User{}
}
