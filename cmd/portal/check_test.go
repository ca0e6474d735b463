package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/demo"
	"github.com/accounting-portal/portal/internal/sim"
	"github.com/accounting-portal/portal/internal/sim/simtls"
)

// checkEnv starts the four simulators and the development identity
// provider in this process and returns the settings that point at them.
func checkEnv(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	sims, err := sim.Start(sim.Config{Argo: "127.0.0.1:0", OBI: "127.0.0.1:0", AMIE: "127.0.0.1:0", VergeOS: "127.0.0.1:0", TLSDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sims.Close(context.Background()) })
	publicURL := "https://accounting.example.org"
	idp, stop, err := demo.StartIdP("127.0.0.1", publicURL, sims.World)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	projects := filepath.Join(dir, "projects.json")
	if err := demo.WriteCatalog(projects, demo.Catalog(sims.World)); err != nil {
		t.Fatal(err)
	}
	return demo.Env(dir, publicURL, idp.Issuer(), projects, sims.Info)
}

func runCheckWith(t *testing.T, env map[string]string) (map[string]string, string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), []string{"check"}, func(k string) string { return env[k] }, &out, &bytes.Buffer{})
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		status, rest, _ := strings.Cut(l, " ")
		name, _, _ := strings.Cut(strings.TrimSpace(rest), ":")
		lines[strings.Fields(name)[0]] = status
	}
	return lines, out.String(), err
}

func secretsOf(env map[string]string) []string {
	var s []string
	for _, k := range []string{"PORTAL_OIDC_CLIENT_SECRET", "PORTAL_ARGO_TOKEN", "PORTAL_AMIE_API_KEY", "PORTAL_VERGEOS_API_KEY", "PORTAL_VERGEOS_PASSWORD"} {
		if env[k] != "" {
			s = append(s, env[k])
		}
	}
	return s
}

func TestCheck_ReachesTheProviderAndEveryUpstream(t *testing.T) {
	env := checkEnv(t)
	lines, out, err := runCheckWith(t, env)
	if err != nil {
		t.Fatalf("check failed: %v\n%s", err, out)
	}
	t.Logf("portal check:\n%s", out)
	for _, name := range []string{"configuration", "projects", "database", "identity", "OBI", "ARGO", "AMIE", "VergeOS"} {
		if lines[name] != "OK" {
			t.Errorf("%s: %q\n%s", name, lines[name], out)
		}
	}
	for _, want := range []string{"5 projects in 2 virtual labs", "does not exist yet", "discovery document read", "the token reads"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, s := range secretsOf(env) {
		if strings.Contains(out, s) {
			t.Errorf("a secret is printed")
		}
	}
}

// Each wrong setting fails its own line, which names the setting to fix;
// the other lines stay OK, the command fails, and no secret is printed.
func TestCheck_NamesTheSettingToFix(t *testing.T) {
	base := checkEnv(t)
	cases := []struct {
		name, key, value, failing, says string
	}{
		{"wrong ARGO token", "PORTAL_ARGO_TOKEN", "wrong-argo-token", "ARGO", "fix PORTAL_ARGO_TOKEN (or PORTAL_ARGO_TOKEN_FILE)"},
		{"wrong AMIE key", "PORTAL_AMIE_API_KEY", "wrong-amie-key", "AMIE", "fix PORTAL_AMIE_SITE and PORTAL_AMIE_API_KEY"},
		{"wrong VergeOS key", "PORTAL_VERGEOS_API_KEY", "wrong-vergeos-key", "VergeOS", "fix PORTAL_VERGEOS_API_KEY"},
		{"untrusted ARGO certificate", "PORTAL_ARGO_CA_FILE", "", "ARGO", "set PORTAL_ARGO_CA_FILE to the CA"},
		{"OBI not listening", "PORTAL_OBI_URL", "http://127.0.0.1:1", "OBI", "fix PORTAL_OBI_URL (cannot connect)"},
		{"wrong issuer", "PORTAL_OIDC_ISSUER", base["PORTAL_OIDC_ISSUER"] + "/other", "identity", "fix PORTAL_OIDC_ISSUER"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			env[tc.key] = tc.value
			lines, out, err := runCheckWith(t, env)
			if !errors.Is(err, errSilent) {
				t.Fatalf("check passed with a %s: %v\n%s", tc.name, err, out)
			}
			for name, status := range lines {
				want := "OK"
				if name == tc.failing {
					want = "FAIL"
				}
				if name == "checks" {
					continue // the count line
				}
				if status != want {
					t.Errorf("%s: %s, want %s\n%s", name, status, want, out)
				}
			}
			var line string
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "FAIL "+tc.failing) {
					line = l
				}
			}
			t.Log(line)
			if !strings.Contains(line, tc.says) {
				t.Errorf("the failing line does not say %q:\n%s", tc.says, line)
			}
			for _, s := range append(secretsOf(env), tc.value) {
				if s != "" && strings.Contains(out, s) && tc.key != "PORTAL_OBI_URL" && tc.key != "PORTAL_OIDC_ISSUER" {
					t.Errorf("a secret is printed: %s", out)
				}
			}
			if !strings.Contains(out, "1 checks failed") {
				t.Errorf("no summary:\n%s", out)
			}
		})
	}
}

func TestCheck_AnInvalidConfigurationFailsEachProblem(t *testing.T) {
	lines, out, err := runCheckWith(t, map[string]string{"PORTAL_PUBLIC_URL": "https://a.example.org", "PORTAL_TLS_CERT_FILE": "/nonexistent"})
	if !errors.Is(err, errSilent) || lines["configuration"] != "FAIL" {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"FAIL configuration: PORTAL_OIDC_ISSUER is required", "FAIL configuration: PORTAL_TLS_CERT_FILE and PORTAL_TLS_KEY_FILE go together"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// With direct TLS, the certificate gets its own line: it must load and
// name the public URL's host.
func TestCheck_TheCertificateNamesThePublicHost(t *testing.T) {
	env := checkEnv(t)
	ca, err := simtls.New()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env["PORTAL_TLS_CERT_FILE"], env["PORTAL_TLS_KEY_FILE"] = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	c := ca.ServerConfig().Certificates[0]
	key, _ := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	os.WriteFile(env["PORTAL_TLS_CERT_FILE"], pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o644)
	os.WriteFile(env["PORTAL_TLS_KEY_FILE"], pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600)

	env["PORTAL_PUBLIC_URL"] = "https://localhost:8443"
	lines, out, err := runCheckWith(t, env)
	if err != nil || lines["TLS"] != "OK" || !strings.Contains(out, "valid for localhost until") {
		t.Fatalf("certificate for the public host: %v\n%s", err, out)
	}
	env["PORTAL_PUBLIC_URL"] = "https://accounting.example.org"
	lines, out, _ = runCheckWith(t, env)
	if lines["TLS"] != "FAIL" || !strings.Contains(out, "does not name accounting.example.org") || !strings.Contains(out, "fix PORTAL_TLS_CERT_FILE or PORTAL_PUBLIC_URL") {
		t.Fatalf("certificate for another host:\n%s", out)
	}
}
