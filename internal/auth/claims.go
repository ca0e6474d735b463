package auth

import (
	"regexp"
	"slices"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
)

// RoleMapping turns ID token claims into a portal.User. Only the claims
// the provider signed are used; nothing the browser sends counts.
type RoleMapping struct {
	// RolesClaim is a claim name or a dotted path (realm_access.roles).
	RolesClaim string
	NameClaim  string
	// AdminGroups are claim values that make an admin.
	AdminGroups []string
	// Manager and Member match a claim value; group 1 is the project key.
	Manager, Member *regexp.Regexp
}

// MapUser builds the user from verified claims. A manager of a project is
// also a member of it.
func (m RoleMapping) MapUser(claims map[string]any) portal.User {
	u := portal.User{Subject: stringClaim(claims, "sub"), Email: stringClaim(claims, "email")}
	if m.NameClaim != "" {
		u.Name = stringClaim(claims, m.NameClaim)
	}
	if u.Name == "" {
		u.Name = stringClaim(claims, "preferred_username")
	}
	var manages, member []string
	for _, g := range listClaim(claims, m.RolesClaim) {
		if slices.Contains(m.AdminGroups, g) {
			u.Admin = true
		}
		if m.Manager != nil {
			if sm := m.Manager.FindStringSubmatch(g); sm != nil {
				manages = append(manages, sm[1])
			}
		}
		if m.Member != nil {
			if sm := m.Member.FindStringSubmatch(g); sm != nil {
				member = append(member, sm[1])
			}
		}
	}
	u.Manages = portal.NormalizeProjects(manages)
	u.Member = portal.NormalizeProjects(append(member, manages...))
	return u
}

func stringClaim(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}

// listClaim reads a claim that holds a list of strings, or one string, at
// a dotted path.
func listClaim(claims map[string]any, path string) []string {
	var v any = claims
	for _, part := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[part]
	}
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// MapUser maps an ID token's claims to a portal user, as a sign-in does
// (the demo records its people's roles this way for their API tokens).
func (a *Auth) MapUser(claims map[string]any) portal.User { return a.cfg.Roles.MapUser(claims) }
