package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func minimal() map[string]string {
	return map[string]string{
		"PORTAL_PUBLIC_URL":     "https://accounting.example.org",
		"PORTAL_OIDC_ISSUER":    "https://id.example.org/realms/research",
		"PORTAL_OIDC_CLIENT_ID": "portal",
	}
}

func TestLoad_DefaultsAndEnv(t *testing.T) {
	c, err := Load(nil, env(minimal()), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DBPath != "portal.db" || c.OIDC.RolesClaim != "groups" || c.Sessions.Idle != time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
	if !c.Secure() || c.Argo.Configured() || c.OBI.Configured() {
		t.Fatalf("secure/configured: %+v", c)
	}
	if strings.Join(c.OIDC.Scopes, " ") != "openid profile email" {
		t.Fatalf("scopes %v", c.OIDC.Scopes)
	}
}

func TestLoad_FlagBeatsEnv_SecretFromFile(t *testing.T) {
	e := minimal()
	e["PORTAL_ADDR"] = ":9000"
	dir := t.TempDir()
	secret := filepath.Join(dir, "token")
	os.WriteFile(secret, []byte("s3cret-token\n"), 0o600)
	e["PORTAL_ARGO_URL"] = "https://argo.example.org"
	e["PORTAL_ARGO_TOKEN_FILE"] = secret
	c, err := Load([]string{"-addr", "127.0.0.1:7000", "-argo-interval", "1m"}, env(e), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" {
		t.Errorf("flag did not win: %s", c.Addr)
	}
	if c.Argo.Token != "s3cret-token" || c.Argo.Interval != time.Minute {
		t.Errorf("argo: %+v", c.Argo)
	}
}

func TestLoad_ListsEveryProblem(t *testing.T) {
	e := map[string]string{
		"PORTAL_PUBLIC_URL":      "not a url",
		"PORTAL_OIDC_SCOPES":     "profile",
		"PORTAL_MANAGER_PATTERN": "managers",
		"PORTAL_SESSION_IDLE":    "10x",
		"PORTAL_ARGO_URL":        "https://argo.example.org",
		"PORTAL_OBI_URL":         "ftp://obi",
		"PORTAL_VERGEOS_URL":     "https://v.example.org",
		"PORTAL_VERGEOS_USER":    "u",
		"PORTAL_VERGEOS_API_KEY": "k",
		"PORTAL_AMIE_URL":        "https://usage.example.org/api/v1",
		"PORTAL_AMIE_INTERVAL":   "1s",
		"PORTAL_DB":              "",
		"PORTAL_UPSTREAM_DEBUG":  "maybe",
		"PORTAL_OBI_TOKEN_FILE":  "/nonexistent/token",
	}
	_, err := Load(nil, env(e), io.Discard)
	var p *Problems
	if !errors.As(err, &p) {
		t.Fatalf("error %v is not *Problems", err)
	}
	for _, want := range []string{
		"PORTAL_OIDC_ISSUER is required", "PORTAL_OIDC_CLIENT_ID is required", "PORTAL_PUBLIC_URL: \"not a url\"",
		"must include openid", "PORTAL_MANAGER_PATTERN", "PORTAL_SESSION_IDLE: \"10x\" is not a duration",
		"PORTAL_ARGO_TOKEN", "PORTAL_OBI_URL", "not both", "PORTAL_AMIE_SITE and PORTAL_AMIE_API_KEY",
		"PORTAL_AMIE_INTERVAL must be at least 10s", "PORTAL_UPSTREAM_DEBUG", "PORTAL_OBI_TOKEN_FILE: cannot read",
		"PORTAL_PROJECTS_FILE is required when PORTAL_OBI_URL",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing problem %q in:\n%v", want, err)
		}
	}
	if len(p.List) < 14 {
		t.Errorf("only %d problems listed", len(p.List))
	}
}

func TestLoad_UnknownFlagAndArgs(t *testing.T) {
	if _, err := Load([]string{"-nope"}, env(minimal()), io.Discard); err == nil {
		t.Error("unknown flag accepted")
	}
	if _, err := Load([]string{"extra"}, env(minimal()), io.Discard); err == nil {
		t.Error("stray argument accepted")
	}
}

func TestSettings_UniqueAndDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Settings {
		if seen[s.Env] || seen[s.Flag] || !strings.HasPrefix(s.Env, "PORTAL_") || s.Help == "" {
			t.Errorf("setting %+v duplicated or undocumented", s)
		}
		seen[s.Env], seen[s.Flag] = true, true
	}
}

func TestCompilePattern(t *testing.T) {
	re, err := CompilePattern("urn:geant:example.org:group:{project}:role=manager")
	if err != nil {
		t.Fatal(err)
	}
	m := re.FindStringSubmatch("urn:geant:example.org:group:neuro-sim:role=manager")
	if m == nil || m[1] != "neuro-sim" {
		t.Fatalf("match %v", m)
	}
	if re.MatchString("xurn:geant:example.org:group:a:role=manager") || re.MatchString("urn:geant:example.org:group:a:role=managerx") {
		t.Error("pattern not anchored")
	}
	for _, bad := range []string{"", "none", "{project}{project}"} {
		if _, err := CompilePattern(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseCatalog(t *testing.T) {
	good := `{"virtual_labs":[{"id":"1b3b3f0e-4f5c-4c36-a3a6-0a1b2c3d4e5f","name":"Lab"}],
	 "projects":[{"key":"neuro","name":"Neuro","argo_id":"NEURO","obi_id":"2b3b3f0e-4f5c-4c36-a3a6-0a1b2c3d4e5f","obi_vlab_id":"1b3b3f0e-4f5c-4c36-a3a6-0a1b2c3d4e5f","amie_id":"TG-1"}]}`
	c, err := ParseCatalog([]byte(good), "p.json")
	if err != nil || len(c.Projects) != 1 || c.Projects[0].UpstreamID("amie") != "TG-1" {
		t.Fatalf("%v %+v", err, c)
	}
	bad := `{"virtual_labs":[{"id":"x","name":""}],
	 "projects":[{"key":"a b","name":"A","obi_id":"nope","obi_vlab_id":"other"},{"key":"a b","name":"","argo_id":"X"},{"key":"c","name":"C","argo_id":"X"}]}`
	_, err = ParseCatalog([]byte(bad), "p.json")
	for _, want := range []string{"virtual_labs[0].id", "virtual_labs[0].name is empty", "projects[0].key", "projects[0].obi_id", "projects[0].obi_vlab_id", "projects[1].key: a b is listed twice", "projects[1].name is empty", "argo id X is also used by project a b"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in %v", want, err)
		}
	}
	_, err = ParseCatalog([]byte("{\n\"projects\": 5}"), "p.json")
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("type error without line: %v", err)
	}
	_, err = ParseCatalog([]byte(`{"projects":[],"extra":1}`), "p.json")
	if err == nil || !strings.Contains(err.Error(), "extra") {
		t.Errorf("unknown field accepted: %v", err)
	}
}

// TestREADME_DocumentsEverySetting keeps the README's reference true.
func TestREADME_DocumentsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings {
		if !strings.Contains(string(b), "`"+s.Env+"`") || !strings.Contains(string(b), "`-"+s.Flag+"`") {
			t.Errorf("README does not document %s / -%s", s.Env, s.Flag)
		}
	}
}

// TestLoad_FourEyes is on unless turned off, and refuses a non-boolean.
func TestLoad_FourEyes(t *testing.T) {
	c, err := Load(nil, env(minimal()), io.Discard)
	if err != nil || !c.FourEyes {
		t.Fatalf("default: %v %+v", err, c)
	}
	e := minimal()
	e["PORTAL_FOUR_EYES"] = "false"
	if c, err := Load(nil, env(e), io.Discard); err != nil || c.FourEyes {
		t.Fatalf("PORTAL_FOUR_EYES=false: %v %+v", err, c)
	}
	e["PORTAL_FOUR_EYES"] = "sometimes"
	if _, err := Load(nil, env(e), io.Discard); err == nil || !strings.Contains(err.Error(), `PORTAL_FOUR_EYES: "sometimes" is not true or false`) {
		t.Fatalf("a bad value: %v", err)
	}
}

func TestLoad_TrustedProxies(t *testing.T) {
	e := minimal()
	e["PORTAL_TRUSTED_PROXIES"] = "10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,::1"
	c, err := Load(nil, env(e), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.TrustedProxies {
		got = append(got, p.String())
	}
	if strings.Join(got, " ") != "10.0.0.0/8 192.0.2.7/32 2001:db8::/32 ::1/128" {
		t.Fatalf("trusted proxies %v", got)
	}
	if c, err := Load(nil, env(minimal()), io.Discard); err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("default: %v %v", err, c.TrustedProxies)
	}
	e["PORTAL_TRUSTED_PROXIES"] = "10.0.0.0/33,proxy.example.org"
	_, err = Load(nil, env(e), io.Discard)
	if err == nil || !strings.Contains(err.Error(), `PORTAL_TRUSTED_PROXIES: "10.0.0.0/33", "proxy.example.org": not an address or a CIDR`) {
		t.Fatalf("bad proxies: %v", err)
	}
}

// TestLoad_ConfirmOlderThan is a year unless set, in days, and refuses
// anything that is not a number of days.
func TestLoad_ConfirmOlderThan(t *testing.T) {
	c, err := Load(nil, env(minimal()), io.Discard)
	if err != nil || c.ConfirmOlderThan != 365*24*time.Hour {
		t.Fatalf("default: %v %v", err, c.ConfirmOlderThan)
	}
	for v, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "90": 90 * 24 * time.Hour, "0d": 0} {
		e := minimal()
		e["PORTAL_CONFIRM_OLDER_THAN"] = v
		if c, err := Load(nil, env(e), io.Discard); err != nil || c.ConfirmOlderThan != want {
			t.Errorf("%q: %v %v, want %v", v, err, c, want)
		}
	}
	for _, v := range []string{"1y", "-5d", "8760h", "d"} {
		e := minimal()
		e["PORTAL_CONFIRM_OLDER_THAN"] = v
		if _, err := Load(nil, env(e), io.Discard); err == nil || !strings.Contains(err.Error(), "PORTAL_CONFIRM_OLDER_THAN: "+strconv.Quote(v)+" is not a number of days") {
			t.Errorf("%q: %v", v, err)
		}
	}
}
