package e2e

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the page objects: what a person sees and does on each
// page, named as they would name it. Tests speak through them, so a
// change of markup is fixed here once. An area adds its own page objects
// in pages_<area>.go (for example a Budgets page with Rows() and
// RequestTopUp(...)) and uses the helpers below for the parts every page
// shares.

// SignIn signs in as the user with that ID ("admin", "manager",
// "manager-b", "viewer") through Dex's own login form, starting from
// path, and waits for the portal's page. It returns the page's path.
func (b *Browser) SignIn(id, path string) string {
	b.t.Helper()
	u, ok := b.stack.Users[id]
	if !ok {
		b.t.Fatalf("e2e: no user %q", id)
	}
	b.Open(path)
	// The portal sent the browser to Dex; with one connector Dex shows its
	// password form at once.
	if !strings.HasPrefix(b.URL(), b.stack.Issuer) {
		b.t.Fatalf("e2e: %s did not lead to Dex but to %s", path, b.URL())
	}
	b.Fill("#login", u.Email)
	b.Fill("#password", Password)
	if st := b.Click("#submit-login"); st != 200 {
		b.t.Fatalf("e2e: signing in as %s ended on %s with status %d", id, b.URL(), st)
	}
	b.WaitFor(`[data-testid="whoami"]`)
	b.User = u
	return b.Path()
}

// SignOut presses the Sign out button and waits for the signed-out page.
func (b *Browser) SignOut() {
	b.t.Helper()
	if st := b.Click(`.whoami form[action="/auth/logout"] button`); st != 200 {
		b.t.Fatalf("e2e: sign-out ended on %s with status %d", b.URL(), st)
	}
	b.WaitFor("h1")
	if h := b.Text("h1"); h != "You have signed out" {
		b.t.Fatalf("e2e: after sign-out the page says %q (at %s)", h, b.URL())
	}
}

// SignedIn reports whether the page shows a signed-in person.
func (b *Browser) SignedIn() bool { return b.Has(`[data-testid="whoami"]`) }

// Heading is the page's h1.
func (b *Browser) Heading() string { return b.Text("main h1") }

// Nav is the labels of the main navigation's links, in order, without
// the counts some carry (NavCount).
func (b *Browser) Nav() []string {
	b.t.Helper()
	out, err := run(b, evalStrings(`Array.from(document.querySelectorAll('nav[aria-label="Main"] a'), a => {
		const c = a.cloneNode(true);
		c.querySelectorAll('.count').forEach(e => e.remove());
		return c.textContent.replace(/\s+/g, ' ').trim();
	})`))
	b.must(err, "read the navigation")
	return out
}

// NavCount is the count a navigation link shows ("notifications":
// unread ones; "approvals": requests waiting), 0 when it shows none.
func (b *Browser) NavCount(key string) int {
	b.t.Helper()
	sel := fmt.Sprintf(`nav[aria-label="Main"] [data-testid="count-%s"]`, key)
	if !b.Has(sel) {
		return 0
	}
	n, err := strconv.Atoi(strings.Fields(b.Text(sel))[0])
	b.must(err, "read the count of %s", key)
	return n
}

// GoTo follows the main navigation's link with this label and returns
// the status of the page it opens.
func (b *Browser) GoTo(label string) int {
	b.t.Helper()
	href := b.navHref(label)
	return b.Click(fmt.Sprintf(`nav[aria-label="Main"] a[href=%q]`, href))
}

func (b *Browser) navHref(label string) string {
	b.t.Helper()
	hrefs := b.Nav()
	for i, l := range hrefs {
		if l == label {
			all, err := run(b, evalStrings(`Array.from(document.querySelectorAll('nav[aria-label="Main"] a'), a => a.getAttribute("href"))`))
			b.must(err, "read the navigation")
			return all[i]
		}
	}
	b.t.Fatalf("e2e: no %q in the navigation %q (at %s)", label, hrefs, b.URL())
	return ""
}

// ErrorPage is the portal's error page as shown, or zero when the page
// is not one.
type ErrorPage struct{ Heading, Message string }

// Error reads the error page shown.
func (b *Browser) Error() ErrorPage {
	if !b.Has(`[data-testid="error-heading"]`) {
		return ErrorPage{}
	}
	return ErrorPage{Heading: b.Text(`[data-testid="error-heading"]`), Message: b.Text(`[data-testid="error-message"]`)}
}

// Home is the home page.
type Home struct{ b *Browser }

// Home returns the home page object (the browser must show it).
func (b *Browser) Home() Home {
	b.t.Helper()
	b.WaitFor(`[data-testid="user-name"]`)
	return Home{b}
}

// Name is the name the portal shows for the signed-in person.
func (h Home) Name() string { return h.b.Text(`[data-testid="user-name"]`) }

// Roles are the role badges.
func (h Home) Roles() []string { return h.b.Texts(`[data-testid="user-roles"] .badge`) }

// Projects are the keys of the projects listed as the person's.
func (h Home) Projects() []string {
	h.b.t.Helper()
	keys, err := run(h.b, evalStrings(`Array.from(document.querySelectorAll("[data-project]"), e => e.dataset.project)`))
	h.b.must(err, "read the projects")
	return keys
}

// ProjectText is the text of one project's line.
func (h Home) ProjectText(key string) string {
	return h.b.Text(fmt.Sprintf(`[data-project=%q]`, key))
}

// Tiles are the upstreams that have a tile.
func (h Home) Tiles() []string {
	h.b.t.Helper()
	ids, err := run(h.b, evalStrings(`Array.from(document.querySelectorAll('[data-testid^="tile-"]'), e => e.dataset.testid.slice(5))`))
	h.b.must(err, "read the tiles")
	return ids
}

// Sources is the data-sources page (admin).
type Sources struct{ b *Browser }

// Sources returns the data-sources page object.
func (b *Browser) Sources() Sources {
	b.t.Helper()
	b.WaitFor(`[data-testid^="source-"]`)
	return Sources{b}
}

// Upstreams are the upstreams with a section on the page.
func (s Sources) Upstreams() []string {
	s.b.t.Helper()
	ids, err := run(s.b, evalStrings(`Array.from(document.querySelectorAll('[data-testid^="source-"]'), e => e.dataset.testid.slice(7))`))
	s.b.must(err, "read the data sources")
	return ids
}

// Section is the text of one upstream's section.
func (s Sources) Section(upstream string) string {
	return s.b.Text(fmt.Sprintf(`[data-testid="source-%s"]`, upstream))
}
