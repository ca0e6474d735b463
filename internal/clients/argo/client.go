// Package argo is the portal's client of the ARGO Accounting Service
// (EOSC): projects, providers, installations, metric definitions and
// metrics, and adding a metric to an installation. The wire contract is
// shared/upstreams/argo/API.md.
//
// Every list is read through the server's paging envelope, 100 items a
// page, until the last page. The client accepts both server eras (1.7.0
// and 1.8+): external_id present or not, unit_of_access null, absent, an
// id or an object, capacities absent or present, and the project list at
// /projects or, from 1.8 on, /admin/projects. Every error is a
// *portal.Error carrying the server's own message; reads are retried with
// backoff, writes never (see upstream.Caller).
package argo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/accounting-portal/portal/internal/clients/upstream"
	"github.com/accounting-portal/portal/internal/portal"
)

// apiPath is the root of every route.
const apiPath = "/accounting-system"

// pageSize is the largest page the server allows.
const pageSize = 100

// Config configures a Client.
type Config struct {
	// BaseURL is the server, e.g. "https://api.acc.argo.grnet.gr"; a
	// trailing "/accounting-system" is accepted too.
	BaseURL string
	// Token is the OIDC access token sent as "Authorization: Bearer".
	Token string
	// Timeout bounds each attempt; 0 means 30 seconds.
	Timeout time.Duration
	// Retries is how many times a failed read is tried again (with backoff).
	Retries int
	// HTTPClient is optional, e.g. to trust the simulator's CA.
	HTTPClient *http.Client
	// Logger receives one debug line per request (method, URL, status,
	// duration; never the token) when Debug is set.
	Logger *slog.Logger
	Debug  bool
}

// Client talks to one ARGO Accounting Service.
type Client struct {
	base   string // scheme://host[:port][/prefix]/accounting-system
	token  string
	caller *upstream.Caller
	// projectsPath is where projects are listed: "/projects" until a
	// server answers 404/405 there (1.8+), then "/admin/projects".
	projectsPath atomic.Pointer[string]
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	switch {
	case cfg.BaseURL == "":
		return nil, errors.New("argo: Config.BaseURL is empty")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return nil, fmt.Errorf("argo: Config.BaseURL %q is not an http(s) URL", cfg.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("argo: Config.BaseURL %q has a query or fragment", cfg.BaseURL)
	case strings.TrimSpace(cfg.Token) == "":
		return nil, errors.New("argo: Config.Token is empty")
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("argo: Config.Timeout %v is negative", cfg.Timeout)
	case cfg.Retries < 0:
		return nil, fmt.Errorf("argo: Config.Retries %d is negative", cfg.Retries)
	}
	base := strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/")
	if !strings.HasSuffix(base, apiPath) {
		base += apiPath
	}
	c := &Client{base: base, token: strings.TrimSpace(cfg.Token), caller: &upstream.Caller{
		Name: "ARGO", HTTP: upstream.Pooled(cfg.HTTPClient), Timeout: cfg.Timeout, Retries: cfg.Retries,
		Logger: cfg.Logger, Debug: cfg.Debug, Message: errorMessage,
	}}
	p := "/projects"
	c.projectsPath.Store(&p)
	return c, nil
}

func (c *Client) header() http.Header {
	return http.Header{"Authorization": {"Bearer " + c.token}, "Accept": {"application/json"}}
}

// get reads one resource; path is below /accounting-system.
func (c *Client) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := c.caller.Do(ctx, upstream.Request{Method: http.MethodGet, URL: u, Header: c.header(), Idempotent: true})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// getOne reads a single resource and decodes it.
func getOne[T any](ctx context.Context, c *Client, path string, decode func([]byte) (T, error)) (*T, error) {
	b, err := c.get(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	v, err := decode(b)
	if err != nil {
		return nil, malformed(err, "%s", path)
	}
	return &v, nil
}

// eachPage reads a list page by page (size 100) and hands each decoded
// page to fn, so a caller never needs the whole list in memory. It stops
// after page total_pages or at an empty page, whichever comes first.
func eachPage[T any](ctx context.Context, c *Client, path string, q url.Values, decode func([]byte) (T, error), fn func([]T) error) error {
	if q == nil {
		q = url.Values{}
	}
	for page := 1; ; page++ {
		q.Set("page", strconv.Itoa(page))
		q.Set("size", strconv.Itoa(pageSize))
		b, err := c.get(ctx, path, q)
		if err != nil {
			return err
		}
		env, err := decodeEnvelope(b)
		if err != nil {
			return malformed(err, "page %d of %s", page, path)
		}
		items := make([]T, len(env.Content))
		for i, raw := range env.Content {
			if items[i], err = decode(raw); err != nil {
				return malformed(fmt.Errorf("content[%d].%w", i, err), "page %d of %s", page, path)
			}
		}
		if len(items) > 0 {
			if err := fn(items); err != nil {
				return err
			}
		}
		if len(items) == 0 || page >= env.TotalPages {
			return nil
		}
	}
}

// all collects a whole list; for the small entity lists only.
func all[T any](ctx context.Context, c *Client, path string, decode func([]byte) (T, error)) ([]T, error) {
	var out []T
	err := eachPage(ctx, c, path, nil, decode, func(page []T) error {
		out = append(out, page...)
		return nil
	})
	return out, err
}

// malformed is the error for an answer that is not what API.md promises:
// the upstream misbehaved, nothing was changed (reads only).
func malformed(err error, format string, args ...any) error {
	return portal.Errorf(portal.EUNAVAILABLE, "ARGO: %s: %v", fmt.Sprintf(format, args...), err)
}

// hasStatus reports whether err is an upstream answer with one of the statuses.
func hasStatus(err error, statuses ...int) bool {
	var e *portal.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, s := range statuses {
		if e.Status == s {
			return true
		}
	}
	return false
}

// esc escapes an id for a path segment.
func esc(id string) string { return url.PathEscape(id) }
