package obi

import (
	"context"
	"errors"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// Account creation, for seeding a deployment. The caller chooses the ids.
// The service answers a duplicate id (and a project whose virtual lab does
// not exist) with a bare 500, not 409; the Ensure methods therefore treat
// a 500, or an unknown outcome, as "maybe it exists" and confirm with a
// balance read (API.md §11.8).

// CreateSystemAccount creates the one system account.
func (c *Client) CreateSystemAccount(ctx context.Context, id, name string) error {
	if err := checkID("system account id", id); err != nil {
		return err
	}
	_, err := c.write(ctx, "/account/system", struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}{id, name})
	return err
}

// CreateVirtualLab creates a virtual lab; a positive balance is topped up
// from the system account, which must exist.
func (c *Client) CreateVirtualLab(ctx context.Context, id, name string, balance decimal.Decimal) error {
	if err := checkID("virtual lab id", id); err != nil {
		return err
	}
	if balance.Sign() < 0 {
		return portal.Errorf(portal.EINVALID, "OBI: a virtual lab's opening balance cannot be negative")
	}
	_, err := c.write(ctx, "/account/virtual-lab", struct {
		ID      string          `json:"id"`
		Name    string          `json:"name"`
		Balance decimal.Decimal `json:"balance"`
	}{id, name, balance})
	return err
}

// CreateProject creates a project of a virtual lab. virtual-lab-api names
// projects "<lab name>/<project name>".
func (c *Client) CreateProject(ctx context.Context, id, name, vlabID string) error {
	if err := checkIDs("project id", id, "virtual lab id", vlabID); err != nil {
		return err
	}
	_, err := c.write(ctx, "/account/project", struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		VlabID string `json:"vlab_id"`
	}{id, name, vlabID})
	return err
}

// maybeExists reports whether a create failed in a way that may mean the
// account exists: the service's 500, or an unknown outcome.
func maybeExists(err error) bool {
	var pe *portal.Error
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == portal.EUNCERTAIN || pe.Status == 500
}

// absentCode is the code of a create that failed and whose account a read
// then did not find: the create had no effect, so an unknown outcome
// becomes "nothing happened".
func absentCode(err error) string {
	if code := portal.ErrorCode(err); code != portal.EUNCERTAIN {
		return code
	}
	return portal.EUNAVAILABLE
}

// EnsureSystemAccount creates the system account unless one exists. It
// reports whether it created it. The service has no read of the system
// account's id: an existing one is accepted whatever its id.
func (c *Client) EnsureSystemAccount(ctx context.Context, id, name string) (bool, error) {
	err := c.CreateSystemAccount(ctx, id, name)
	if err == nil || !maybeExists(err) {
		return err == nil, err
	}
	if _, rerr := c.SystemBalance(ctx); rerr != nil {
		return false, portal.WrapError(absentCode(err), err, "OBI: the system account could not be created, and none exists")
	}
	return false, nil
}

// EnsureVirtualLab creates a virtual lab unless it exists, and reports
// whether it created it. An existing lab keeps its balance: balance is
// applied only on creation.
func (c *Client) EnsureVirtualLab(ctx context.Context, id, name string, balance decimal.Decimal) (bool, error) {
	err := c.CreateVirtualLab(ctx, id, name, balance)
	if err == nil || !maybeExists(err) {
		return err == nil, err
	}
	if _, rerr := c.VirtualLabBalance(ctx, id); rerr != nil {
		return false, portal.WrapError(absentCode(err), err, "OBI: virtual lab %s could not be created, and it does not exist", id)
	}
	return false, nil
}

// EnsureProject creates a project unless it exists in that virtual lab,
// and reports whether it created it. A project that exists in another lab
// is ECONFLICT.
func (c *Client) EnsureProject(ctx context.Context, id, name, vlabID string) (bool, error) {
	err := c.CreateProject(ctx, id, name, vlabID)
	if err == nil || !maybeExists(err) {
		return err == nil, err
	}
	if lab, rerr := c.VirtualLabBalanceWithProjects(ctx, vlabID); rerr == nil {
		for _, p := range lab.Projects {
			if p.ProjID == id {
				return false, nil
			}
		}
	}
	if _, rerr := c.ProjectBalance(ctx, id); rerr == nil {
		return false, portal.Errorf(portal.ECONFLICT, "OBI: project %s exists, but not in virtual lab %s", id, vlabID)
	}
	return false, portal.WrapError(absentCode(err), err,
		"OBI: project %s could not be created, and it does not exist (is virtual lab %s registered?)", id, vlabID)
}
