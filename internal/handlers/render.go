package handlers

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/auth"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// render writes a component into a buffer first, so a failure while
// rendering becomes a clean error page rather than half a page.
func render(c echo.Context, status int, comp templ.Component) error {
	buf := templ.GetBuffer()
	defer templ.ReleaseBuffer(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// page builds the layout's view model: the user, the CSRF token, a flash
// message left by the last action, and the freshness of the upstreams
// whose data the page shows.
func (h *Handler) page(c echo.Context, title, section string, upstreams ...string) (templates.Page, error) {
	ctx := c.Request().Context()
	p := templates.Page{Title: title, Section: section, User: user(c)}
	if s := auth.SessionFromContext(ctx); s != nil {
		p.CSRF = s.CSRFToken
		if s.Flash != "" {
			flash, err := h.Store.TakeFlash(ctx, auth.SessionTokenFromContext(ctx))
			if err != nil {
				return p, err
			}
			p.Flash = flash
		}
	}
	if err := h.navCounts(ctx, &p); err != nil {
		return p, err
	}
	if len(upstreams) > 0 {
		f, err := h.freshness(c, upstreams...)
		if err != nil {
			return p, err
		}
		p.Sources = f
	}
	return p, nil
}

// flashRedirect leaves a message for the next page of this session and
// answers the form with a 303 to that page (POST, redirect, GET).
func (h *Handler) flashRedirect(c echo.Context, msg, url string) error {
	ctx := c.Request().Context()
	if err := h.Store.SetFlash(ctx, auth.SessionTokenFromContext(ctx), msg); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// source returns the configuration of an upstream.
func (h *Handler) source(upstream string) Source {
	for _, s := range h.Sources {
		if s.Upstream == upstream {
			return s
		}
	}
	return Source{Upstream: upstream}
}

// freshness says how current each upstream's cached data is.
func (h *Handler) freshness(c echo.Context, upstreams ...string) ([]templates.Freshness, error) {
	st, err := h.Store.SourceStatuses(c.Request().Context(), upstreams)
	if err != nil {
		return nil, err
	}
	out := make([]templates.Freshness, 0, len(upstreams))
	for _, u := range upstreams {
		s := st[u]
		f := templates.Freshness{Upstream: u, Title: portal.UpstreamTitle(u), Configured: h.source(u).Configured,
			AsOf: s.DataAsOf(), Failing: s.Failing(), Now: h.nowUTC()}
		if s.LastError != nil {
			f.LastError, f.ErrorAt = s.LastError.Error, s.LastError.Finished
		}
		out = append(out, f)
	}
	return out, nil
}
