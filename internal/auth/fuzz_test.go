package auth

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
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

// FuzzProxiesClient reads arbitrary forwarding headers from a trusted
// proxy: never a panic, always an address, and a real client address is
// never one of the trusted proxies.
func FuzzProxiesClient(f *testing.F) {
	for _, s := range []string{"198.51.100.1", "1.2.3.4, 198.51.100.1", "for=192.0.2.60;proto=https", `for="[2001:db8::17]:4711"`, "unknown", "", ",,,", "[::1]:80, 10.0.0.1"} {
		f.Add(s, s)
	}
	trusted := Proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		r := &http.Request{RemoteAddr: "10.0.0.1:4711", Header: http.Header{}}
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		if fwd != "" {
			r.Header.Set("Forwarded", fwd)
		}
		a, real := trusted.Client(r)
		if !a.IsValid() {
			t.Fatalf("no address at all for %q / %q", xff, fwd)
		}
		if real && trusted.trusts(a) {
			t.Fatalf("client %s from %q / %q", a, xff, fwd)
		}
	})
}

// FuzzOpenAttempt opens arbitrary sign-in cookie values: never a panic,
// and nothing opens that the portal did not seal.
func FuzzOpenAttempt(f *testing.F) {
	s, err := newSealer()
	if err != nil {
		f.Fatal(err)
	}
	sealed, _ := s.seal("c", attempt{State: "x", Created: time.Now().Unix()})
	for _, v := range []string{"", "AAAA", sealed, sealed[:len(sealed)-1], "%%%"} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if _, err := s.open("c", v, time.Now(), loginTTL); err == nil && v != sealed {
			t.Fatalf("%q opened", v)
		}
	})
}
