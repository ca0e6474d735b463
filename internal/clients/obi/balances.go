package obi

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/accounting-portal/portal/internal/decimal"
)

// ProjectBalance is a project's balance. Balance excludes the money
// reserved for running jobs, which is Reservation. The service rounds both
// to two places.
type ProjectBalance struct {
	ProjID      string
	Balance     decimal.Decimal
	Reservation decimal.Decimal
}

// VirtualLabBalance is a virtual lab's own balance (what is not assigned to
// its projects) and, when asked for, its projects' balances.
type VirtualLabBalance struct {
	VlabID   string
	Balance  decimal.Decimal
	Projects []ProjectBalance // nil unless requested
}

// SystemBalance returns the system account's balance (negative: it funds
// every other account).
func (c *Client) SystemBalance(ctx context.Context) (decimal.Decimal, error) {
	d, data, err := c.get(ctx, "/balance/system", nil)
	if err != nil {
		return decimal.Zero, err
	}
	bal := d.object(data, "data").dec("balance", true)
	return bal, d.err
}

// VirtualLabBalance returns a virtual lab's balance without its projects.
func (c *Client) VirtualLabBalance(ctx context.Context, vlabID string) (VirtualLabBalance, error) {
	return c.vlabBalance(ctx, vlabID, false)
}

// VirtualLabBalanceWithProjects returns a virtual lab's balance and every
// project's balance and reservation.
func (c *Client) VirtualLabBalanceWithProjects(ctx context.Context, vlabID string) (VirtualLabBalance, error) {
	return c.vlabBalance(ctx, vlabID, true)
}

func (c *Client) vlabBalance(ctx context.Context, vlabID string, projects bool) (VirtualLabBalance, error) {
	if err := checkID("virtual lab id", vlabID); err != nil {
		return VirtualLabBalance{}, err
	}
	q := url.Values{"include_projects": {"false"}}
	if projects {
		q.Set("include_projects", "true")
	}
	d, data, err := c.get(ctx, "/balance/virtual-lab/"+vlabID, q)
	if err != nil {
		return VirtualLabBalance{}, err
	}
	out := decodeVlabBalance(d, data, projects)
	return out, d.err
}

func decodeVlabBalance(d *decoder, data json.RawMessage, projects bool) VirtualLabBalance {
	o := d.object(data, "data")
	out := VirtualLabBalance{VlabID: o.id("vlab_id", true), Balance: o.dec("balance", true)}
	if !projects {
		return out
	}
	// Tolerated: a missing or null "projects" means none.
	out.Projects = []ProjectBalance{}
	if !o.has("projects") {
		return out
	}
	for i, raw := range o.list("projects") {
		out.Projects = append(out.Projects, decodeProjBalance(d.object(raw, pathIndex("data.projects", i))))
	}
	return out
}

func decodeProjBalance(o object) ProjectBalance {
	return ProjectBalance{ProjID: o.id("proj_id", true), Balance: o.dec("balance", true), Reservation: o.dec("reservation", true)}
}

// ProjectBalance returns a project's balance and reservation.
func (c *Client) ProjectBalance(ctx context.Context, projID string) (ProjectBalance, error) {
	if err := checkID("project id", projID); err != nil {
		return ProjectBalance{}, err
	}
	d, data, err := c.get(ctx, "/balance/project/"+projID, nil)
	if err != nil {
		return ProjectBalance{}, err
	}
	out := decodeProjBalance(d.object(data, "data"))
	return out, d.err
}
