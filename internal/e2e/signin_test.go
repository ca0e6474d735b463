package e2e

import (
	"slices"
	"strings"
	"testing"
)

// TestSignIn_EachRoleThroughDex signs each kind of person in through
// Dex's own login form and checks the home page shows their name, roles
// and projects, and a navigation that fits their role.
func TestSignIn_EachRoleThroughDex(t *testing.T) {
	cases := []struct {
		user, name string
		roles      []string
		projects   []string
		adminPages bool
	}{
		{"admin", "Ada Admin", []string{"admin"}, nil, true},
		{"manager", "Max Manager", []string{"manager", "viewer"}, []string{"brain-atlas", "neuro-sim"}, false},
		{"manager-b", "Bo Manager", []string{"manager", "viewer"}, []string{"climate-ml"}, false},
		{"viewer", "Vera Viewer", []string{"viewer"}, []string{"climate-ml"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.user, func(t *testing.T) {
			b := env.Browser(t)
			if got := b.SignIn(tc.user, "/"); got != "/" {
				t.Fatalf("signed in at %q, want /", got)
			}
			home := b.Home()
			if got := home.Name(); !strings.HasPrefix(got, tc.name) {
				t.Errorf("name %q, want %q", got, tc.name)
			}
			if got := home.Roles(); !slices.Equal(got, tc.roles) {
				t.Errorf("roles %q, want %q", got, tc.roles)
			}
			got := home.Projects()
			slices.Sort(got)
			if !slices.Equal(got, tc.projects) {
				t.Errorf("projects %q, want %q", got, tc.projects)
			}
			if tiles := home.Tiles(); len(tiles) != 4 {
				t.Errorf("tiles %q, want one per upstream", tiles)
			}
			nav := b.Nav()
			if slices.Contains(nav, "Data sources") != tc.adminPages || slices.Contains(nav, "Outbox") != tc.adminPages {
				t.Errorf("navigation %q (admin pages shown: want %v)", nav, tc.adminPages)
			}
			// Everyone reads their projects' budget requests.
			if !slices.Contains(nav, "Requests") {
				t.Errorf("navigation %q has no Requests", nav)
			}
		})
	}
}

// TestSignIn_ReturnsToTheAskedPage opens a deep link while signed out and
// lands on it after Dex.
func TestSignIn_ReturnsToTheAskedPage(t *testing.T) {
	b := env.Browser(t)
	if got := b.SignIn("admin", "/outbox?state=dead"); got != "/outbox?state=dead" {
		t.Fatalf("after sign-in the browser is at %q, want /outbox?state=dead", got)
	}
	if h := b.Heading(); h != "Outbox" {
		t.Fatalf("heading %q", h)
	}
}
