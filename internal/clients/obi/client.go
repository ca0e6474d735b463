// Package obi is the portal's client of the Open Brain Institute
// accounting service (shared/upstreams/obi/API.md): balances of the system,
// virtual labs and projects; budget top-up, assignment, reversal, move,
// grant and deplete; job reports and open longrun jobs; discounts; and the
// creation of accounts, prices and discounts for seeding a deployment.
//
// Amounts are exact decimals (JSON strings on the wire in both
// directions). Reads are retried on transport failures and 429/5xx; writes
// never are, because none of the service's budget calls is idempotent:
// a write whose outcome is unknown comes back as EUNCERTAIN for the
// outbox to reconcile. Every error is a *portal.Error carrying the
// service's own message; when the service answered with its error
// envelope, the *APIError is the error's cause (errors.As).
package obi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/clients/upstream"
	"github.com/accounting-portal/portal/internal/portal"
)

// DefaultPageSize is the page size of report walks (the service's default).
const DefaultPageSize = 1000

// Config configures a Client.
type Config struct {
	// BaseURL is the service's root, e.g. http://127.0.0.1:8100 (no /api
	// prefix; a path is kept for deployments behind a path prefix).
	BaseURL string
	// Token, when set, is sent as "Authorization: Bearer <token>" for
	// deployments behind a gateway. The service itself checks no auth, so
	// none is sent by default.
	Token string
	// Timeout bounds each attempt; 0 means 30 seconds.
	Timeout time.Duration
	// Retries is the number of extra attempts for reads; writes are never retried.
	Retries int
	// PageSize is the page size for report walks; 0 means DefaultPageSize.
	PageSize int
	// HTTPClient is optional (custom TLS roots, proxies).
	HTTPClient *http.Client
	// Logger receives one debug line per attempt (method, URL, status,
	// time; never the token) when Debug is set.
	Logger *slog.Logger
	Debug  bool
}

// Client talks to one OBI accounting service. It is safe for concurrent use.
type Client struct {
	base     string
	token    string
	pageSize int
	caller   upstream.Caller
}

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case cfg.BaseURL == "":
		return nil, portal.Errorf(portal.EINVALID, "obi: Config.BaseURL is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, portal.Errorf(portal.EINVALID, "obi: Config.BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, portal.Errorf(portal.EINVALID, "obi: Config.BaseURL %q must not have a query or fragment", cfg.BaseURL)
	case cfg.Timeout < 0:
		return nil, portal.Errorf(portal.EINVALID, "obi: Config.Timeout must not be negative")
	case cfg.Retries < 0:
		return nil, portal.Errorf(portal.EINVALID, "obi: Config.Retries must not be negative")
	case cfg.PageSize < 0:
		return nil, portal.Errorf(portal.EINVALID, "obi: Config.PageSize must not be negative")
	case strings.ContainsAny(cfg.Token, "\r\n"):
		return nil, portal.Errorf(portal.EINVALID, "obi: Config.Token must be one line")
	}
	c := &Client{base: strings.TrimRight(cfg.BaseURL, "/"), token: cfg.Token, pageSize: cfg.PageSize}
	if c.pageSize == 0 {
		c.pageSize = DefaultPageSize
	}
	c.caller = upstream.Caller{Name: "OBI", HTTP: upstream.Pooled(cfg.HTTPClient), Timeout: cfg.Timeout, Retries: cfg.Retries,
		Logger: cfg.Logger, Debug: cfg.Debug}
	return c, nil
}

// request is one call to the service.
type request struct {
	method string
	path   string
	query  url.Values
	body   any
	read   bool // idempotent: may be retried
	// decode checks a 2xx body (upstream.Request.Decode): for a write, an
	// unreadable answer is an unknown outcome.
	decode func([]byte) error
}

// do sends rq and returns the 2xx body. On an error answer the returned
// *portal.Error carries the service's message, and its cause is the
// parsed *APIError.
func (c *Client) do(ctx context.Context, rq request) ([]byte, error) {
	u := c.base + rq.path
	if len(rq.query) > 0 {
		u += "?" + rq.query.Encode()
	}
	h := http.Header{"Accept": {"application/json"}}
	var body []byte
	if rq.body != nil {
		var err error
		if body, err = json.Marshal(rq.body); err != nil {
			return nil, portal.WrapError(portal.EINTERNAL, err, "OBI: encoding the request to %s", rq.path)
		}
		h.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	// A per-call copy of the caller captures the parsed error answer.
	caller := c.caller
	var apiErr *APIError
	caller.Message = func(status int, b []byte) string {
		apiErr = parseError(status, b)
		return apiErr.text()
	}
	resp, err := caller.Do(ctx, upstream.Request{Method: rq.method, URL: u, Header: h, Body: body, Idempotent: rq.read, Decode: rq.decode})
	if err != nil {
		var pe *portal.Error
		if apiErr != nil && errors.As(err, &pe) && pe.Err == nil {
			pe.Err = apiErr
		}
		return nil, err
	}
	return resp.Body, nil
}

// get reads data from a GET answer's envelope.
func (c *Client) get(ctx context.Context, path string, query url.Values) (*decoder, json.RawMessage, error) {
	b, err := c.do(ctx, request{method: http.MethodGet, path: path, query: query, read: true})
	if err != nil {
		return nil, nil, err
	}
	d := &decoder{where: "GET " + path}
	data := d.envelope(b)
	return d, data, d.err
}

// write sends a write and returns the data of its answer's envelope. A
// 2xx whose body is not the envelope was still processed by something, so
// the transport makes it EUNCERTAIN, never EUNAVAILABLE: the outbox must
// not resend it blindly.
func (c *Client) write(ctx context.Context, path string, body any) (json.RawMessage, error) {
	var data json.RawMessage
	decode := func(b []byte) error {
		d := &decoder{where: "POST " + path}
		data = d.envelope(b)
		return d.err
	}
	if _, err := c.do(ctx, request{method: http.MethodPost, path: path, body: body, decode: decode}); err != nil {
		return nil, err
	}
	return data, nil
}

// checkID refuses an id that is not a UUID before it reaches a URL or a body.
func checkID(what, id string) error {
	if !isUUID(id) {
		return portal.Errorf(portal.EINVALID, "OBI: %s %q is not a UUID", what, id)
	}
	return nil
}
