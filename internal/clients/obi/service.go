package obi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/accounting-portal/portal/internal/portal"
)

// Version is what the service reports about itself; values may be empty.
type Version struct {
	AppName, AppVersion, CommitSHA string
}

// Health checks that the service answers /health with status OK.
func (c *Client) Health(ctx context.Context) error {
	b, err := c.do(ctx, request{method: http.MethodGet, path: "/health", read: true})
	if err != nil {
		return err
	}
	var h struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(b, &h) != nil || h.Status != "OK" {
		return portal.Errorf(portal.EUNAVAILABLE, "OBI: GET /health: body: not {\"status\":\"OK\"}")
	}
	return nil
}

// Version returns the service's name, version and commit.
func (c *Client) Version(ctx context.Context) (Version, error) {
	b, err := c.do(ctx, request{method: http.MethodGet, path: "/version", read: true})
	if err != nil {
		return Version{}, err
	}
	d := &decoder{where: "GET /version"}
	o := d.object(b, "body")
	v := Version{AppName: o.str("app_name", true), AppVersion: o.str("app_version", false), CommitSHA: o.str("commit_sha", false)}
	return v, d.err
}
