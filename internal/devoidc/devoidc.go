// Package devoidc is a small OpenID Connect provider for `portal demo` and
// the tests: a real issuer with a discovery document, a JWKS, the
// authorization-code flow with PKCE (S256, required), RS256-signed ID
// tokens from a key generated at start, userinfo and an end-session
// endpoint. Its sign-in page is a form with a field `user`: there are no
// passwords, so it must never face a network people share.
package devoidc

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// User is a person who can sign in.
type User struct {
	ID          string // the value of the form field `user`
	Description string // shown on the sign-in page
	Subject     string
	Name        string
	Email       string
	Groups      []string
}

// Config configures the provider.
type Config struct {
	// Issuer is the URL the provider is served at (no trailing slash).
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURIs and PostLogoutURIs are the exact URIs the client may use.
	RedirectURIs   []string
	PostLogoutURIs []string
	Users          []User
	// TokenTTL is the ID token lifetime (default 1h).
	TokenTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Provider is the running provider; it is an http.Handler.
type Provider struct {
	cfg    Config
	key    *rsa.PrivateKey
	kid    string
	signer jose.Signer
	mux    *http.ServeMux

	mu     sync.Mutex
	codes  map[string]*grant
	access map[string]*User
	tamper func(claims map[string]any)
}

// grant is an issued authorization code waiting for its exchange.
type grant struct {
	user                         *User
	clientID, redirectURI, nonce string
	challenge                    string
	scope                        string
	expires                      time.Time
}

// New returns a provider with a fresh signing key.
func New(cfg Config) (*Provider, error) {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Issuer = strings.TrimRight(cfg.Issuer, "/")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("devoidc: key: %w", err)
	}
	kid := randomString(8)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("devoidc: signer: %w", err)
	}
	p := &Provider{cfg: cfg, key: key, kid: kid, signer: signer, mux: http.NewServeMux(),
		codes: map[string]*grant{}, access: map[string]*User{}}
	p.mux.HandleFunc("GET /.well-known/openid-configuration", p.handleDiscovery)
	p.mux.HandleFunc("GET /jwks", p.handleJWKS)
	p.mux.HandleFunc("GET /authorize", p.handleAuthorize)
	p.mux.HandleFunc("POST /authorize", p.handleAuthorize)
	p.mux.HandleFunc("POST /token", p.handleToken)
	p.mux.HandleFunc("GET /userinfo", p.handleUserinfo)
	p.mux.HandleFunc("GET /logout", p.handleLogout)
	p.mux.HandleFunc("GET /style.css", handleStyle)
	return p, nil
}

// ServeHTTP serves the provider.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action *; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	p.mux.ServeHTTP(w, r)
}

// Issuer returns the issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// Tamper sets a function that changes the claims of ID tokens issued from
// now on, so tests can check that the portal refuses a wrong nonce, an
// expired token or another audience. nil removes it.
func (p *Provider) Tamper(fn func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = fn
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	iss := p.cfg.Issuer
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                iss + "/authorize",
		"token_endpoint":                        iss + "/token",
		"jwks_uri":                              iss + "/jwks",
		"userinfo_endpoint":                     iss + "/userinfo",
		"end_session_endpoint":                  iss + "/logout",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "groups"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nonce", "name", "email", "groups", "preferred_username"},
	})
}

func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: "RS256", Use: "sig"}}})
}

// authRequest is the part of an authorization request the provider checks
// and carries through its sign-in form.
type authRequest struct {
	ClientID, RedirectURI, State, Nonce, Challenge, Scope string
}

func parseAuthRequest(v url.Values) authRequest {
	return authRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), State: v.Get("state"),
		Nonce: v.Get("nonce"), Challenge: v.Get("code_challenge"), Scope: v.Get("scope")}
}

func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	ar := parseAuthRequest(r.Form)
	// An unknown client or redirect URI is shown, never redirected to.
	if ar.ClientID != p.cfg.ClientID || !slices.Contains(p.cfg.RedirectURIs, ar.RedirectURI) {
		renderError(w, http.StatusBadRequest, "Unknown client or redirect URI.")
		return
	}
	if r.Form.Get("response_type") != "code" || r.Form.Get("code_challenge_method") != "S256" || ar.Challenge == "" ||
		!slices.Contains(strings.Fields(ar.Scope), "openid") {
		redirectError(w, r, ar, "invalid_request", "response_type=code, scope openid and PKCE with S256 are required")
		return
	}
	if r.Method == http.MethodGet {
		renderLogin(w, http.StatusOK, p.cfg.Users, ar, "")
		return
	}
	user := p.user(r.PostForm.Get("user"))
	if user == nil {
		renderLogin(w, http.StatusBadRequest, p.cfg.Users, ar, "Choose one of the listed users.")
		return
	}
	code := randomString(24)
	p.mu.Lock()
	p.codes[code] = &grant{user: user, clientID: ar.ClientID, redirectURI: ar.RedirectURI, nonce: ar.Nonce,
		challenge: ar.Challenge, scope: ar.Scope, expires: p.cfg.Now().Add(time.Minute)}
	p.mu.Unlock()
	q := url.Values{"code": {code}}
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	http.Redirect(w, r, ar.RedirectURI+"?"+q.Encode(), http.StatusFound)
}

func redirectError(w http.ResponseWriter, r *http.Request, ar authRequest, code, desc string) {
	q := url.Values{"error": {code}, "error_description": {desc}}
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	http.Redirect(w, r, ar.RedirectURI+"?"+q.Encode(), http.StatusFound)
}

func (p *Provider) user(id string) *User {
	for i := range p.cfg.Users {
		if p.cfg.Users[i].ID == id {
			return &p.cfg.Users[i]
		}
	}
	return nil
}

func (p *Provider) clientAuthenticated(r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	return id == p.cfg.ClientID && subtle.ConstantTimeCompare([]byte(secret), []byte(p.cfg.ClientSecret)) == 1
}

func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body is not a form")
		return
	}
	if !p.clientAuthenticated(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="devoidc"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only authorization_code is supported")
		return
	}
	p.mu.Lock()
	g := p.codes[r.PostForm.Get("code")]
	delete(p.codes, r.PostForm.Get("code")) // a code is good for one exchange
	p.mu.Unlock()
	if g == nil || p.cfg.Now().After(g.expires) || g.redirectURI != r.PostForm.Get("redirect_uri") {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "the code is unknown, used, expired or for another redirect URI")
		return
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		oauthError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
		return
	}
	idToken, err := p.idToken(g)
	if err != nil {
		oauthError(w, http.StatusInternalServerError, "server_error", "could not sign the ID token")
		return
	}
	access := randomString(24)
	p.mu.Lock()
	p.access[access] = g.user
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer",
		"expires_in": int(p.cfg.TokenTTL / time.Second), "id_token": idToken, "scope": g.scope})
}

func (p *Provider) userClaims(u *User) map[string]any {
	return map[string]any{"sub": u.Subject, "name": u.Name, "email": u.Email, "preferred_username": u.ID, "groups": u.Groups}
}

func (p *Provider) idToken(g *grant) (string, error) {
	now := p.cfg.Now()
	claims := p.userClaims(g.user)
	claims["iss"] = p.cfg.Issuer
	claims["aud"] = g.clientID
	claims["azp"] = g.clientID
	claims["iat"] = now.Unix()
	claims["auth_time"] = now.Unix()
	claims["exp"] = now.Add(p.cfg.TokenTTL).Unix()
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	p.mu.Lock()
	tamper := p.tamper
	p.mu.Unlock()
	if tamper != nil {
		tamper(claims)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := p.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	u := p.access[tok]
	p.mu.Unlock()
	if !ok || u == nil {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, p.userClaims(u))
}

func (p *Provider) handleLogout(w http.ResponseWriter, r *http.Request) {
	if back := r.URL.Query().Get("post_logout_redirect_uri"); back != "" && slices.Contains(p.cfg.PostLogoutURIs, back) {
		http.Redirect(w, r, back, http.StatusFound)
		return
	}
	renderMessage(w, http.StatusOK, "Signed out", "You have signed out of the development identity provider.")
}
