package e2e

import (
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/crypto/bcrypt"

	"github.com/accounting-portal/portal/internal/devoidc"
)

// Password is every test user's Dex password.
const Password = "e2e correct horse battery staple"

// The portal's client at Dex.
const (
	DexClientID     = "accounting-portal-e2e"
	DexClientSecret = "e2e-client-secret"
)

// User is a person who can sign in at Dex.
type User struct {
	// ID names the user in tests: "admin", "manager" (project A),
	// "manager-b" (project B), "viewer".
	ID, Email, Name, Subject string
	Groups                   []string
}

// usersFrom turns the demo's cast into Dex users, so the browser tests and
// the in-process tests speak of the same people with the same groups.
func usersFrom(cast []devoidc.User) []User {
	out := make([]User, len(cast))
	for i, u := range cast {
		out[i] = User{ID: u.ID, Email: u.Email, Name: u.Name, Subject: u.Subject, Groups: u.Groups}
	}
	return out
}

// DexConfig is what the harness tells Dex.
type DexConfig struct {
	// Issuer is Dex's issuer URL; Listen is the address it serves on.
	Issuer, Listen string
	// PortalURL is the portal's public URL (its callback and signed-out
	// page are registered with the client).
	PortalURL string
	Users     []User
}

// dexPassword is one staticPasswords entry; this Dex carries groups.
type dexPassword struct {
	Email    string   `json:"email"`
	Hash     string   `json:"hash"`
	Username string   `json:"username"`
	Name     string   `json:"name"`
	UserID   string   `json:"userID"`
	Groups   []string `json:"groups"`
}

// WriteDexConfig writes a Dex configuration file (JSON, which Dex reads
// as YAML): memory storage, the password database with the users and
// their groups, one static client for the portal, no approval screen,
// and sessions so the discovery document lists an end_session_endpoint
// (Dex needs DEX_SESSIONS_ENABLED=true for that; see startDex).
func WriteDexConfig(path string, c DexConfig) error {
	var pw []dexPassword
	for _, u := range c.Users {
		// Cost 10 is the least Dex accepts.
		h, err := bcrypt.GenerateFromPassword([]byte(Password), 10)
		if err != nil {
			return fmt.Errorf("e2e: dex password: %w", err)
		}
		pw = append(pw, dexPassword{Email: u.Email, Hash: string(h), Username: u.ID, Name: u.Name, UserID: u.Subject, Groups: u.Groups})
	}
	cfg := map[string]any{
		"issuer":  c.Issuer,
		"storage": map[string]any{"type": "memory"},
		"web":     map[string]any{"http": c.Listen},
		"logger":  map[string]any{"level": "info", "format": "text"},
		"oauth2": map[string]any{
			"skipApprovalScreen": true,
			"responseTypes":      []string{"code"},
		},
		"sessions": map[string]any{"absoluteLifetime": "1h", "validIfNotUsedFor": "30m"},
		"staticClients": []map[string]any{{
			"id": DexClientID, "secret": DexClientSecret, "name": "Accounting portal",
			"redirectURIs":           []string{c.PortalURL + "/auth/callback"},
			"postLogoutRedirectURIs": []string{c.PortalURL + "/auth/signed-out"},
		}},
		"enablePasswordDB": true,
		"staticPasswords":  pw,
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
