package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/argo"
	"github.com/accounting-portal/portal/internal/clients/obi"
	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/config"
	"github.com/accounting-portal/portal/internal/portal"
)

// Check outcomes.
const (
	CheckOK   = "OK"
	CheckFail = "FAIL"
	CheckSkip = "SKIP" // not configured
)

// CheckResult is one line of `portal check`: what was checked, the
// outcome, and what was found or what to fix. It never holds a secret.
type CheckResult struct {
	Name, Status, Detail string
}

// CheckOptions are what the configuration does not say.
type CheckOptions struct {
	// OIDCClient reaches the identity provider (nil: a default client).
	OIDCClient *http.Client
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Check looks at everything cfg points to, without changing anything:
// the projects file, the database's schema, the TLS certificate, the
// identity provider's discovery document, and each configured upstream
// with one cheap authenticated read through the portal's own client.
func Check(ctx context.Context, cfg *config.Config, opts CheckOptions) []CheckResult {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	a := &App{Config: cfg}
	defer func() {
		for _, c := range a.upstreamClients {
			c.CloseIdleConnections()
		}
	}()
	out := []CheckResult{checkProjects(cfg), checkDatabase(ctx, cfg)}
	if cfg.TLS.Enabled() {
		out = append(out, checkCertificate(cfg, now()))
	}
	out = append(out, checkIssuer(ctx, cfg, opts.OIDCClient))
	for _, u := range checkedUpstreams {
		out = append(out, a.checkUpstream(ctx, u, now()))
	}
	return out
}

func checkProjects(cfg *config.Config) CheckResult {
	r := CheckResult{Name: "projects file"}
	if cfg.ProjectsFile == "" {
		return CheckResult{Name: r.Name, Status: CheckSkip, Detail: "PORTAL_PROJECTS_FILE is not set: projects are known by their upstream ids"}
	}
	r.Name += " " + cfg.ProjectsFile
	c, err := config.LoadCatalog(cfg.ProjectsFile)
	if err != nil {
		r.Status, r.Detail = CheckFail, err.Error()+"; fix the file PORTAL_PROJECTS_FILE names"
		return r
	}
	r.Status, r.Detail = CheckOK, fmt.Sprintf("%d projects in %d virtual labs", len(c.Projects), len(c.VirtualLabs))
	return r
}

func checkDatabase(ctx context.Context, cfg *config.Config) CheckResult {
	r := CheckResult{Name: "database " + cfg.DBPath}
	plan, err := cache.PlanMigrations(ctx, cfg.DBPath)
	switch {
	case err != nil:
		r.Status, r.Detail = CheckFail, err.Error()+"; fix PORTAL_DB or the file's permissions"
	case plan.Newer():
		r.Status, r.Detail = CheckFail, fmt.Sprintf("its schema is newer than this portal (migrations %s); run the portal version that wrote it, or restore a backup made before the upgrade", strings.Join(plan.Unknown, ", "))
	case !plan.Exists:
		r.Status, r.Detail = CheckOK, "does not exist yet; the portal creates it at start"
	case len(plan.Pending) > 0:
		r.Status, r.Detail = CheckOK, fmt.Sprintf("%d migrations will be applied at start: %s", len(plan.Pending), strings.Join(plan.Pending, ", "))
	default:
		r.Status, r.Detail = CheckOK, fmt.Sprintf("schema current (%d migrations)", len(plan.Applied))
	}
	return r
}

func checkCertificate(cfg *config.Config, now time.Time) CheckResult {
	r := CheckResult{Name: "TLS certificate " + cfg.TLS.CertFile}
	cert, err := cfg.TLS.LoadCertificate()
	if err != nil {
		r.Status, r.Detail = CheckFail, err.Error()
		return r
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		r.Status, r.Detail = CheckFail, "cannot parse the certificate: "+err.Error()+"; fix PORTAL_TLS_CERT_FILE"
		return r
	}
	host := ""
	if u, err := url.Parse(cfg.PublicURL); err == nil {
		host = u.Hostname()
	}
	switch {
	case now.After(leaf.NotAfter):
		r.Status, r.Detail = CheckFail, fmt.Sprintf("expired on %s; renew it (then reload the portal)", leaf.NotAfter.UTC().Format(time.DateOnly))
	case now.Before(leaf.NotBefore):
		r.Status, r.Detail = CheckFail, fmt.Sprintf("not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	case host != "" && leaf.VerifyHostname(host) != nil:
		r.Status, r.Detail = CheckFail, fmt.Sprintf("does not name %s, the host of PORTAL_PUBLIC_URL; fix PORTAL_TLS_CERT_FILE or PORTAL_PUBLIC_URL", host)
	default:
		r.Status, r.Detail = CheckOK, fmt.Sprintf("valid for %s until %s", host, leaf.NotAfter.UTC().Format(time.DateOnly))
	}
	return r
}

func checkIssuer(ctx context.Context, cfg *config.Config, hc *http.Client) CheckResult {
	r := CheckResult{Name: "identity provider " + cfg.OIDC.Issuer}
	if hc == nil {
		hc = &http.Client{}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.UpstreamTimeout)
	defer cancel()
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, hc), cfg.OIDC.Issuer)
	hc.CloseIdleConnections()
	if err != nil {
		r.Status, r.Detail = CheckFail, fmt.Sprintf("cannot read its discovery document (%v); fix PORTAL_OIDC_ISSUER: it must be the issuer exactly as the provider states it, and reachable from here", err)
		return r
	}
	r.Status, r.Detail = CheckOK, "discovery document read; authorization endpoint "+p.Endpoint().AuthURL
	return r
}

// checkedUpstream is one upstream as `portal check` reaches it.
type checkedUpstream struct {
	name string
	// configured, url and the settings to fix for each kind of failure.
	configured    func(*config.Config) bool
	url           func(*config.Config) string
	urlEnv, caEnv string
	credentials   func(*config.Config) string
	read          func(ctx context.Context, a *App, now time.Time) (string, error)
}

var checkedUpstreams = []checkedUpstream{
	{
		name: "OBI", configured: func(c *config.Config) bool { return c.OBI.Configured() }, url: func(c *config.Config) string { return c.OBI.URL },
		urlEnv: "PORTAL_OBI_URL", credentials: func(*config.Config) string {
			return "PORTAL_OBI_TOKEN (or PORTAL_OBI_TOKEN_FILE), which a gateway in front of OBI checks"
		},
		read: func(ctx context.Context, a *App, _ time.Time) (string, error) {
			hc, _ := a.upstreamHTTPClient("")
			c, err := obi.New(obi.Config{BaseURL: a.Config.OBI.URL, Token: a.Config.OBI.Token, Timeout: a.Config.UpstreamTimeout, HTTPClient: hc})
			if err != nil {
				return "", err
			}
			v, err := c.Version(ctx)
			return fmt.Sprintf("read its version (%s %s)", v.AppName, v.AppVersion), err
		},
	},
	{
		name: "ARGO", configured: func(c *config.Config) bool { return c.Argo.Configured() }, url: func(c *config.Config) string { return c.Argo.URL },
		urlEnv: "PORTAL_ARGO_URL", caEnv: "PORTAL_ARGO_CA_FILE", credentials: func(*config.Config) string { return "PORTAL_ARGO_TOKEN (or PORTAL_ARGO_TOKEN_FILE)" },
		read: func(ctx context.Context, a *App, _ time.Time) (string, error) {
			hc, err := a.upstreamHTTPClient(a.Config.Argo.CAFile)
			if err != nil {
				return "", err
			}
			c, err := argo.New(argo.Config{BaseURL: a.Config.Argo.URL, Token: a.Config.Argo.Token, Timeout: a.Config.UpstreamTimeout, HTTPClient: hc})
			if err != nil {
				return "", err
			}
			ps, err := c.Projects(ctx)
			return fmt.Sprintf("the token reads %d projects", len(ps)), err
		},
	},
	{
		name: "AMIE", configured: func(c *config.Config) bool { return c.AMIE.Configured() }, url: func(c *config.Config) string { return c.AMIE.URL },
		urlEnv: "PORTAL_AMIE_URL", credentials: func(*config.Config) string {
			return "PORTAL_AMIE_SITE and PORTAL_AMIE_API_KEY (or PORTAL_AMIE_API_KEY_FILE)"
		},
		read: func(ctx context.Context, a *App, now time.Time) (string, error) {
			c, err := a.amieClient()
			if err != nil {
				return "", err
			}
			day := now.UTC().Truncate(24 * time.Hour)
			st, err := c.Status(ctx, day, day.Add(24*time.Hour))
			return fmt.Sprintf("read today's processing status (%d resources)", len(st)), err
		},
	},
	{
		name: "VergeOS", configured: func(c *config.Config) bool { return c.VergeOS.Configured() }, url: func(c *config.Config) string { return c.VergeOS.URL },
		urlEnv: "PORTAL_VERGEOS_URL", caEnv: "PORTAL_VERGEOS_CA_FILE",
		credentials: func(c *config.Config) string {
			if c.VergeOS.APIKey != "" {
				return "PORTAL_VERGEOS_API_KEY (or PORTAL_VERGEOS_API_KEY_FILE)"
			}
			return "PORTAL_VERGEOS_USER and PORTAL_VERGEOS_PASSWORD (or PORTAL_VERGEOS_PASSWORD_FILE)"
		},
		read: func(ctx context.Context, a *App, _ time.Time) (string, error) {
			hc, err := a.upstreamHTTPClient(a.Config.VergeOS.CAFile)
			if err != nil {
				return "", err
			}
			cfg := a.Config.VergeOS
			c, err := vergeos.New(vergeos.Config{BaseURL: cfg.URL, User: cfg.User, Password: cfg.Password, APIKey: cfg.APIKey,
				Timeout: a.Config.UpstreamTimeout, HTTPClient: hc})
			if err != nil {
				return "", err
			}
			info, err := c.System(ctx)
			return fmt.Sprintf("read the system (%s, VergeOS %s)", info.CloudName, info.OSVersion), err
		},
	},
}

func (a *App) checkUpstream(ctx context.Context, u checkedUpstream, now time.Time) CheckResult {
	cfg := a.Config
	if !u.configured(cfg) {
		return CheckResult{Name: u.name, Status: CheckSkip, Detail: "not configured (" + u.urlEnv + " is empty)"}
	}
	r := CheckResult{Name: u.name + " " + redactURL(u.url(cfg))}
	found, err := u.read(ctx, a, now)
	if err != nil {
		r.Status, r.Detail = CheckFail, u.describe(cfg, err)
		return r
	}
	r.Status, r.Detail = CheckOK, found
	return r
}

// describe says what went wrong and which setting to fix.
func (u checkedUpstream) describe(cfg *config.Config, err error) string {
	msg := portal.ErrorMessage(err)
	if portal.ErrorCode(err) == portal.EINTERNAL {
		msg = err.Error() // for the operator: there is no page to keep internals from
	}
	var pe *portal.Error
	if errors.As(err, &pe) && pe.Err != nil && pe.Code == portal.EUNAVAILABLE && pe.Status == 0 {
		msg += " (" + pe.Err.Error() + ")"
	}
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certErr *tls.CertificateVerificationError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch code := portal.ErrorCode(err); {
	case code == portal.EUNAUTHORIZED || code == portal.EFORBIDDEN:
		return msg + "; the credentials were refused: fix " + u.credentials(cfg)
	case errors.As(err, &unknownCA) || errors.As(err, &certErr):
		if u.caEnv != "" {
			return msg + "; its certificate is not trusted: set " + u.caEnv + " to the CA that signed it"
		}
		return msg + "; its certificate is not trusted by this machine"
	case errors.As(err, &hostErr):
		return msg + "; its certificate does not name this host: fix " + u.urlEnv
	case errors.As(err, &dnsErr) || errors.As(err, &opErr):
		return msg + "; fix " + u.urlEnv + " (cannot connect)"
	case code == portal.ENOTFOUND:
		return msg + "; fix " + u.urlEnv + " (is the path right?)"
	default:
		return msg + "; check " + u.urlEnv
	}
}

// redactURL drops a user and password from a URL before it is printed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}
