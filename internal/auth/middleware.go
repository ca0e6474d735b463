package auth

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
)

type sessionKey struct{}
type tokenKey struct{}

// SessionFromContext returns the request's session, or nil.
func SessionFromContext(ctx context.Context) *portal.Session {
	s, _ := ctx.Value(sessionKey{}).(*portal.Session)
	return s
}

// SessionTokenFromContext returns the request's session cookie value, or "".
func SessionTokenFromContext(ctx context.Context) string {
	s, _ := ctx.Value(tokenKey{}).(string)
	return s
}

// Public reports whether a path is served without a session: health
// checks, static files and the sign-in routes themselves.
func Public(path string) bool {
	return path == "/healthz" || path == "/readyz" || strings.HasPrefix(path, "/static/") ||
		path == "/favicon.ico" || strings.HasPrefix(path, "/auth/")
}

// APIPrefix starts the JSON API's paths. The API is opened by personal
// access tokens only (Authorization: Bearer), never by the session
// cookie: Sessions and CSRF leave its requests alone, and since a browser
// never sends a bearer token by itself, the API has no CSRF surface.
const APIPrefix = "/api/"

// IsAPI reports whether a path belongs to the JSON API.
func IsAPI(path string) bool { return strings.HasPrefix(path, APIPrefix) }

// Sessions loads the session named by the cookie and puts it and its user
// into the request context. Without a live session, a GET of a page goes to
// the sign-in with the page as return address, and anything else is refused.
func (a *Auth) Sessions() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if IsAPI(req.URL.Path) {
				return next(c)
			}
			var sess *portal.Session
			var token string
			if ck, err := c.Cookie(SessionCookie); err == nil && ck.Value != "" {
				s, err := a.store.SessionByToken(req.Context(), ck.Value, a.cfg.Idle)
				if err == nil {
					sess, token = s, ck.Value
					a.store.TouchSession(req.Context(), token, s.LastSeen)
				} else if portal.ErrorCode(err) != portal.EUNAUTHORIZED {
					return err
				}
			}
			if sess != nil {
				ctx := context.WithValue(req.Context(), sessionKey{}, sess)
				ctx = context.WithValue(ctx, tokenKey{}, token)
				ctx = portal.NewContextWithUser(ctx, &sess.User)
				c.SetRequest(req.WithContext(ctx))
			}
			if sess == nil && !Public(req.URL.Path) {
				if req.Method == http.MethodGet || req.Method == http.MethodHead {
					return c.Redirect(http.StatusFound, "/auth/login?return_to="+url.QueryEscape(req.URL.RequestURI()))
				}
				return portal.Errorf(portal.EUNAUTHORIZED, "Please sign in first.")
			}
			return next(c)
		}
	}
}

// CSRFField is the form field (and X-CSRF-Token the header) carrying the
// token; a token in the query string is not read.
const CSRFField = "csrf_token"

// CSRF refuses a state-changing request unless it carries the session's
// CSRF token and, when the browser says where it comes from, comes from
// this site. Sign-in routes are GETs guarded by their state parameter.
func CSRF() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			switch req.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				return next(c)
			}
			if IsAPI(req.URL.Path) {
				// No cookie opens the API (see APIPrefix).
				return next(c)
			}
			if err := cop.Check(req); err != nil {
				return portal.Errorf(portal.EFORBIDDEN, "This request came from another site and was refused.")
			}
			sess := SessionFromContext(req.Context())
			if sess == nil {
				return portal.Errorf(portal.EFORBIDDEN, "This form has expired. Please reload the page and try again.")
			}
			// The token comes from a header or the body, never the query
			// string: a URL is written to request logs, proxies' logs and
			// the browser's history, where a token must not end up.
			got := req.Header.Get("X-CSRF-Token")
			if got == "" {
				got = req.PostFormValue(CSRFField)
			}
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
				return portal.Errorf(portal.EFORBIDDEN, "This form has expired or was not sent from the portal. Please reload the page and try again.")
			}
			return next(c)
		}
	}
}

// RequireAdmin refuses users who are not admins.
func RequireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := portal.UserFromContext(c.Request().Context()); u == nil || !u.Admin {
			return portal.Errorf(portal.EFORBIDDEN, "This page is for admins.")
		}
		return next(c)
	}
}

// RequireManager refuses users who manage no project and are not admins.
func RequireManager(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := portal.UserFromContext(c.Request().Context()); u == nil || !u.IsManager() {
			return portal.Errorf(portal.EFORBIDDEN, "This page is for project managers.")
		}
		return next(c)
	}
}
