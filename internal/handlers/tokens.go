package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// Personal access tokens, under the person's account: make one (a name, an
// expiry of at most a year, a scope), see its secret once, list and
// revoke them. Admins see and revoke every person's.

func (h *Handler) registerTokens(e *echo.Echo) {
	if h.Tokens == nil {
		return
	}
	h.add(e, "GET", "/account/tokens", h.handleTokens, Member)
	h.add(e, "GET", "/account/tokens.csv", h.handleTokensCSV, Member)
	h.add(e, "POST", "/account/tokens", h.handleTokenCreate, Member)
	h.add(e, "POST", "/account/tokens/:id/revoke", h.handleTokenRevoke, Member)
}

// maxTokenName bounds a token's name, in characters.
const maxTokenName = 100

// tokenForm is the form as sent.
type tokenForm struct{ Name, Scope, Expires string }

// NewTokenInput checks a token's name, scope and expiry date (YYYY-MM-DD:
// the token ends at the start of that day, UTC), as the tokens page and
// `portal token create` take them, and returns the token to store or
// the problem of each field.
func NewTokenInput(subject, createdBy, name, scope, expires string, now time.Time) (portal.NewAPIToken, map[string]string) {
	errs := map[string]string{}
	n := portal.NewAPIToken{Subject: subject, CreatedBy: createdBy, Name: strings.TrimSpace(name), Scope: scope}
	switch l := utf8.RuneCountInString(n.Name); {
	case l == 0:
		errs["name"] = "Give the token a name that says what it is for."
	case l > maxTokenName:
		errs["name"] = "Keep the name under " + strconv.Itoa(maxTokenName) + " characters."
	case strings.ContainsFunc(n.Name, unicode.IsControl):
		errs["name"] = "The name cannot hold control characters."
	}
	if scope != portal.ScopeRead && scope != portal.ScopeReadWrite {
		errs["scope"] = "Choose read, or read write."
	}
	day, err := time.Parse("2006-01-02", strings.TrimSpace(expires))
	latest := now.UTC().Add(portal.MaxTokenLife - 24*time.Hour).Truncate(24 * time.Hour)
	switch {
	case strings.TrimSpace(expires) == "":
		errs["expires"] = "Choose the day the token expires: every token does, at most a year from today."
	case err != nil:
		errs["expires"] = "Write the date as YYYY-MM-DD."
	case !day.After(now):
		errs["expires"] = "Choose a day after today."
	case day.After(latest):
		errs["expires"] = "A token lives at most a year: choose " + latest.Format("2006-01-02") + " or earlier."
	}
	n.Expires = day
	return n, errs
}

func (h *Handler) handleTokens(c echo.Context) error {
	return h.renderTokens(c, http.StatusOK, tokenForm{Scope: portal.ScopeRead}, nil, "", "")
}

func (h *Handler) handleTokenCreate(c echo.Context) error {
	u := user(c)
	f := tokenForm{Name: c.FormValue("name"), Scope: c.FormValue("scope"), Expires: c.FormValue("expires")}
	n, errs := NewTokenInput(u.Subject, u.Subject, f.Name, f.Scope, f.Expires, h.nowUTC())
	if len(errs) > 0 {
		return h.renderTokens(c, http.StatusUnprocessableEntity, f, errs, "", "")
	}
	secret, _, err := h.Tokens.CreateAPIToken(c.Request().Context(), n)
	if err != nil {
		return err
	}
	// The secret is shown in this answer only (never in a redirect's URL
	// or a flash message, which are stored): a reload does not show it.
	return h.renderTokens(c, http.StatusOK, tokenForm{Scope: portal.ScopeRead}, nil, secret, n.Name)
}

func (h *Handler) handleTokenRevoke(c echo.Context) error {
	u := user(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return portal.Errorf(portal.ENOTFOUND, "There is no such token.")
	}
	owner := u.Subject
	if u.Admin {
		owner = ""
	}
	if err := h.Tokens.RevokeAPIToken(c.Request().Context(), id, owner, u.Subject); err != nil {
		return err
	}
	return h.flashRedirect(c, "Token revoked: it no longer opens the API.", "/account/tokens")
}

func (h *Handler) renderTokens(c echo.Context, status int, f tokenForm, errs map[string]string, secret, secretName string) error {
	u, now := user(c), h.nowUTC()
	toks, err := h.tokenList(c.Request().Context(), u)
	if err != nil {
		return err
	}
	p, err := h.page(c, "API tokens", "account")
	if err != nil {
		return err
	}
	// The page is not cached: it may hold a secret.
	c.Response().Header().Set("Cache-Control", "no-store")
	v := templates.TokensView{Page: p, All: u.Admin, Secret: secret, SecretName: secretName, Name: f.Name, Scope: f.Scope,
		Expires: f.Expires, Errors: errs, APIBase: APIBase,
		MaxExpires: now.Add(portal.MaxTokenLife - 24*time.Hour).Format("2006-01-02")}
	for _, t := range toks {
		row := templates.TokenRow{ID: t.ID, Hint: t.Hint, Owner: t.OwnerName, Name: t.Name, Scope: t.Scope,
			Created: templates.FormatTime(t.Created), LastUsed: "never", Expires: templates.FormatTime(t.Expires),
			State: "active", StateKind: "ok", CanRevoke: true}
		if row.Owner == "" {
			row.Owner = t.Subject
		}
		if !t.LastUsed.IsZero() {
			row.LastUsed = templates.FormatTime(t.LastUsed)
		}
		switch tokenState(t, now) {
		case "revoked":
			row.State, row.StateKind, row.CanRevoke = "revoked "+templates.FormatTime(t.Revoked), "bad", false
		case "expired":
			row.State, row.StateKind, row.CanRevoke = "expired", "warn", false
		}
		v.Tokens = append(v.Tokens, row)
	}
	v.CSVHref = "/account/tokens.csv"
	return render(c, status, templates.Tokens(v))
}

// tokenState is a token's state at now: active, revoked or expired.
func tokenState(t portal.APIToken, now time.Time) string {
	switch {
	case !t.Revoked.IsZero():
		return "revoked"
	case !now.Before(t.Expires):
		return "expired"
	}
	return "active"
}

// handleTokensCSV is the CSV twin of the tokens page's table: the user's
// tokens (an admin's: everyone's), never their secrets.
func (h *Handler) handleTokensCSV(c echo.Context) error {
	u, now := user(c), h.nowUTC()
	toks, err := h.tokenList(c.Request().Context(), u)
	if err != nil {
		return err
	}
	w, err := streamCSV(c, "api-tokens.csv", []string{"token_id", "name", "owner", "owner_subject", "hint", "scope",
		"created_utc", "last_used_utc", "expires_utc", "revoked_utc", "state"})
	if err != nil {
		return err
	}
	for _, t := range toks {
		if err := w.row([]string{strconv.FormatInt(t.ID, 10), t.Name, t.OwnerName, t.Subject, t.Hint, t.Scope,
			csvTime(t.Created), csvTime(t.LastUsed), csvTime(t.Expires), csvTime(t.Revoked), tokenState(t, now)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}

// tokenList is the user's tokens, or every token for an admin.
func (h *Handler) tokenList(ctx context.Context, u *portal.User) ([]portal.APIToken, error) {
	return h.Tokens.APITokens(ctx, u.Subject, u.Admin)
}
