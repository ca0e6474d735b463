package handlers

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// BudgetStore is what the budgets pages (OBI budgets: balances, reports,
// requests and approvals) need from the cache.
type BudgetStore interface {
	BudgetOverview(ctx context.Context, scope portal.Scope, now time.Time) ([]budgets.Lab, error)
	BudgetProjectByKey(ctx context.Context, scope portal.Scope, key string, now time.Time) (*budgets.ProjectDetail, error)
	BalanceSeries(ctx context.Context, account string, from, to time.Time, maxPoints int) ([]budgets.BalancePoint, error)
	BudgetSnapshots(ctx context.Context, account string, f budgets.SnapshotFilter) ([]budgets.BalancePoint, int64, error)
	EachBudgetSnapshot(ctx context.Context, account string, f budgets.SnapshotFilter, fn func(budgets.BalancePoint) error) error
	BudgetDailySpend(ctx context.Context, projID string, from, to time.Time) ([]budgets.DailySpend, error)
	SpendBetween(ctx context.Context, projID string, from, to time.Time) (decimal.Decimal, error)
	BudgetJobs(ctx context.Context, projID string, f budgets.JobFilter) ([]budgets.Job, int64, error)
	EachBudgetJob(ctx context.Context, projID string, f budgets.JobFilter, fn func(budgets.Job) error) error

	BudgetAccounts(ctx context.Context, manage portal.Scope) ([]budgets.Lab, error)
	CreateBudgetRequest(ctx context.Context, n budgets.NewRequest) (int64, error)
	BudgetRequestByID(ctx context.Context, id int64) (*budgets.Request, error)
	ListBudgetRequests(ctx context.Context, f budgets.RequestFilter) ([]budgets.Request, int64, error)
	EachBudgetRequest(ctx context.Context, f budgets.RequestFilter, fn func(budgets.Request) error) error
	BudgetRequestCounts(ctx context.Context, requestedBy string) (map[string]int, error)
	TakeBudgetOutcomes(ctx context.Context, subject string) ([]budgets.Request, error)
	ApproveBudgetRequest(ctx context.Context, id int64, actor, actorName string) (*budgets.Request, error)
	ApproveBudgetRequestWith(ctx context.Context, id int64, a budgets.Approval) (*budgets.Request, error)
	DenyBudgetRequest(ctx context.Context, id int64, actor, actorName, reason string) error
	CancelBudgetRequest(ctx context.Context, id int64, actor, actorName string) error
	ReconcileBudgetRequest(ctx context.Context, id int64, applied bool, actor, actorName, reason string) error
	BudgetJobExtent(ctx context.Context, projID string) (portal.Extent, error)
	SimilarBudgetRequests(ctx context.Context, n budgets.NewRequest, since time.Time) ([]budgets.Request, error)
}

// registerBudgets mounts the budgets pages, the budget requests and the
// approvals inbox.
func (h *Handler) registerBudgets(e *echo.Echo) {
	h.add(e, "GET", "/budgets", h.handleBudgets, Member)
	h.add(e, "GET", "/budgets.csv", h.handleBudgets, Member)
	h.add(e, "GET", "/budgets/labs.csv", h.handleBudgetLabsCSV, Member)
	h.add(e, "GET", "/budgets/projects/:key", h.handleBudgetProject, Member)
	h.add(e, "GET", "/budgets/projects/:key/jobs.csv", h.handleBudgetJobsCSV, Member)
	h.add(e, "GET", "/budgets/projects/:key/spend.csv", h.handleBudgetSpendCSV, Member)
	h.add(e, "GET", "/budgets/projects/:key/discounts.csv", h.handleBudgetDiscountsCSV, Member)
	h.add(e, "GET", "/budgets/projects/:key/balances", h.handleBudgetBalances, Member)
	h.add(e, "GET", "/budgets/projects/:key/balances.csv", h.handleBudgetBalances, Member)

	h.add(e, "GET", "/requests", h.handleRequests, Manager)
	h.add(e, "GET", "/requests.csv", h.handleRequests, Manager)
	h.add(e, "GET", "/requests/new", h.handleRequestForm, Manager)
	h.add(e, "POST", "/requests", h.handleRequestCreate, Manager)
	h.add(e, "GET", "/requests/:id", h.handleRequest, Manager)
	h.add(e, "POST", "/requests/:id/cancel", h.handleRequestCancel, Manager)
	h.add(e, "POST", "/requests/:id/approve", h.handleRequestApprove, Admin)
	h.add(e, "POST", "/requests/:id/deny", h.handleRequestDeny, Admin)
	h.add(e, "POST", "/requests/:id/reconcile", h.handleRequestReconcile, Admin)

	h.add(e, "GET", "/approvals", h.handleApprovals, Admin)
	h.add(e, "GET", "/approvals.csv", h.handleApprovals, Admin)
	h.add(e, "POST", "/approvals/approve", h.handleApproveSelected, Admin)
}

// credits formats an amount of credits for people: exactly 2 decimals,
// the precision OBI shows balances with.
func credits(d decimal.Decimal) string { return d.StringFixed(2) }

// creditsOr formats a cached balance, or a dash when no sync has read it yet.
func creditsOr(d decimal.Decimal, known bool) string {
	if !known {
		return "—"
	}
	return credits(d)
}
