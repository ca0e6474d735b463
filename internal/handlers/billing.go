package handlers

import "github.com/labstack/echo/v4"

// BillingStore is what the billing pages (VergeOS billing summaries and records) need from the cache.
type BillingStore interface{}

// registerBilling mounts the billing pages.
func (h *Handler) registerBilling(e *echo.Echo) {}
