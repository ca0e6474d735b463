package handlers

import (
	"net/http"
	"slices"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// areas maps each upstream to the page that shows its data.
var areas = map[string]struct{ Label, Href string }{
	portal.UpstreamOBI:     {"Budgets", "/budgets"},
	portal.UpstreamArgo:    {"Metrics", "/metrics"},
	portal.UpstreamAMIE:    {"Usage", "/usage"},
	portal.UpstreamVergeOS: {"Billing", "/billing"},
}

func (h *Handler) handleHome(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := h.page(c, "Home", "home")
	if err != nil {
		return err
	}
	u := p.User
	names, err := h.Store.ProjectNames(ctx, u.Member)
	if err != nil {
		return err
	}
	v := templates.HomeView{Page: p}
	for _, key := range u.Member {
		name := names[key]
		if name == "" {
			name = key
		}
		v.Projects = append(v.Projects, templates.ProjectRole{Key: key, Name: name, Manager: slices.Contains(u.Manages, key)})
	}
	sort.Slice(v.Projects, func(i, j int) bool { return v.Projects[i].Name < v.Projects[j].Name })
	fresh, err := h.freshness(c, portal.Upstreams...)
	if err != nil {
		return err
	}
	for _, f := range fresh {
		a := areas[f.Upstream]
		v.Tiles = append(v.Tiles, templates.SourceTile{Freshness: f, Href: a.Href, Label: a.Label})
	}
	return render(c, http.StatusOK, templates.Home(v))
}

func (h *Handler) handleSignedOut(c echo.Context) error {
	return render(c, http.StatusOK, templates.SignedOut())
}
