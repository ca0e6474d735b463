package handlers

import "github.com/labstack/echo/v4"

// BudgetStore is what the budgets pages (OBI budgets: balances, reports, requests and approvals) need from the cache.
type BudgetStore interface{}

// registerBudgets mounts the budgets pages.
func (h *Handler) registerBudgets(e *echo.Echo) {}
