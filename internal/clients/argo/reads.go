package argo

import (
	"context"
	"net/http"
)

// Projects lists every project the token may read. It uses GET /projects
// (server 1.7.0); a server that answers 404 or 405 there (1.8+, where the
// route is gone) is asked at GET /admin/projects instead, and the client
// remembers which one worked.
func (c *Client) Projects(ctx context.Context) ([]Project, error) {
	path := *c.projectsPath.Load()
	out, err := all(ctx, c, path, decodeProject)
	if err != nil && path == "/projects" && hasStatus(err, http.StatusNotFound, http.StatusMethodNotAllowed) {
		admin := "/admin/projects"
		if out, err = all(ctx, c, admin, decodeProject); err == nil {
			c.projectsPath.Store(&admin)
		}
	}
	return out, err
}

// Project reads one project with its providers and installations.
func (c *Client) Project(ctx context.Context, id string) (*Project, error) {
	return getOne(ctx, c, "/projects/"+esc(id), decodeProject)
}

// Providers lists every provider.
func (c *Client) Providers(ctx context.Context) ([]Provider, error) {
	return all(ctx, c, "/providers", decodeProvider)
}

// Provider reads one provider.
func (c *Client) Provider(ctx context.Context, id string) (*Provider, error) {
	return getOne(ctx, c, "/providers/"+esc(id), decodeProvider)
}

// Installations lists every installation (GET /installations/all; the
// server may require a system administrator's token).
func (c *Client) Installations(ctx context.Context) ([]Installation, error) {
	return all(ctx, c, "/installations/all", decodeInstallation)
}

// ProjectInstallations lists the installations of a project.
func (c *Client) ProjectInstallations(ctx context.Context, projectID string) ([]Installation, error) {
	return all(ctx, c, "/projects/"+esc(projectID)+"/installations", decodeInstallation)
}

// ProviderInstallations lists the installations of a provider within a project.
func (c *Client) ProviderInstallations(ctx context.Context, projectID, providerID string) ([]Installation, error) {
	return all(ctx, c, "/projects/"+esc(projectID)+"/providers/"+esc(providerID)+"/installations", decodeInstallation)
}

// Installation reads one installation.
func (c *Client) Installation(ctx context.Context, id string) (*Installation, error) {
	return getOne(ctx, c, "/installations/"+esc(id), decodeInstallation)
}

// MetricDefinitions lists every metric definition.
func (c *Client) MetricDefinitions(ctx context.Context) ([]MetricDefinition, error) {
	return all(ctx, c, "/metric-definitions", decodeMetricDefinition)
}

// MetricDefinition reads one metric definition.
func (c *Client) MetricDefinition(ctx context.Context, id string) (*MetricDefinition, error) {
	return getOne(ctx, c, "/metric-definitions/"+esc(id), decodeMetricDefinition)
}
