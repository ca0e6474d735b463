package handlers

import "github.com/labstack/echo/v4"

// MetricStore is what the metrics pages (ARGO metrics and metric pushes) need from the cache.
type MetricStore interface{}

// registerMetrics mounts the metrics pages.
func (h *Handler) registerMetrics(e *echo.Echo) {}
