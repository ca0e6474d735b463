package obi

import (
	"context"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// Budget writes (API.md §5.4). The portal sends them only after an admin
// approved the request. None is idempotent, so none is ever retried here:
// a failure before the request was written is EUNAVAILABLE (nothing
// happened), one after it EUNCERTAIN (it may have happened). The
// service's business refusals come back as EINVALID with its message
// ("Insufficient funds in the virtual-lab account", "The project doesn't
// belong to the virtual-lab", ...), unknown accounts as ENOTFOUND.

func checkAmount(amount decimal.Decimal) error {
	if amount.Sign() <= 0 {
		return portal.Errorf(portal.EINVALID, "OBI: the amount must be greater than 0, not %s", amount)
	}
	return nil
}

func checkIDs(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if err := checkID(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// TopUp adds amount to a virtual lab, from the system account.
func (c *Client) TopUp(ctx context.Context, vlabID string, amount decimal.Decimal) error {
	if err := checkIDs("virtual lab id", vlabID); err != nil {
		return err
	}
	if err := checkAmount(amount); err != nil {
		return err
	}
	_, err := c.write(ctx, "/budget/top-up", struct {
		VlabID string          `json:"vlab_id"`
		Amount decimal.Decimal `json:"amount"`
	}{vlabID, amount})
	return err
}

type labProjectAmount struct {
	VlabID string          `json:"vlab_id"`
	ProjID string          `json:"proj_id"`
	Amount decimal.Decimal `json:"amount"`
}

// Assign moves amount from a virtual lab to one of its projects.
func (c *Client) Assign(ctx context.Context, vlabID, projID string, amount decimal.Decimal) error {
	return c.labProject(ctx, "/budget/assign", vlabID, projID, amount)
}

// Reverse moves amount from a project back to its virtual lab.
func (c *Client) Reverse(ctx context.Context, vlabID, projID string, amount decimal.Decimal) error {
	return c.labProject(ctx, "/budget/reverse", vlabID, projID, amount)
}

func (c *Client) labProject(ctx context.Context, path, vlabID, projID string, amount decimal.Decimal) error {
	if err := checkIDs("virtual lab id", vlabID, "project id", projID); err != nil {
		return err
	}
	if err := checkAmount(amount); err != nil {
		return err
	}
	_, err := c.write(ctx, path, labProjectAmount{vlabID, projID, amount})
	return err
}

// Move moves amount between two projects of the same virtual lab.
func (c *Client) Move(ctx context.Context, vlabID, fromProjID, toProjID string, amount decimal.Decimal) error {
	if err := checkIDs("virtual lab id", vlabID, "debited project id", fromProjID, "credited project id", toProjID); err != nil {
		return err
	}
	if err := checkAmount(amount); err != nil {
		return err
	}
	_, err := c.write(ctx, "/budget/move", struct {
		VlabID      string          `json:"vlab_id"`
		DebitedFrom string          `json:"debited_from"`
		CreditedTo  string          `json:"credited_to"`
		Amount      decimal.Decimal `json:"amount"`
	}{vlabID, fromProjID, toProjID, amount})
	return err
}

// Grant tops up a project's virtual lab and assigns the amount to the
// project in one transaction (the lab's balance does not change). It is
// not on the service's tagged releases before 2026.06.2.
func (c *Client) Grant(ctx context.Context, projID string, amount decimal.Decimal) error {
	if err := checkIDs("project id", projID); err != nil {
		return err
	}
	if err := checkAmount(amount); err != nil {
		return err
	}
	_, err := c.write(ctx, "/budget/grant", struct {
		ProjID string          `json:"proj_id"`
		Amount decimal.Decimal `json:"amount"`
	}{projID, amount})
	return err
}

// DepleteProject moves a project's whole positive balance to the system
// account and returns the amount moved ("0.00" when there was none).
func (c *Client) DepleteProject(ctx context.Context, projID string) (decimal.Decimal, error) {
	if err := checkIDs("project id", projID); err != nil {
		return decimal.Zero, err
	}
	return c.deplete(ctx, "/budget/deplete/project", struct {
		ProjID string `json:"proj_id"`
	}{projID})
}

// DepleteVirtualLab empties a virtual lab and each of its projects into
// the system account and returns the total moved.
func (c *Client) DepleteVirtualLab(ctx context.Context, vlabID string) (decimal.Decimal, error) {
	if err := checkIDs("virtual lab id", vlabID); err != nil {
		return decimal.Zero, err
	}
	return c.deplete(ctx, "/budget/deplete/virtual-lab", struct {
		VlabID string `json:"vlab_id"`
	}{vlabID})
}

func (c *Client) deplete(ctx context.Context, path string, body any) (decimal.Decimal, error) {
	data, err := c.write(ctx, path, body)
	if err != nil {
		return decimal.Zero, err
	}
	d := &decoder{where: "POST " + path}
	total := d.object(data, "data").dec("total_amount", true)
	if d.err != nil {
		return decimal.Zero, portal.WrapError(portal.EUNCERTAIN, d.err, "OBI answered POST %s without a total; the balance was probably moved", path)
	}
	return total, nil
}
