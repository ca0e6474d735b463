package e2e

import (
	"slices"
	"strings"
	"testing"
)

// TestAdmin_OpensDataSourcesAndOutbox follows the admin's navigation to
// the two admin pages.
func TestAdmin_OpensDataSourcesAndOutbox(t *testing.T) {
	b := env.Browser(t)
	b.SignIn("admin", "/")
	if st := b.GoTo("Data sources"); st != 200 {
		t.Fatalf("data sources: status %d", st)
	}
	if h := b.Heading(); h != "Data sources" {
		t.Fatalf("heading %q", h)
	}
	src := b.Sources()
	if got := src.Upstreams(); len(got) != 4 {
		t.Errorf("data sources %q, want the four upstreams", got)
	}
	for _, up := range src.Upstreams() {
		// Every upstream is configured (the simulators) and says how fresh it is.
		if s := src.Section(up); strings.Contains(s, "not configured") || !strings.Contains(s, "Last successful sync") {
			t.Errorf("%s section: %q", up, s)
		}
	}
	if b.Has(`nav[aria-label="Main"] a[href="/sources"][aria-current="page"]`) == false {
		t.Error("the navigation does not mark Data sources as the current page")
	}
	if st := b.GoTo("Outbox"); st != 200 {
		t.Fatalf("outbox: status %d", st)
	}
	if h := b.Heading(); h != "Outbox" {
		t.Fatalf("heading %q", h)
	}
	// The state filters are links that keep the view in the URL.
	if st := b.Click(`nav[aria-label="Filter by state"] a[href*="state=dead"]`); st != 200 || !strings.Contains(b.Path(), "state=dead") {
		t.Fatalf("filtering the outbox by state: %d at %s", st, b.Path())
	}
}

// TestViewer_RefusedAdminPages types the admin pages' addresses as a
// viewer: the portal answers 403 with a page that says why, and the
// navigation never offered them.
func TestViewer_RefusedAdminPages(t *testing.T) {
	b := env.Browser(t)
	b.SignIn("viewer", "/")
	nav := b.Nav()
	for _, page := range []string{"/sources", "/outbox", "/outbox.csv", "/outbox/1"} {
		if st := b.Open(page); st != 403 {
			t.Errorf("%s: status %d, want 403", page, st)
			continue
		}
		e := b.Error()
		if e.Heading == "" || !strings.Contains(e.Message, "for admins") {
			t.Errorf("%s: error page %+v", page, e)
		}
		if !b.SignedIn() {
			t.Errorf("%s: the error page lost the signed-in header", page)
		}
	}
	for _, label := range []string{"Data sources", "Outbox", "Approvals"} {
		if slices.Contains(nav, label) {
			t.Errorf("a viewer's navigation offers %s: %q", label, nav)
		}
	}
}
