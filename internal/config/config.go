// Package config reads the portal's configuration from command-line flags
// and PORTAL_* environment variables (secrets also from PORTAL_*_FILE), and
// checks it, reporting every problem at once. Settings are one table, so
// the flags, the variables, the checks and the README's reference cannot
// drift apart.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Config is the whole configuration of `portal serve`.
type Config struct {
	Addr      string
	DBPath    string
	PublicURL string
	LogLevel  slog.Level
	LogFormat string // "text" or "json"

	OIDC     OIDC
	Sessions Sessions

	// ProjectsFile names the JSON catalogue of projects and their ids in each
	// upstream (see LoadCatalog); empty means projects are known by their
	// upstream ids only.
	ProjectsFile string

	Argo    Argo
	OBI     OBI
	AMIE    AMIE
	VergeOS VergeOS

	UpstreamTimeout time.Duration
	UpstreamDebug   bool

	// TLS serves HTTPS directly when both files are set.
	TLS TLS
	// ProjectsPoll is how often the projects file is checked for changes
	// (0: only on SIGHUP).
	ProjectsPoll time.Duration

	// TrustedProxies are the reverse proxies whose X-Forwarded-For or
	// Forwarded header names the client (empty: none; the peer is the client).
	TrustedProxies []netip.Prefix

	// FourEyes refuses an admin's approval of a budget request they made
	// themselves (on by default; off for sites with a single admin).
	FourEyes bool

	// Costs configures the rate card, budgets and cross-source checks.
	Costs Costs

	// MetricsAddr is the address of the operators' Prometheus listener
	// (empty: none).
	MetricsAddr string
}

// OIDC configures login.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	Scopes       []string
	// RolesClaim is the claim (a dotted path for nested claims, such as
	// realm_access.roles) holding the list of groups or entitlements.
	RolesClaim string
	NameClaim  string
	// AdminGroups are the claim values that make a user an admin.
	AdminGroups []string
	// ManagerPattern and MemberPattern map a claim value to a project key;
	// "{project}" marks where the key is.
	ManagerPattern string
	MemberPattern  string
}

// Sessions configures the login session.
type Sessions struct {
	Idle     time.Duration
	Absolute time.Duration
}

// Argo configures the ARGO Accounting Service.
type Argo struct {
	URL, Token, CAFile string
	Interval           time.Duration
}

// OBI configures the OBI accounting service.
type OBI struct {
	URL, Token string
	Interval   time.Duration
}

// AMIE configures the ACCESS AMIE Usage API.
type AMIE struct {
	URL, Site, APIKey string
	Interval          time.Duration
}

// VergeOS configures VergeOS billing.
type VergeOS struct {
	URL, User, Password, APIKey, CAFile string
	Interval                            time.Duration
}

// Configured reports whether the upstream has a URL.
func (a Argo) Configured() bool { return a.URL != "" }

// Configured reports whether the upstream has a URL.
func (o OBI) Configured() bool { return o.URL != "" }

// Configured reports whether the upstream has a URL.
func (a AMIE) Configured() bool { return a.URL != "" }

// Configured reports whether the upstream has a URL.
func (v VergeOS) Configured() bool { return v.URL != "" }

// Secure reports whether the portal is served over https, by itself or
// behind a proxy (cookies get Secure, responses HSTS).
func (c *Config) Secure() bool {
	return strings.HasPrefix(c.PublicURL, "https://") || c.TLS.Enabled()
}

// Setting is one configuration entry.
type Setting struct {
	Flag    string // flag name without the dash
	Env     string // PORTAL_... variable
	Default string
	Help    string
	Secret  bool // may also come from <Env>_FILE; never printed
	set     func(c *Config, v string) error
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func dur(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%q is not a duration (use e.g. 90s, 15m, 2h)", v)
		}
		*p(c) = d
		return nil
	}
}

func boolean(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		switch strings.ToLower(v) {
		case "1", "true", "yes", "on":
			*p(c) = true
		case "0", "false", "no", "off", "":
			*p(c) = false
		default:
			return fmt.Errorf("%q is not true or false", v)
		}
		return nil
	}
}

// prefixes reads comma- or space-separated CIDRs; a bare address stands
// for itself (a /32 or /128).
func prefixes(p func(*Config) *[]netip.Prefix) func(*Config, string) error {
	return func(c *Config, v string) error {
		var bad []string
		var nets []netip.Prefix
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			if n, err := netip.ParsePrefix(s); err == nil {
				nets = append(nets, n.Masked())
			} else if a, err := netip.ParseAddr(s); err == nil {
				nets = append(nets, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			} else {
				bad = append(bad, strconv.Quote(s))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("%s: not an address or a CIDR (e.g. 10.0.0.5 or 10.0.0.0/24)", strings.Join(bad, ", "))
		}
		*p(c) = nets
		return nil
	}
}

func list(p func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var out []string
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
			out = append(out, s)
		}
		*p(c) = out
		return nil
	}
}

// Settings is the table of every setting, in the order the README lists them.
var Settings = []Setting{
	{Flag: "addr", Env: "PORTAL_ADDR", Default: ":8080", Help: "listen address", set: str(func(c *Config) *string { return &c.Addr })},
	{Flag: "tls-cert-file", Env: "PORTAL_TLS_CERT_FILE", Help: "serve HTTPS with this certificate chain (PEM); needs PORTAL_TLS_KEY_FILE; re-read on SIGHUP", set: str(func(c *Config) *string { return &c.TLS.CertFile })},
	{Flag: "tls-key-file", Env: "PORTAL_TLS_KEY_FILE", Help: "private key (PEM) of PORTAL_TLS_CERT_FILE", set: str(func(c *Config) *string { return &c.TLS.KeyFile })},
	{Flag: "db", Env: "PORTAL_DB", Default: "portal.db", Help: "SQLite database file (created if missing)", set: str(func(c *Config) *string { return &c.DBPath })},
	{Flag: "public-url", Env: "PORTAL_PUBLIC_URL", Help: "URL people open, e.g. https://accounting.example.org (required; https makes cookies Secure)", set: str(func(c *Config) *string { return &c.PublicURL })},
	{Flag: "log-level", Env: "PORTAL_LOG_LEVEL", Default: "info", Help: "debug, info, warn or error", set: func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},
	{Flag: "log-format", Env: "PORTAL_LOG_FORMAT", Default: "text", Help: "text or json", set: func(c *Config, v string) error {
		if v != "text" && v != "json" {
			return fmt.Errorf("%q is neither text nor json", v)
		}
		c.LogFormat = v
		return nil
	}},
	{Flag: "oidc-issuer", Env: "PORTAL_OIDC_ISSUER", Help: "OIDC issuer URL (required); its discovery document must be reachable", set: str(func(c *Config) *string { return &c.OIDC.Issuer })},
	{Flag: "oidc-client-id", Env: "PORTAL_OIDC_CLIENT_ID", Help: "OIDC client id (required)", set: str(func(c *Config) *string { return &c.OIDC.ClientID })},
	{Flag: "oidc-client-secret", Env: "PORTAL_OIDC_CLIENT_SECRET", Secret: true, Help: "OIDC client secret (empty for a public client; PKCE is always used)", set: str(func(c *Config) *string { return &c.OIDC.ClientSecret })},
	{Flag: "oidc-scopes", Env: "PORTAL_OIDC_SCOPES", Default: "openid,profile,email", Help: "scopes to request, comma-separated (must include openid; add groups or entitlements if your provider needs it)", set: list(func(c *Config) *[]string { return &c.OIDC.Scopes })},
	{Flag: "oidc-roles-claim", Env: "PORTAL_OIDC_ROLES_CLAIM", Default: "groups", Help: "claim holding groups or entitlements; a dotted path reaches nested claims (realm_access.roles)", set: str(func(c *Config) *string { return &c.OIDC.RolesClaim })},
	{Flag: "oidc-name-claim", Env: "PORTAL_OIDC_NAME_CLAIM", Default: "name", Help: "claim holding the display name (falls back to email, then sub)", set: str(func(c *Config) *string { return &c.OIDC.NameClaim })},
	{Flag: "admin-groups", Env: "PORTAL_ADMIN_GROUPS", Default: "portal-admins", Help: "claim values that make a user an admin, comma-separated", set: list(func(c *Config) *[]string { return &c.OIDC.AdminGroups })},
	{Flag: "manager-pattern", Env: "PORTAL_MANAGER_PATTERN", Default: "project:{project}:manager", Help: "claim value pattern for the manager of a project; {project} is the project key", set: str(func(c *Config) *string { return &c.OIDC.ManagerPattern })},
	{Flag: "member-pattern", Env: "PORTAL_MEMBER_PATTERN", Default: "project:{project}:member", Help: "claim value pattern for a member (viewer) of a project", set: str(func(c *Config) *string { return &c.OIDC.MemberPattern })},
	{Flag: "session-idle", Env: "PORTAL_SESSION_IDLE", Default: "1h", Help: "a session ends after this long without a request", set: dur(func(c *Config) *time.Duration { return &c.Sessions.Idle })},
	{Flag: "session-max", Env: "PORTAL_SESSION_MAX", Default: "12h", Help: "a session ends this long after login, however active", set: dur(func(c *Config) *time.Duration { return &c.Sessions.Absolute })},
	{Flag: "projects-file", Env: "PORTAL_PROJECTS_FILE", Help: "JSON catalogue of projects, virtual labs and their ids in each upstream (see README)", set: str(func(c *Config) *string { return &c.ProjectsFile })},
	{Flag: "projects-poll", Env: "PORTAL_PROJECTS_POLL", Default: "5s", Help: "how often the projects file is checked for changes, which are then loaded without a restart (0: only on SIGHUP)", set: dur(func(c *Config) *time.Duration { return &c.ProjectsPoll })},
	{Flag: "argo-url", Env: "PORTAL_ARGO_URL", Help: "ARGO Accounting Service base URL, e.g. https://api.acc.argo.grnet.gr (empty: not configured)", set: str(func(c *Config) *string { return &c.Argo.URL })},
	{Flag: "argo-token", Env: "PORTAL_ARGO_TOKEN", Secret: true, Help: "ARGO bearer token", set: str(func(c *Config) *string { return &c.Argo.Token })},
	{Flag: "argo-ca-file", Env: "PORTAL_ARGO_CA_FILE", Help: "extra CA certificate (PEM) to trust for ARGO", set: str(func(c *Config) *string { return &c.Argo.CAFile })},
	{Flag: "argo-interval", Env: "PORTAL_ARGO_INTERVAL", Default: "15m", Help: "how often ARGO is synced", set: dur(func(c *Config) *time.Duration { return &c.Argo.Interval })},
	{Flag: "obi-url", Env: "PORTAL_OBI_URL", Help: "OBI accounting service base URL (empty: not configured)", set: str(func(c *Config) *string { return &c.OBI.URL })},
	{Flag: "obi-token", Env: "PORTAL_OBI_TOKEN", Secret: true, Help: "optional bearer token for an OBI service behind a gateway", set: str(func(c *Config) *string { return &c.OBI.Token })},
	{Flag: "obi-interval", Env: "PORTAL_OBI_INTERVAL", Default: "5m", Help: "how often OBI is synced", set: dur(func(c *Config) *time.Duration { return &c.OBI.Interval })},
	{Flag: "amie-url", Env: "PORTAL_AMIE_URL", Help: "AMIE Usage API base URL including /api/v1 (empty: not configured)", set: str(func(c *Config) *string { return &c.AMIE.URL })},
	{Flag: "amie-site", Env: "PORTAL_AMIE_SITE", Help: "AMIE site name (XA-SITE)", set: str(func(c *Config) *string { return &c.AMIE.Site })},
	{Flag: "amie-api-key", Env: "PORTAL_AMIE_API_KEY", Secret: true, Help: "AMIE API key (XA-API-KEY)", set: str(func(c *Config) *string { return &c.AMIE.APIKey })},
	{Flag: "amie-interval", Env: "PORTAL_AMIE_INTERVAL", Default: "10m", Help: "how often AMIE is synced", set: dur(func(c *Config) *time.Duration { return &c.AMIE.Interval })},
	{Flag: "vergeos-url", Env: "PORTAL_VERGEOS_URL", Help: "VergeOS base URL, e.g. https://vergeos.example.org (empty: not configured)", set: str(func(c *Config) *string { return &c.VergeOS.URL })},
	{Flag: "vergeos-user", Env: "PORTAL_VERGEOS_USER", Help: "VergeOS user (Basic auth; or use an API key)", set: str(func(c *Config) *string { return &c.VergeOS.User })},
	{Flag: "vergeos-password", Env: "PORTAL_VERGEOS_PASSWORD", Secret: true, Help: "VergeOS password", set: str(func(c *Config) *string { return &c.VergeOS.Password })},
	{Flag: "vergeos-api-key", Env: "PORTAL_VERGEOS_API_KEY", Secret: true, Help: "VergeOS API key (Bearer)", set: str(func(c *Config) *string { return &c.VergeOS.APIKey })},
	{Flag: "vergeos-ca-file", Env: "PORTAL_VERGEOS_CA_FILE", Help: "extra CA certificate (PEM) to trust for VergeOS", set: str(func(c *Config) *string { return &c.VergeOS.CAFile })},
	{Flag: "vergeos-interval", Env: "PORTAL_VERGEOS_INTERVAL", Default: "15m", Help: "how often VergeOS is synced", set: dur(func(c *Config) *time.Duration { return &c.VergeOS.Interval })},
	{Flag: "upstream-timeout", Env: "PORTAL_UPSTREAM_TIMEOUT", Default: "30s", Help: "time limit of one upstream request", set: dur(func(c *Config) *time.Duration { return &c.UpstreamTimeout })},
	{Flag: "upstream-debug", Env: "PORTAL_UPSTREAM_DEBUG", Default: "false", Help: "log every upstream request and status (never credentials)", set: boolean(func(c *Config) *bool { return &c.UpstreamDebug })},
	{Flag: "trusted-proxies", Env: "PORTAL_TRUSTED_PROXIES", Help: "reverse proxies (comma-separated CIDRs or addresses) whose X-Forwarded-For or Forwarded header names the client; empty: the peer is the client", set: prefixes(func(c *Config) *[]netip.Prefix { return &c.TrustedProxies })},
	{Flag: "four-eyes", Env: "PORTAL_FOUR_EYES", Default: "true", Help: "no admin approves a budget request they made themselves; false allows it (sites with a single admin)", set: boolean(func(c *Config) *bool { return &c.FourEyes })},
	{Flag: "base-currency", Env: "PORTAL_BASE_CURRENCY", Default: "EUR", Help: "the site's base currency (a three-letter code): budgets, statements and totals are in it, and other currencies are converted to it with the dated FX table", set: currency(func(c *Config) *string { return &c.Costs.BaseCurrency })},
	{Flag: "budget-warn-percent", Env: "PORTAL_BUDGET_WARN_PERCENT", Default: "80", Help: "a budget is flagged once this percentage of it is spent (or when it would run out before its period ends at the burn rate)", set: percent(func(c *Config) *decimal.Decimal { return &c.Costs.WarnPercent })},
	{Flag: "reconcile-tolerance-percent", Env: "PORTAL_RECONCILE_TOLERANCE_PERCENT", Default: "5", Help: "the cross-source checks flag a project and month whose AMIE SUs and ARGO cpu_hours differ by more than this percentage", set: percent(func(c *Config) *decimal.Decimal { return &c.Costs.TolerancePercent })},
	{Flag: "metrics-addr", Env: "PORTAL_METRICS_ADDR", Help: "listen address of the operators' Prometheus metrics (/metrics there), apart from the pages; empty: off", set: str(func(c *Config) *string { return &c.MetricsAddr })},
}

// Load reads the configuration from args (without the program and command
// names) and getenv, then validates it. The error lists every problem.
// Flags win over variables, variables over defaults; a secret's _FILE
// variable is read when the plain variable is unset.
func Load(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("portal serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	vals := make(map[string]*string, len(Settings))
	for _, s := range Settings {
		vals[s.Flag] = fs.String(s.Flag, "", s.Help+defaultNote(s))
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("config: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	c := &Config{}
	var problems []string
	for _, s := range Settings {
		v, from, err := value(s, given[s.Flag], *vals[s.Flag], getenv)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if err := s.set(c, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", from, err))
		}
	}
	problems = append(problems, c.validate()...)
	if len(problems) > 0 {
		return nil, &Problems{List: problems}
	}
	return c, nil
}

func defaultNote(s Setting) string {
	if s.Default == "" {
		return ""
	}
	return " (default " + s.Default + ")"
}

// value returns a setting's raw value and where it came from.
func value(s Setting, flagGiven bool, flagVal string, getenv func(string) string) (string, string, error) {
	if flagGiven {
		return flagVal, "-" + s.Flag, nil
	}
	if v := getenv(s.Env); v != "" {
		return v, s.Env, nil
	}
	if s.Secret {
		if path := getenv(s.Env + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", "", fmt.Errorf("%s_FILE: cannot read %s: %v", s.Env, path, errors.Unwrap(err))
			}
			return strings.TrimRight(string(b), "\r\n"), s.Env + "_FILE", nil
		}
	}
	return s.Default, s.Env + " default", nil
}

// Problems is every problem found in a configuration.
type Problems struct{ List []string }

func (p *Problems) Error() string {
	return "invalid configuration:\n  - " + strings.Join(p.List, "\n  - ")
}

func (c *Config) validate() []string {
	var p []string
	need := func(v, env string) {
		if v == "" {
			p = append(p, env+" is required")
		}
	}
	need(c.Addr, "PORTAL_ADDR")
	need(c.DBPath, "PORTAL_DB")
	need(c.PublicURL, "PORTAL_PUBLIC_URL")
	need(c.OIDC.Issuer, "PORTAL_OIDC_ISSUER")
	need(c.OIDC.ClientID, "PORTAL_OIDC_CLIENT_ID")
	need(c.OIDC.RolesClaim, "PORTAL_OIDC_ROLES_CLAIM")
	p = append(p, checkURL(c.PublicURL, "PORTAL_PUBLIC_URL")...)
	p = append(p, checkURL(c.OIDC.Issuer, "PORTAL_OIDC_ISSUER")...)
	if len(c.OIDC.Scopes) > 0 && !slices.Contains(c.OIDC.Scopes, "openid") {
		p = append(p, "PORTAL_OIDC_SCOPES must include openid")
	}
	for env, pat := range map[string]string{"PORTAL_MANAGER_PATTERN": c.OIDC.ManagerPattern, "PORTAL_MEMBER_PATTERN": c.OIDC.MemberPattern} {
		if _, err := CompilePattern(pat); err != nil {
			p = append(p, fmt.Sprintf("%s: %v", env, err))
		}
	}
	if c.Sessions.Idle <= 0 || c.Sessions.Absolute <= 0 {
		p = append(p, "PORTAL_SESSION_IDLE and PORTAL_SESSION_MAX must be positive")
	} else if c.Sessions.Idle > c.Sessions.Absolute {
		p = append(p, "PORTAL_SESSION_IDLE must not be longer than PORTAL_SESSION_MAX")
	}
	if c.UpstreamTimeout <= 0 {
		p = append(p, "PORTAL_UPSTREAM_TIMEOUT must be positive")
	}
	p = append(p, c.validateUpstreams()...)
	p = append(p, c.validateOperations()...)
	return p
}

func (c *Config) validateUpstreams() []string {
	var p []string
	interval := func(d time.Duration, env string) {
		if d < 10*time.Second {
			p = append(p, env+" must be at least 10s")
		}
	}
	file := func(path, env string) {
		if path == "" {
			return
		}
		if _, err := os.Stat(path); err != nil {
			p = append(p, fmt.Sprintf("%s: cannot read %s", env, path))
		}
	}
	file(c.ProjectsFile, "PORTAL_PROJECTS_FILE")
	if c.Argo.Configured() {
		p = append(p, checkURL(c.Argo.URL, "PORTAL_ARGO_URL")...)
		if c.Argo.Token == "" {
			p = append(p, "PORTAL_ARGO_TOKEN (or PORTAL_ARGO_TOKEN_FILE) is required when PORTAL_ARGO_URL is set")
		}
		file(c.Argo.CAFile, "PORTAL_ARGO_CA_FILE")
		interval(c.Argo.Interval, "PORTAL_ARGO_INTERVAL")
	}
	if c.OBI.Configured() {
		p = append(p, checkURL(c.OBI.URL, "PORTAL_OBI_URL")...)
		interval(c.OBI.Interval, "PORTAL_OBI_INTERVAL")
		if c.ProjectsFile == "" {
			p = append(p, "PORTAL_PROJECTS_FILE is required when PORTAL_OBI_URL is set: the OBI service cannot list its virtual labs and projects")
		}
	}
	if c.AMIE.Configured() {
		p = append(p, checkURL(c.AMIE.URL, "PORTAL_AMIE_URL")...)
		if c.AMIE.Site == "" || c.AMIE.APIKey == "" {
			p = append(p, "PORTAL_AMIE_SITE and PORTAL_AMIE_API_KEY are required when PORTAL_AMIE_URL is set")
		}
		interval(c.AMIE.Interval, "PORTAL_AMIE_INTERVAL")
	}
	if c.VergeOS.Configured() {
		p = append(p, checkURL(c.VergeOS.URL, "PORTAL_VERGEOS_URL")...)
		basic := c.VergeOS.User != "" || c.VergeOS.Password != ""
		switch {
		case basic && c.VergeOS.APIKey != "":
			p = append(p, "VergeOS: set either PORTAL_VERGEOS_USER and PORTAL_VERGEOS_PASSWORD or PORTAL_VERGEOS_API_KEY, not both")
		case basic && (c.VergeOS.User == "" || c.VergeOS.Password == ""):
			p = append(p, "VergeOS: PORTAL_VERGEOS_USER and PORTAL_VERGEOS_PASSWORD go together")
		case !basic && c.VergeOS.APIKey == "":
			p = append(p, "VergeOS: PORTAL_VERGEOS_API_KEY or PORTAL_VERGEOS_USER and PORTAL_VERGEOS_PASSWORD are required when PORTAL_VERGEOS_URL is set")
		}
		file(c.VergeOS.CAFile, "PORTAL_VERGEOS_CA_FILE")
		interval(c.VergeOS.Interval, "PORTAL_VERGEOS_INTERVAL")
	}
	return p
}

func checkURL(raw, env string) []string {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []string{fmt.Sprintf("%s: %q is not an absolute http(s) URL", env, raw)}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return []string{fmt.Sprintf("%s: %q must not have a query or fragment", env, raw)}
	}
	return nil
}

// CompilePattern turns a claim pattern with one {project} placeholder into
// an anchored regular expression whose first group is the project key.
func CompilePattern(pattern string) (*regexp.Regexp, error) {
	if strings.Count(pattern, "{project}") != 1 {
		return nil, fmt.Errorf("%q must contain {project} exactly once", pattern)
	}
	before, after, _ := strings.Cut(pattern, "{project}")
	return regexp.Compile("^" + regexp.QuoteMeta(before) + "(.+?)" + regexp.QuoteMeta(after) + "$")
}
