package handlers

import "github.com/labstack/echo/v4"

// UsageStore is what the usage pages (AMIE usage status, failed records and uploads) need from the cache.
type UsageStore interface{}

// registerUsage mounts the usage pages.
func (h *Handler) registerUsage(e *echo.Echo) {}
