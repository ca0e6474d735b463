// Package amie is the portal's client of the ACCESS AMIE Usage API
// (shared/upstreams/amie/API.md): sending usage records (compute, storage,
// adjustment) split into requests under 768 KiB, the processing status per
// resource for a time window, the records that failed processing, and
// clearing them. Every call carries the XA-SITE and XA-API-KEY headers and
// goes through upstream.Caller, so reads are retried and writes never are,
// and every error is a *portal.Error.
//
// Telling whether records arrived after an unknown outcome: the API has no
// idempotency key, but LocalRecordID is unique per resource and record
// type, so a record sent again is not counted again (the simulator answers
// it as "already received"; a changed record replaces the earlier one). After
// an EUNCERTAIN send, LookupFailed shows which of the chunk's records the
// upstream has and failed; the others are either loaded or never arrived,
// which the API cannot tell apart, and re-sending the same chunk (same
// LocalRecordIDs) settles them without counting any twice.
package amie

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/clients/upstream"
	"github.com/accounting-portal/portal/internal/portal"
)

// Limits of requests.
const (
	// MaxBodyBytes is the default bound of a POST body: every body is
	// strictly smaller than 768 KiB, the limit amieclient keeps to (API.md §7).
	MaxBodyBytes = 768 << 10
	// MaxURLBytes is the default bound of a DELETE usage/failed/{ids} URL.
	MaxURLBytes = 2000
	// minBodyBytes keeps a configured body bound above a message's envelope.
	minBodyBytes = 1024
)

// Config configures a Client.
type Config struct {
	// BaseURL is the API root that amieclient calls usage_url, e.g.
	// https://usage.example.org/api/v1; paths are relative to it.
	BaseURL string
	// Site and APIKey are sent as XA-SITE and XA-API-KEY.
	Site   string
	APIKey string
	// Timeout bounds each attempt; 0 means 30 seconds.
	Timeout time.Duration
	// Retries is the number of extra attempts of reads; writes are never retried.
	Retries int
	// HTTPClient is optional, e.g. for TLS roots.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Debug      bool
	// MaxBodyBytes bounds each POST body (strictly smaller); 0 means MaxBodyBytes.
	MaxBodyBytes int
	// MaxURLBytes bounds each DELETE URL when clearing failed records; 0 means MaxURLBytes.
	MaxURLBytes int
}

// Client calls one AMIE Usage API site.
type Client struct {
	base    string
	header  http.Header
	caller  *upstream.Caller
	maxBody int
	maxURL  int
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case cfg.BaseURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, portal.Errorf(portal.EINVALID, "amie: BaseURL %q must be an absolute http(s) URL", cfg.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, portal.Errorf(portal.EINVALID, "amie: BaseURL %q must not have a query or fragment", cfg.BaseURL)
	case cfg.Site == "" || strings.ContainsAny(cfg.Site, "\r\n"):
		return nil, portal.Errorf(portal.EINVALID, "amie: Site (XA-SITE) is required and must be one line")
	case cfg.APIKey == "" || strings.ContainsAny(cfg.APIKey, "\r\n"):
		return nil, portal.Errorf(portal.EINVALID, "amie: APIKey (XA-API-KEY) is required and must be one line")
	case cfg.Timeout < 0:
		return nil, portal.Errorf(portal.EINVALID, "amie: Timeout must not be negative")
	case cfg.Retries < 0:
		return nil, portal.Errorf(portal.EINVALID, "amie: Retries must not be negative")
	case cfg.MaxBodyBytes != 0 && cfg.MaxBodyBytes < minBodyBytes:
		return nil, portal.Errorf(portal.EINVALID, "amie: MaxBodyBytes must be 0 (default) or at least %d", minBodyBytes)
	}
	c := &Client{base: strings.TrimRight(cfg.BaseURL, "/"), maxBody: cfg.MaxBodyBytes, maxURL: cfg.MaxURLBytes}
	if c.maxBody == 0 {
		c.maxBody = MaxBodyBytes
	}
	if c.maxURL == 0 {
		c.maxURL = MaxURLBytes
	}
	// Room for at least one 19-digit id after the path.
	if need := len(c.base) + len("/usage/failed/") + 19; c.maxURL < need {
		return nil, portal.Errorf(portal.EINVALID, "amie: MaxURLBytes must be 0 (default) or at least %d for this BaseURL", need)
	}
	// The header names are spelt as amieclient sends them (not canonicalised).
	c.header = http.Header{"XA-SITE": {cfg.Site}, "XA-API-KEY": {cfg.APIKey}, "Accept": {"application/json"}}
	c.caller = &upstream.Caller{Name: "AMIE", HTTP: upstream.Pooled(cfg.HTTPClient), Timeout: cfg.Timeout, Retries: cfg.Retries,
		Logger: cfg.Logger, Debug: cfg.Debug, Message: errorMessage}
	return c, nil
}

// do sends one request to a path relative to the base URL. Only GETs are
// idempotent: a POST of records and a DELETE of failures are sent once,
// and the transport says whether their outcome is known.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (*upstream.Response, error) {
	return c.doDecode(ctx, method, path, body, nil)
}

// doDecode is do with a check of a 2xx body (upstream.Request.Decode).
func (c *Client) doDecode(ctx context.Context, method, path string, body []byte, decode func([]byte) error) (*upstream.Response, error) {
	h := c.header
	if body != nil {
		h = h.Clone()
		h.Set("Content-Type", "application/json")
	}
	return c.caller.Do(ctx, upstream.Request{Method: method, URL: c.base + "/" + path, Header: h, Body: body,
		Idempotent: method == http.MethodGet, Decode: decode})
}

// errorMessage extracts the upstream's own text from an error answer:
// {"error": ...} (API.md §6), else a Message, else a short plain body.
func errorMessage(status int, body []byte) string {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) == nil {
		for _, k := range []string{"error", "Error", "Message", "message", "detail"} {
			var s string
			if json.Unmarshal(obj[k], &s) == nil && s != "" {
				return s
			}
		}
		return ""
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if strings.ContainsAny(s, "<{") {
		return ""
	}
	return s
}

// malformed is the error for an answer that is not what the API promises.
func malformed(code, where, format string, args ...any) error {
	return portal.Errorf(code, "AMIE: %s: %s", where, fmt.Sprintf(format, args...))
}
