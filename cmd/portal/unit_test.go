package main

import (
	"os"
	"strings"
	"testing"
)

// The shipped systemd unit keeps its user, state, secrets and hardening
// lines; .ci/run checks its syntax with systemd-analyze verify.
func TestSystemdUnit_RunsHardenedAndReloads(t *testing.T) {
	b, err := os.ReadFile("../../deploy/portal.service")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines[l] = true
		}
	}
	for _, want := range []string{
		"ExecStart=/usr/local/bin/portal serve", "ExecReload=kill -HUP $MAINPID",
		"DynamicUser=yes", "StateDirectory=portal", "EnvironmentFile=/etc/portal/portal.env", "Environment=PORTAL_DB=%S/portal/portal.db",
		"LoadCredential=oidc-client-secret:/etc/portal/credentials/oidc-client-secret", "Environment=PORTAL_OIDC_CLIENT_SECRET_FILE=%d/oidc-client-secret",
		"ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes", "PrivateDevices=yes",
		"RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "SystemCallFilter=@system-service", "CapabilityBoundingSet=",
		"LockPersonality=yes", "MemoryDenyWriteExecute=yes",
	} {
		if !lines[want] {
			t.Errorf("deploy/portal.service lacks %q", want)
		}
	}
}
