package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// phoneWidths are the viewport widths every page must fit: a small phone
// and a common one.
var phoneWidths = []int64{360, 390}

// maxPagesPerRole bounds the crawl of one role (one page of each kind).
const maxPagesPerRole = 60

// idAfter are path segments followed by an object's key, which names no
// kind of page of its own.
var idAfter = regexp.MustCompile(`/(projects|installations|records)/[^/]+`)

func pageKind(path string) string {
	return PageKind(idAfter.ReplaceAllString(strings.SplitN(path, "?", 2)[0], "/$1/:key"))
}

// TestLayout_EveryPageFitsAPhone signs in as each kind of person, visits
// one page of every kind they can reach by following links from the home
// page, and checks each at 360 and 390 px: the page itself never scrolls
// sideways (a wide table scrolls inside its own box, keeping its first
// column in view, or turns into cards). A pending request and a request
// form with its over-balance warning are among the pages.
func TestLayout_EveryPageFitsAPhone(t *testing.T) {
	// A pending request, so the inbox shows its decision forms.
	m := env.Browser(t)
	m.SignIn("manager", "/requests/new")
	if st := m.RequestForm().TopUp(managersLab, "12.34", "Layout check: a pending request for the inbox"); st != 200 {
		t.Fatalf("sending a request answered %d", st)
	}

	for _, role := range []string{"viewer", "manager", "manager-b", "admin"} {
		t.Run(role, func(t *testing.T) {
			b := env.Browser(t)
			b.SignIn(role, "/")
			b.SetWidth(phoneWidths[0])
			seen := map[string]bool{}
			queue := []string{"/"}
			visited := 0
			for len(queue) > 0 && visited < maxPagesPerRole {
				path := queue[0]
				queue = queue[1:]
				if seen[pageKind(path)] {
					continue
				}
				seen[pageKind(path)] = true
				visited++
				st := b.Open(path)
				if st >= 500 {
					t.Errorf("%s answered %d", path, st)
					continue
				}
				checkFits(t, b, path)
				for _, l := range b.Links() {
					if !seen[pageKind(l)] {
						queue = append(queue, l)
					}
				}
			}
			if visited < 5 {
				t.Errorf("only %d pages reached from the home page", visited)
			}
			t.Logf("%s: %d kinds of page at %v px", role, visited, phoneWidths)
		})
	}
}

// checkFits measures the page shown at each phone width.
func checkFits(t *testing.T, b *Browser, path string) {
	t.Helper()
	for _, w := range phoneWidths {
		b.SetWidth(w)
		o := b.Overflow()
		if o.Wide() {
			t.Errorf("%s at %d px: the page is %d px wide; sticking out: %s", path, w, o.ScrollWidth, strings.Join(o.Culprits, "; "))
		}
		if len(o.LostColumns) > 0 {
			t.Errorf("%s at %d px: a wide table loses its first column when scrolled: %s", path, w, strings.Join(o.LostColumns, "; "))
		}
	}
	b.SetWidth(phoneWidths[0])
}

// shot keeps a screenshot of the viewport (what a phone shows before
// scrolling) in the artifacts' layout folder, kept when
// PORTAL_E2E_ARTIFACTS names the folder, to look at a layout.
func shot(t *testing.T, b *Browser, name string) {
	t.Helper()
	dir := filepath.Join(env.Artifacts(), "layout")
	png, err := run(b, chromedp.CaptureScreenshot())
	if err == nil {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
		}
	}
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// inView fails unless the element is entirely within the viewport's width.
func inView(t *testing.T, b *Browser, sel, what string) {
	t.Helper()
	box, ok := b.Box(sel)
	if !ok {
		t.Errorf("%s: no %s on %s", what, sel, b.Path())
		return
	}
	o := b.Overflow()
	if box.Left < 0 || box.Right > float64(o.InnerWidth) {
		t.Errorf("%s at %d px: %s spans %.0f to %.0f px", what, o.InnerWidth, sel, box.Left, box.Right)
	}
}

// TestLayout_NamedDefectsAtPhoneWidth checks the three defects found at
// 390 px: the inbox's Approve and Deny buttons were off-screen, the
// metrics filter box overflowed the page, and the project page's
// "runs out" badge overlapped the subtitle.
func TestLayout_NamedDefectsAtPhoneWidth(t *testing.T) {
	m := env.Browser(t)
	m.SignIn("manager", "/requests/new")
	if st := m.RequestForm().TopUp(managersLab, "23.45", "Layout check: Approve and Deny in view"); st != 200 {
		t.Fatalf("sending a request answered %d", st)
	}
	id := m.RequestPage().ID()

	for _, w := range phoneWidths {
		t.Run(fmt.Sprint(w), func(t *testing.T) {
			a := env.Browser(t)
			a.SetWidth(w)
			a.SignIn("admin", "/approvals")
			a.Requests()
			a.ScrollTo(fmt.Sprintf(`tr[data-request=%q]`, id))
			inView(t, a, fmt.Sprintf(`tr[data-request=%q] form[action$="/approve"] button`, id), "Approve")
			inView(t, a, fmt.Sprintf(`tr[data-request=%q] form[action$="/deny"] button`, id), "Deny")
			shot(t, a, fmt.Sprintf("approvals-%d", w))

			a.Open("/metrics")
			inView(t, a, `[data-testid="metric-filters"]`, "the metrics filters")
			shot(t, a, fmt.Sprintf("metrics-%d", w))

			// Every project page with a status badge: the badge and the
			// subtitle do not overlap.
			a.Open("/budgets")
			badges := 0
			for _, key := range a.Budgets().Projects() {
				a.Open("/budgets/projects/" + key)
				badge, ok := a.Box(`[data-testid="project-status"]`)
				if !ok {
					continue
				}
				if badges++; badges == 1 {
					shot(t, a, fmt.Sprintf("project-%s-%d", key, w))
				}
				sub, _ := a.Box(`main .subtitle`)
				title, _ := a.Box(`main h1`)
				if badge.Overlaps(sub) || badge.Overlaps(title) {
					t.Errorf("%s at %d px: the badge %+v overlaps the title %+v or the subtitle %+v", key, w, badge, title, sub)
				}
			}
			if badges == 0 {
				t.Error("no project page shows a status badge; the check proved nothing")
			}
		})
	}
}
