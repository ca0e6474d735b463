// Package vergeos is the portal's client for the VergeOS billing API
// (shared/upstreams/vergeos/API.md): the system check, listing billing
// records by created time (whole windows, page by page, or incrementally
// after a high-water mark), the latest record, one record by key, and the
// "generate" billing action. It also holds the unit conversions and the
// range summary the VergeOS SDKs compute.
//
// Every request goes through upstream.Caller: reads are retried on 429/5xx
// with backoff (honouring Retry-After), writes never are, and every failure
// is a *portal.Error carrying VergeOS's own message.
package vergeos

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/clients/upstream"
	"github.com/accounting-portal/portal/internal/portal"
)

// Page sizes: the default, and the cap pyvergeos applies (MAX_PAGE_SIZE).
const (
	DefaultPageSize = 500
	MaxPageSize     = 1000
)

// DefaultRetries is a sensible number of extra attempts for reads: the
// same as pyvergeos (urllib3 Retry(total=3)).
const DefaultRetries = 3

// upstreamName names VergeOS in every message.
const upstreamName = "VergeOS"

// Config configures a Client. Exactly one way to authenticate must be set:
// User and Password (HTTP Basic) or APIKey (Bearer).
type Config struct {
	// BaseURL is the VergeOS address, e.g. "https://vergeos.example.org" or
	// "https://10.0.0.5:8443". A trailing "/api" or "/api/v4" is accepted
	// and ignored: the client adds "/api/v4/<table>" itself.
	BaseURL string
	// User and Password authenticate with HTTP Basic.
	User, Password string
	// APIKey authenticates with "Authorization: Bearer <APIKey>".
	APIKey string
	// PageSize is the `limit` of each list request; 0 means DefaultPageSize,
	// and it may not exceed MaxPageSize.
	PageSize int
	// Timeout bounds each attempt; 0 means 30 seconds.
	Timeout time.Duration
	// Retries is the number of extra attempts for reads that failed with
	// 429, 5xx or a transport error; 0 means none, as in the portal's other
	// clients (the portal passes DefaultRetries).
	Retries int
	// Backoff is the wait before the first retry, doubled each time; 0 means 500ms.
	Backoff time.Duration
	// HTTPClient is optional, e.g. to trust the simulator's CA.
	HTTPClient *http.Client
	// Logger receives one debug line per request when Debug is set (never credentials).
	Logger *slog.Logger
	Debug  bool
}

// Client talks to one VergeOS system. It is safe for concurrent use.
type Client struct {
	base     string // scheme://host[:port], no trailing slash
	auth     string // the Authorization header value
	pageSize int
	caller   *upstream.Caller
}

// New validates cfg and returns a Client. It makes no request: call System
// to check the address and credentials.
func New(cfg Config) (*Client, error) {
	base, err := normalizeBase(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	auth, err := authHeader(cfg)
	if err != nil {
		return nil, err
	}
	size := cfg.PageSize
	switch {
	case size == 0:
		size = DefaultPageSize
	case size < 0 || size > MaxPageSize:
		return nil, portal.Errorf(portal.EINVALID, "vergeos: config: PageSize must be between 1 and %d, got %d", MaxPageSize, size)
	}
	if cfg.Timeout < 0 {
		return nil, portal.Errorf(portal.EINVALID, "vergeos: config: Timeout must not be negative")
	}
	if cfg.Retries < 0 {
		return nil, portal.Errorf(portal.EINVALID, "vergeos: config: Retries must not be negative, got %d", cfg.Retries)
	}
	return &Client{
		base:     base,
		auth:     auth,
		pageSize: size,
		caller: &upstream.Caller{
			Name: upstreamName, HTTP: upstream.Pooled(cfg.HTTPClient), Timeout: cfg.Timeout, Retries: cfg.Retries,
			Backoff: cfg.Backoff, Logger: cfg.Logger, Debug: cfg.Debug, Message: errorMessage,
		},
	}, nil
}

// PageSize returns the `limit` the client asks for on each list request.
func (c *Client) PageSize() int { return c.pageSize }

func normalizeBase(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		return "", portal.Errorf(portal.EINVALID, "vergeos: config: BaseURL is required")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", portal.Errorf(portal.EINVALID, "vergeos: config: BaseURL %q must be an http(s) URL with a host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", portal.Errorf(portal.EINVALID, "vergeos: config: BaseURL %q must not carry a query, fragment or credentials", raw)
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/api/v4")
	p = strings.TrimSuffix(p, "/api")
	return u.Scheme + "://" + u.Host + p, nil
}

func authHeader(cfg Config) (string, error) {
	basic := cfg.User != "" || cfg.Password != ""
	bearer := cfg.APIKey != ""
	switch {
	case basic && bearer:
		return "", portal.Errorf(portal.EINVALID, "vergeos: config: set either User/Password or APIKey, not both")
	case bearer:
		return "Bearer " + cfg.APIKey, nil
	case cfg.User == "" && basic:
		return "", portal.Errorf(portal.EINVALID, "vergeos: config: User is required with Password")
	case cfg.Password == "" && basic:
		return "", portal.Errorf(portal.EINVALID, "vergeos: config: Password is required with User")
	case basic:
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(cfg.User+":"+cfg.Password)), nil
	default:
		return "", portal.Errorf(portal.EINVALID, "vergeos: config: credentials are required: User and Password, or APIKey")
	}
}

// headers are the ones both SDKs send on every request (API.md §1).
func (c *Client) headers() http.Header {
	return http.Header{
		"Authorization":      {c.auth},
		"Accept":             {"application/json"},
		"Content-Type":       {"application/json"},
		"X-Json-Non-Compact": {"1"},
		"User-Agent":         {"accounting-portal-vergeos"},
	}
}

// get reads path (below the base URL) with query; reads are retried.
func (c *Client) get(ctx context.Context, path string, query url.Values) ([]byte, error) {
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	resp, err := c.caller.Do(ctx, upstream.Request{Method: http.MethodGet, URL: u, Header: c.headers(), Idempotent: true})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// post writes body to path once: a write is never retried here, so the
// outbox can tell "nothing happened" (EUNAVAILABLE/EINVALID...) from
// "unknown" (EUNCERTAIN). decode checks a 2xx body (upstream.Request.Decode).
func (c *Client) post(ctx context.Context, path string, body []byte, decode func([]byte) error) (*upstream.Response, error) {
	return c.caller.Do(ctx, upstream.Request{Method: http.MethodPost, URL: c.base + path, Header: c.headers(), Body: body, Decode: decode})
}
