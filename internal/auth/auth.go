// Package auth signs people in with OpenID Connect (authorization code flow
// with state, nonce and PKCE), keeps their server-side sessions, and puts
// the signed-in user into each request's context.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"github.com/accounting-portal/portal/internal/portal"
)

// Cookie names.
const (
	SessionCookie = "portal_session"
	// LoginCookie prefixes the cookie of each sign-in attempt.
	LoginCookie = "portal_login"
)

// loginTTL is how long a started login may take to come back.
const loginTTL = 10 * time.Minute

// Limits on failed sign-ins per client address: after slowAfter failures
// in failWindow each new sign-in waits a second more per failure, after
// refuseAfter it is refused until the window ends. maxClients bounds the
// addresses remembered.
const (
	failWindow  = 15 * time.Minute
	slowAfter   = 5
	refuseAfter = 20
	maxClients  = 10_000
)

// Store keeps sessions; cache.DB implements it. Sign-ins in progress are
// not stored (they travel in sealed cookies, see attempt), so a person who
// has not signed in writes nothing.
type Store interface {
	CreateSession(ctx context.Context, u portal.User, idToken string, maxAge time.Duration) (string, error)
	SessionByToken(ctx context.Context, token string, idle time.Duration) (*portal.Session, error)
	TouchSession(ctx context.Context, token string, lastSeen time.Time) error
	DeleteSession(ctx context.Context, token string) error
}

// Config configures sign-in.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	Scopes       []string
	// PublicURL is the portal's base URL; the callback is PublicURL/auth/callback.
	PublicURL string
	Roles     RoleMapping
	// Idle and MaxAge end sessions; Secure sets the cookies' Secure flag.
	Idle, MaxAge time.Duration
	Secure       bool
	// HTTPClient talks to the provider (nil: http.DefaultClient).
	HTTPClient *http.Client
	// Now is the clock for token expiry checks (nil: time.Now).
	Now func() time.Time
	// Slowdown waits before answering a client with recent failed logins
	// (nil: time.Sleep honouring ctx). Tests replace it.
	Slowdown func(ctx context.Context, d time.Duration)
	// TrustedProxies are the reverse proxies whose X-Forwarded-For or
	// Forwarded header names the client (PORTAL_TRUSTED_PROXIES).
	TrustedProxies Proxies
	// SignInFailed, when set, is told of each failed sign-in (the
	// operators' metrics count them).
	SignInFailed func()
}

// Auth is the sign-in machinery.
type Auth struct {
	cfg        Config
	store      Store
	log        *slog.Logger
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	endSession string
	seal       *sealer
	failures   *failures
	// warnedProxy is set once an untrusted peer sent a forwarding header.
	warnedProxy atomic.Bool
}

// New discovers the provider (retrying for up to a minute, because the
// portal and its provider often start together) and returns Auth. It fails
// rather than start a portal nobody can sign in to.
func New(ctx context.Context, cfg Config, store Store, log *slog.Logger) (*Auth, error) {
	if cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, cfg.HTTPClient)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var provider *oidc.Provider
	var err error
	deadline := time.Now().Add(time.Minute)
	for wait := 250 * time.Millisecond; ; wait = min(wait*2, 5*time.Second) {
		provider, err = oidc.NewProvider(ctx, cfg.Issuer)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		log.Warn("OIDC provider not ready, retrying", slog.String("issuer", cfg.Issuer), slog.Any("error", err))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	if err != nil {
		return nil, fmt.Errorf("auth: discover %s: %w", cfg.Issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	provider.Claims(&meta)
	seal, err := newSealer()
	if err != nil {
		return nil, fmt.Errorf("auth: sign-in key: %w", err)
	}
	a := &Auth{
		cfg: cfg, store: store, log: log, endSession: meta.EndSession, seal: seal, failures: newFailures(failWindow, maxClients),
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Endpoint: provider.Endpoint(),
			RedirectURL: strings.TrimRight(cfg.PublicURL, "/") + "/auth/callback", Scopes: cfg.Scopes,
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: cfg.Now}),
	}
	return a, nil
}

// Route is one of the sign-in routes, for the web layer to mount.
type Route struct {
	Method, Path string
	Handler      echo.HandlerFunc
	// SignedIn is set on routes for signed-in people only.
	SignedIn bool
}

// Routes lists /auth/login, /auth/callback and /auth/logout.
func (a *Auth) Routes() []Route {
	return []Route{
		{Method: http.MethodGet, Path: "/auth/login", Handler: a.handleLogin},
		{Method: http.MethodGet, Path: "/auth/callback", Handler: a.handleCallback},
		{Method: http.MethodPost, Path: "/auth/logout", Handler: a.handleLogout, SignedIn: true},
	}
}

// SafeReturnTo returns raw if it is a path on this site, else "/". Only a
// local path may follow a login, so a crafted link cannot send a person
// who just signed in to another site.
func SafeReturnTo(raw string) string {
	if raw == "" || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") || strings.HasPrefix(raw, "/\\") {
		return "/"
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "/auth/") {
		return "/"
	}
	// Check the result too: re-encoding can turn an escaped slash back
	// into a real one ("/%2Fevil.example/{" gives "//evil.example/%7B", a
	// link to another site; found by FuzzSafeReturnTo).
	out := u.RequestURI()
	if strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") {
		return "/"
	}
	return out
}

func (a *Auth) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: a.cfg.Secure, SameSite: http.SameSiteLaxMode}
	if maxAge < 0 {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	}
	return c
}

// loginCookieName names the cookie of one sign-in attempt after its state,
// so that sign-ins started in two tabs at once do not overwrite each
// other. A forged or unknown state names a cookie that does not exist.
func loginCookieName(state string) string {
	sum := sha256.Sum256([]byte(state))
	return LoginCookie + "_" + hex.EncodeToString(sum[:6])
}

// ClientAddr returns the address of the client of r (see Proxies.Client)
// and whether it is a real client address. The first request that
// carries a forwarding header from a peer that is not a trusted proxy is
// logged: behind a proxy that is missing from PORTAL_TRUSTED_PROXIES
// every person seems to come from the proxy.
func (a *Auth) ClientAddr(r *http.Request) (netip.Addr, bool) {
	addr, real := a.cfg.TrustedProxies.Client(r)
	if real && (r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "") && !a.cfg.TrustedProxies.trusts(peerAddr(r.RemoteAddr)) &&
		a.warnedProxy.CompareAndSwap(false, true) {
		a.log.Warn("a request came with X-Forwarded-For or Forwarded from a peer that is not a trusted proxy; the header is ignored. "+
			"If the portal runs behind a reverse proxy, list its address in PORTAL_TRUSTED_PROXIES", slog.String("peer", addr.String()))
	}
	return addr, real
}

func (a *Auth) handleLogin(c echo.Context) error {
	ctx := c.Request().Context()
	if err := a.throttle(ctx, c.Request()); err != nil {
		return err
	}
	at := attempt{State: portal.NewToken(), Nonce: portal.NewToken(), Verifier: oauth2.GenerateVerifier(),
		ReturnTo: SafeReturnTo(c.QueryParam("return_to")), Created: a.cfg.Now().Unix()}
	if len(at.ReturnTo) > maxReturnTo {
		at.ReturnTo = "/"
	}
	name := loginCookieName(at.State)
	value, err := a.seal.seal(name, at)
	if err != nil {
		return err
	}
	c.SetCookie(a.cookie(name, value, loginTTL))
	return c.Redirect(http.StatusFound, a.oauth.AuthCodeURL(at.State, oidc.Nonce(at.Nonce), oauth2.S256ChallengeOption(at.Verifier)))
}

// throttle slows down, then refuses, a new sign-in from a client address
// with many recent failed attempts. It applies to real client addresses
// only (see ClientAddr): never to a proxy that all people share.
func (a *Auth) throttle(ctx context.Context, r *http.Request) error {
	addr, real := a.ClientAddr(r)
	if !real {
		return nil
	}
	switch n := a.failures.count(clientKey(addr), a.cfg.Now()); {
	case n >= refuseAfter:
		return &portal.Error{Code: portal.EUNAVAILABLE, Status: http.StatusTooManyRequests, Message: "Too many failed sign-in attempts from your address. Please wait 15 minutes and try again."}
	case n >= slowAfter:
		d := time.Duration(n-slowAfter+1) * time.Second
		if a.cfg.Slowdown != nil {
			a.cfg.Slowdown(ctx, d)
		} else {
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
		}
	}
	return nil
}

// attemptFailed ends a sign-in attempt that was started here and failed
// later (the provider refused it, or its answer did not verify): the
// failure counts against the client's address, if it is a real one.
func (a *Auth) attemptFailed(c echo.Context, msg string, cause error) error {
	addr, real := a.ClientAddr(c.Request())
	if real {
		a.failures.add(clientKey(addr), a.cfg.Now())
	}
	if a.cfg.SignInFailed != nil {
		a.cfg.SignInFailed()
	}
	a.log.Warn("sign-in refused", slog.String("reason", msg), slog.Any("error", cause), slog.String("client", addr.String()))
	return &portal.Error{Code: portal.EUNAUTHORIZED, Message: msg + " Please sign in again.", Err: cause}
}

// handleCallback finishes a sign-in. A callback must carry the sealed
// cookie of an attempt started here with the same state; one that does
// not (a forged or replayed callback, a stale tab) is refused and counts
// against nobody, since it cannot sign anybody in. A callback of a real
// attempt ends that attempt, whatever the outcome: its cookie is removed,
// so each attempt can fail once.
func (a *Auth) handleCallback(c echo.Context) error {
	ctx := c.Request().Context()
	state := c.QueryParam("state")
	name := loginCookieName(state)
	ck, err := c.Cookie(name)
	if err != nil {
		return &portal.Error{Code: portal.EUNAUTHORIZED, Message: "This sign-in was not started here, or took too long. Please sign in again.", Err: err}
	}
	c.SetCookie(a.cookie(name, "", -1))
	at, err := a.seal.open(name, ck.Value, a.cfg.Now(), loginTTL)
	if err != nil || subtle.ConstantTimeCompare([]byte(state), []byte(at.State)) != 1 {
		return &portal.Error{Code: portal.EUNAUTHORIZED, Message: "This sign-in was not started here, or took too long. Please sign in again.", Err: err}
	}
	if e := c.QueryParam("error"); e != "" {
		return a.attemptFailed(c, "The identity provider refused the sign-in ("+e+": "+c.QueryParam("error_description")+").", nil)
	}
	user, rawID, err := a.exchange(ctx, c.QueryParam("code"), at)
	if err != nil {
		return a.attemptFailed(c, "The identity provider's answer could not be verified.", err)
	}
	// A new session at every login, and the old one ended: a session id an
	// attacker planted before login is worth nothing after it.
	if old, err := c.Cookie(SessionCookie); err == nil {
		a.store.DeleteSession(ctx, old.Value)
	}
	token, err := a.store.CreateSession(ctx, user, rawID, a.cfg.MaxAge)
	if err != nil {
		return err
	}
	c.SetCookie(a.cookie(SessionCookie, token, 0))
	a.log.Info("signed in", slog.String("subject", user.Subject), slog.Any("roles", user.Roles()))
	return c.Redirect(http.StatusSeeOther, SafeReturnTo(at.ReturnTo))
}

// exchange trades the code for tokens and verifies the ID token: signature,
// issuer, audience and expiry by go-oidc, the nonce here.
func (a *Auth) exchange(ctx context.Context, code string, p attempt) (portal.User, string, error) {
	if a.cfg.HTTPClient != nil {
		ctx = oidc.ClientContext(ctx, a.cfg.HTTPClient)
	}
	tok, err := a.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return portal.User{}, "", fmt.Errorf("code exchange: %w", err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return portal.User{}, "", errors.New("the token response has no id_token")
	}
	idt, err := a.verifier.Verify(ctx, raw)
	if err != nil {
		return portal.User{}, "", err
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		return portal.User{}, "", errors.New("ID token nonce does not match")
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return portal.User{}, "", err
	}
	u := a.cfg.Roles.MapUser(claims)
	if u.Subject == "" {
		return portal.User{}, "", errors.New("ID token has no subject")
	}
	return u, raw, nil
}

func (a *Auth) handleLogout(c echo.Context) error {
	ctx := c.Request().Context()
	var idToken string
	if s := SessionFromContext(ctx); s != nil {
		idToken = s.IDToken
	}
	if ck, err := c.Cookie(SessionCookie); err == nil {
		if err := a.store.DeleteSession(ctx, ck.Value); err != nil {
			return err
		}
	}
	c.SetCookie(a.cookie(SessionCookie, "", -1))
	back := strings.TrimRight(a.cfg.PublicURL, "/") + "/auth/signed-out"
	if a.endSession == "" {
		return c.Redirect(http.StatusSeeOther, "/auth/signed-out")
	}
	q := url.Values{"post_logout_redirect_uri": {back}, "client_id": {a.cfg.ClientID}}
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	sep := "?"
	if strings.Contains(a.endSession, "?") {
		sep = "&"
	}
	return c.Redirect(http.StatusSeeOther, a.endSession+sep+q.Encode())
}
