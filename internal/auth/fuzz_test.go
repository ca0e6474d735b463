package auth

import (
	"encoding/json"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// FuzzSafeReturnTo: whatever the return address, the result is a local
// path that a browser cannot read as another site, and cleaning it again
// changes nothing.
func FuzzSafeReturnTo(f *testing.F) {
	for _, s := range []string{"", "/", "/metrics?range=7d", "//evil.example", "/\\evil.example", "https://evil.example/", "javascript:alert(1)",
		"/%2F%2Fevil.example", "/a\r\nLocation: x", "/auth/logout", "/\t/evil.example", "/ok#frag", "/%5Cevil", "/x?next=//evil", "\\\\evil", "/.//evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out := SafeReturnTo(raw)
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") {
			t.Fatalf("SafeReturnTo(%q) = %q is not a local path", raw, out)
		}
		if strings.ContainsAny(out, "\\\r\n\t\x00") {
			t.Fatalf("SafeReturnTo(%q) = %q holds a character a browser may reinterpret", raw, out)
		}
		u, err := url.Parse(out)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
			t.Fatalf("SafeReturnTo(%q) = %q parses as %+v (%v)", raw, out, u, err)
		}
		// A browser resolves the path against the portal: it must stay there.
		base, _ := url.Parse("https://portal.example.org/")
		if r := base.ResolveReference(u); r.Host != base.Host || r.Scheme != base.Scheme {
			t.Fatalf("SafeReturnTo(%q) = %q leads to %s", raw, out, r)
		}
		if again := SafeReturnTo(out); again != out {
			t.Fatalf("SafeReturnTo is not stable: %q -> %q -> %q", raw, out, again)
		}
	})
}

// FuzzMapUser maps arbitrary JSON claims: never a panic, and roles only
// from claim values that match the configured groups and patterns.
func FuzzMapUser(f *testing.F) {
	for _, s := range []string{`{}`, `{"sub":"s","groups":["portal-admins"]}`, `{"sub":"s","groups":"project:a:manager"}`,
		`{"sub":"s","groups":[1,null,{"x":1},"project:b:member"]}`, `{"sub":1,"name":["x"],"groups":{"a":"b"}}`,
		`{"realm_access":{"roles":["project:c:manager"]}}`, `{"groups":["project::manager","project:a:b:manager","PORTAL-ADMINS"]}`,
		`{"name":"<script>","email":"x@example.org","preferred_username":"p"}`} {
		f.Add(s, "groups")
		f.Add(s, "realm_access.roles")
	}
	manager := regexp.MustCompile(`^project:(.+?):manager$`)
	member := regexp.MustCompile(`^project:(.+?):member$`)
	f.Fuzz(func(t *testing.T, raw, claim string) {
		var claims map[string]any
		if json.Unmarshal([]byte(raw), &claims) != nil || claims == nil {
			return
		}
		m := RoleMapping{RolesClaim: claim, NameClaim: "name", AdminGroups: []string{"portal-admins"}, Manager: manager, Member: member}
		u := m.MapUser(claims)
		values := listClaim(claims, claim)
		if u.Admin != slices.Contains(values, "portal-admins") {
			t.Fatalf("admin=%v from %v", u.Admin, values)
		}
		for _, p := range u.Manages {
			if !slices.Contains(u.Member, p) {
				t.Fatalf("manager of %q but not a member: %+v", p, u)
			}
			if !slices.Contains(values, "project:"+p+":manager") {
				t.Fatalf("manager of %q without a claim value for it: %v", p, values)
			}
		}
		for _, p := range u.Member {
			if p == "" || (!slices.Contains(values, "project:"+p+":member") && !slices.Contains(values, "project:"+p+":manager")) {
				t.Fatalf("member of %q without a claim value for it: %v", p, values)
			}
		}
		if !slices.IsSorted(u.Member) || !slices.IsSorted(u.Manages) {
			t.Fatalf("project lists not normalised: %+v", u)
		}
	})
}
