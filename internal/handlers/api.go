package handlers

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/accounting-portal/portal/internal/auth"
	"github.com/accounting-portal/portal/internal/portal"
)

// The JSON API (/api/v1/) is for scripts: the JSON twin of every table the
// pages show, and the writes the forms make. It is opened by personal
// access tokens only (Authorization: Bearer pap_…), which act as their
// owner with the roles of the owner's last sign-in and never beyond the
// token's scope. A session cookie opens no API route, so the API has no
// CSRF surface; a token opens no page.

// APIBase is the path every API route starts with.
const APIBase = "/api/v1"

// TokenStore keeps personal access tokens; *cache.DB implements it.
type TokenStore interface {
	APIUser(ctx context.Context, secret string) (*portal.User, *portal.APIToken, error)
	CreateAPIToken(ctx context.Context, n portal.NewAPIToken) (string, int64, error)
	APITokens(ctx context.Context, subject string, every bool) ([]portal.APIToken, error)
	RevokeAPIToken(ctx context.Context, id int64, owner, actor string) error
}

// Default rate of API requests per token: a script may burst, then
// settles at the rate.
const (
	DefaultAPIRate  = 20 // requests a second
	DefaultAPIBurst = 60
)

// apiLimiter keeps a token bucket per token.
type apiLimiter struct {
	mu     sync.Mutex
	rate   rate.Limit
	burst  int
	tokens map[int64]*rate.Limiter
}

// maxLimiters bounds the buckets kept; past it they start over (only a
// portal with that many tokens in use at once would notice).
const maxLimiters = 10_000

// wait returns how long the token must wait before its next request (0:
// it may go now, and the request is counted).
func (l *apiLimiter) wait(id int64, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.tokens[id]
	if !ok {
		if len(l.tokens) >= maxLimiters {
			clear(l.tokens)
		}
		lim = rate.NewLimiter(l.rate, l.burst)
		l.tokens[id] = lim
	}
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

type apiTokenKey struct{}

// apiToken returns the token of an API request, or nil.
func apiToken(c echo.Context) *portal.APIToken {
	t, _ := c.Request().Context().Value(apiTokenKey{}).(*portal.APIToken)
	return t
}

// isAPI reports whether the request is one of the API's.
func isAPI(c echo.Context) bool { return auth.IsAPI(c.Request().URL.Path) }

// apiAuth authenticates API requests by their bearer token, limits each
// token's rate, and refuses a read-only token's writes. Other requests
// pass untouched. The OpenAPI document needs no token.
func (h *Handler) apiAuth() echo.MiddlewareFunc {
	lim := &apiLimiter{rate: rate.Limit(h.APIRate), burst: h.APIBurst, tokens: map[int64]*rate.Limiter{}}
	if lim.rate <= 0 {
		lim.rate = DefaultAPIRate
	}
	if lim.burst <= 0 {
		lim.burst = DefaultAPIBurst
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if !auth.IsAPI(req.URL.Path) || req.URL.Path == APIBase+"/openapi.json" {
				return next(c)
			}
			if h.Tokens == nil {
				return portal.Errorf(portal.ENOTFOUND, "There is no API at this address.")
			}
			scheme, secret, ok := strings.Cut(req.Header.Get(echo.HeaderAuthorization), " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="portal"`)
				return portal.Errorf(portal.EUNAUTHORIZED, "Send a personal access token in the Authorization header (Bearer pap_…); make one on your account's Tokens page.")
			}
			u, tok, err := h.Tokens.APIUser(req.Context(), strings.TrimSpace(secret))
			if err != nil {
				if portal.ErrorCode(err) == portal.EUNAUTHORIZED {
					c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="portal", error="invalid_token"`)
				}
				return err
			}
			if d := lim.wait(tok.ID, time.Now()); d > 0 {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
				return &portal.Error{Code: portal.EUNAVAILABLE, Status: http.StatusTooManyRequests,
					Message: "Too many requests with this token; wait as long as Retry-After says (seconds) and send it again."}
			}
			if req.Method != http.MethodGet && req.Method != http.MethodHead && !tok.CanWrite() {
				return portal.Errorf(portal.EFORBIDDEN, "This token may only read (its scope is %q); writing needs a token with the scope %q.", tok.Scope, portal.ScopeReadWrite)
			}
			ctx := portal.NewContextWithUser(req.Context(), u)
			ctx = context.WithValue(ctx, apiTokenKey{}, tok)
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}

// APIError is the body of every API error.
type APIError struct {
	Error APIErrorBody `json:"error"`
}

// APIErrorBody says what went wrong: a code for programs, a message for
// people, and for a 5xx the request id the log holds.
type APIErrorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

// Codes of API errors beyond the portal's own (portal.E*).
const codeRateLimited = "rate_limited"

// apiErrorCodes are every code an API error may carry.
var apiErrorCodes = []string{portal.EINVALID, portal.ENOTFOUND, portal.ECONFLICT, portal.EUNAUTHORIZED, portal.EFORBIDDEN,
	portal.ETOOLARGE, portal.EUNAVAILABLE, portal.EUNCERTAIN, portal.EINTERNAL, codeRateLimited}

// writeAPIError answers an API request with its error as JSON.
func writeAPIError(c echo.Context, status int, code, msg, reqID string) error {
	if status == http.StatusTooManyRequests {
		code = codeRateLimited
	}
	body := APIError{Error: APIErrorBody{Code: code, Message: msg}}
	if status >= 500 {
		body.Error.RequestID = reqID
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b)
}

// writeAPI answers an API request with v as JSON.
func writeAPI(c echo.Context, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Blob(status, echo.MIMEApplicationJSON, b)
}
