// Package demo is the cast and configuration of `portal demo`: the people
// who can sign in to the development identity provider, the projects file
// that names the simulators' projects, and the PORTAL_* settings that
// point the portal at the simulators. The integration tests start the
// portal the same way.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/accounting-portal/portal/internal/app"
	"github.com/accounting-portal/portal/internal/devoidc"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim"
	"github.com/accounting-portal/portal/internal/sim/vergeos"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// The demo's sign-in client.
const (
	ClientID     = "portal-demo"
	ClientSecret = "portal-demo-secret"
)

// Users are the people of the demo: an admin, a manager of the first
// two projects (one virtual lab), a manager of the third (the other
// lab: "manager of project B" in the security tests) and a member of the
// third.
func Users(w *world.World) []devoidc.User {
	p := w.Projects
	return []devoidc.User{
		{ID: "admin", Subject: "demo-admin", Name: "Ada Admin", Email: "ada.admin@example.org",
			Description: "Infrastructure staff: approves budget requests, sees every project", Groups: []string{"portal-admins"}},
		{ID: "manager", Subject: "demo-manager", Name: "Max Manager", Email: "max.manager@example.org",
			Description: "Manages " + p[0].Name + " and " + p[1].Name,
			Groups:      []string{"project:" + p[0].Key + ":manager", "project:" + p[1].Key + ":manager"}},
		{ID: "manager-b", Subject: "demo-manager-b", Name: "Bo Manager", Email: "bo.manager@example.org",
			Description: "Manages " + p[2].Name, Groups: []string{"project:" + p[2].Key + ":manager"}},
		{ID: "viewer", Subject: "demo-viewer", Name: "Vera Viewer", Email: "vera.viewer@example.org",
			Description: "Member of " + p[2].Name, Groups: []string{"project:" + p[2].Key + ":member"}},
	}
}

// StartIdP serves the development identity provider on a free port of host.
func StartIdP(host, publicURL string, w *world.World) (*devoidc.Provider, func(), error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, nil, fmt.Errorf("demo: identity provider: %w", err)
	}
	idp, err := devoidc.New(devoidc.Config{
		Issuer: "http://" + ln.Addr().String(), ClientID: ClientID, ClientSecret: ClientSecret,
		RedirectURIs: []string{publicURL + "/auth/callback"}, PostLogoutURIs: []string{publicURL + "/auth/signed-out"},
		Users: Users(w),
	})
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	srv := &http.Server{Handler: idp, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return idp, func() { srv.Close() }, nil
}

// Catalog is the projects file of the demo: the world's virtual labs
// and projects with their ids in each simulator. Two projects have a
// VergeOS tenant (TenantProjects).
func Catalog(w *world.World) *portal.Catalog {
	c := &portal.Catalog{}
	for _, l := range w.VirtualLabs {
		c.VirtualLabs = append(c.VirtualLabs, portal.VirtualLab{ID: l.ID, Name: l.Name})
	}
	for i, p := range w.Projects {
		cp := portal.CatalogProject{Key: p.Key, Name: p.Name, ArgoID: p.ArgoID,
			OBIID: p.OBIID, OBIVlabID: p.VlabID, AMIEID: p.AMIEID}
		if slices.Contains(TenantProjects, i) {
			cp.VergeOSTenant = vergeos.TenantName(p.Key)
		}
		c.Projects = append(c.Projects, cp)
	}
	return c
}

// TenantProjects are the world projects (by index) whose VergeOS tenant the
// demo's projects file names: the manager's first project and manager-b's.
var TenantProjects = []int{0, 2}

// Env is the demo's configuration, as PORTAL_* variables, so it goes
// through the same checks as a real deployment's.
func Env(dataDir, publicURL, issuer, projectsFile string, info sim.Info) map[string]string {
	env := map[string]string{
		"PORTAL_DB": filepath.Join(dataDir, "portal.db"), "PORTAL_PUBLIC_URL": publicURL, "PORTAL_ADDR": "unused",
		"PORTAL_OIDC_ISSUER": issuer, "PORTAL_OIDC_CLIENT_ID": ClientID, "PORTAL_OIDC_CLIENT_SECRET": ClientSecret,
		"PORTAL_OIDC_SCOPES": "openid,profile,email,groups", "PORTAL_PROJECTS_FILE": projectsFile,
		"PORTAL_SESSION_IDLE": "8h", "PORTAL_SESSION_MAX": "12h",
	}
	if a := info.Argo; a != nil {
		env["PORTAL_ARGO_URL"], env["PORTAL_ARGO_TOKEN"], env["PORTAL_ARGO_CA_FILE"], env["PORTAL_ARGO_INTERVAL"] = a.URL, a.Token, info.CAFile, "2m"
	}
	if o := info.OBI; o != nil {
		env["PORTAL_OBI_URL"], env["PORTAL_OBI_INTERVAL"] = o.URL, "1m"
	}
	if m := info.AMIE; m != nil {
		env["PORTAL_AMIE_URL"], env["PORTAL_AMIE_SITE"], env["PORTAL_AMIE_API_KEY"], env["PORTAL_AMIE_INTERVAL"] = m.URL, m.Site, m.APIKey, "1m"
	}
	if v := info.VergeOS; v != nil {
		env["PORTAL_VERGEOS_URL"], env["PORTAL_VERGEOS_API_KEY"], env["PORTAL_VERGEOS_CA_FILE"], env["PORTAL_VERGEOS_INTERVAL"] = v.URL, v.APIKey, info.CAFile, "2m"
	}
	return env
}

// WriteCatalog writes a projects file.
func WriteCatalog(path string, c *portal.Catalog) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// RememberPeople records the roles of the demo's people as a sign-in
// would, so that an API token can be made for any of them before they
// first sign in (`portal token create -user demo-manager …`).
func RememberPeople(ctx context.Context, a *app.App, w *world.World) error {
	for _, p := range Users(w) {
		groups := make([]any, len(p.Groups))
		for i, g := range p.Groups {
			groups[i] = g
		}
		u := a.Auth.MapUser(map[string]any{"sub": p.Subject, "name": p.Name, "email": p.Email, a.Config.OIDC.RolesClaim: groups})
		if err := a.DB.RememberUser(ctx, u); err != nil {
			return err
		}
	}
	return nil
}
