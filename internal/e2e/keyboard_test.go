package e2e

import (
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/decimal"
)

// TestKeyboard_MainPath walks the main path with the keyboard alone: the
// first Tab reaches the skip link, Enter on it moves the focus to the
// content, and Tab from the top reaches the navigation, where Enter opens
// a page.
func TestKeyboard_MainPath(t *testing.T) {
	b := env.Browser(t)
	b.SignIn("admin", "/")
	b.Open("/")
	b.Key("\t")
	if f := b.Focused(); !strings.Contains(f, "Skip to content") {
		t.Fatalf("the first Tab focuses %s, want the skip link", f)
	}
	b.Key("\r")
	if f := b.Focused(); !strings.HasPrefix(f, "main#main") {
		t.Fatalf("Enter on the skip link focuses %s, want the main content", f)
	}
	// From the top again: Tab until the navigation's Data sources link.
	b.Open("/")
	var seen []string
	for i := 0; i < 15; i++ {
		b.Key("\t")
		f := b.Focused()
		seen = append(seen, f)
		if strings.Contains(f, `"Data sources"`) {
			if st := b.KeyAndWait("\r"); st != 200 || b.Heading() != "Data sources" {
				t.Fatalf("Enter on Data sources: status %d, heading %q", st, b.Heading())
			}
			return
		}
	}
	t.Fatalf("Tab never reached Data sources in the navigation; focus went %q", seen)
}

// TestKeyboard_SignOut signs out with Tab and Enter only.
func TestKeyboard_SignOut(t *testing.T) {
	b := env.Browser(t)
	b.SignIn("viewer", "/")
	b.Open("/")
	for i := 0; i < 20; i++ {
		b.Key("\t")
		if strings.Contains(b.Focused(), `"Sign out"`) {
			if st := b.KeyAndWait("\r"); st != 200 || b.Heading() != "You have signed out" {
				t.Fatalf("Enter on Sign out: status %d, heading %q at %s", st, b.Heading(), b.URL())
			}
			return
		}
	}
	t.Fatal("Tab never reached the Sign out button")
}

// TestKeyboard_RequestApproveAndDownload walks the budget path with the
// keyboard alone: a manager fills in and sends a top-up with Tab, typing
// and Enter; an admin skips to the content, tabs to the request's Approve
// button in the inbox and presses Enter; on each list the CSV download
// link is reachable with Tab.
func TestKeyboard_RequestApproveAndDownload(t *testing.T) {
	m := env.Browser(t)
	m.SignIn("manager", "/requests/new")
	m.RequestForm()
	m.TabTo(`input[name="kind"]`, 30)
	// Tab enters a group of radio buttons at its checked one (or the
	// first); the arrows move within it and check what they reach.
	for i := 0; i < 4 && m.FocusValue() != "top-up"; i++ {
		m.Key(ArrowUp)
	}
	m.Key(Space)
	if m.Value(`input[name="kind"]:checked`) != "top-up" {
		t.Fatalf("the keyboard did not choose a top-up (focus on %s)", m.Focused())
	}
	m.TabTo("#vlab", 5)
	m.Key("Cortex") // typing the start of a name picks its option
	if got := m.Selected("#vlab"); !strings.HasPrefix(got, managersLab) {
		t.Fatalf("typing into the lab list chose %q", got)
	}
	m.TabTo("#amount", 10)
	m.Key("3.75")
	m.TabTo("#justification", 5)
	m.Key("Sent without a mouse")
	m.TabTo(`form[action="/requests"] button[type="submit"]`, 10)
	if st := m.KeyAndWait(Enter); st != 200 {
		t.Fatalf("Enter on Send request: %d at %s", st, m.Path())
	}
	req := m.RequestPage()
	id := req.ID()
	if req.State() != "pending" || req.Amount() != "3.75 credits" {
		t.Fatalf("request %s: %q, %q", id, req.State(), req.Amount())
	}
	for _, list := range []string{"/requests", "/budgets"} {
		m.Open(list)
		m.Key(Tab)
		m.Key(Enter) // the skip link
		m.TabTo(`[data-testid="csv-link"]`, 60)
	}

	a := env.Browser(t)
	a.SignIn("admin", "/budgets")
	before := a.Budgets().LabBalance(managersLab)
	a.Open("/approvals")
	a.Requests()
	a.Key(Tab)
	if !a.FocusMatches("a.skip") {
		t.Fatalf("the first Tab focuses %s, not the skip link", a.Focused())
	}
	a.Key(Enter)
	a.TabTo(`[data-testid="csv-link"]`, 30)
	n := a.TabTo(`tr[data-request="`+id+`"] form[action$="/approve"] button`, 400)
	if st := a.KeyAndWait(Enter); st != 200 || !strings.Contains(a.Flash(), "Request "+id+" approved") {
		t.Fatalf("Enter on Approve (after %d Tabs): %d with %q", n, st, a.Flash())
	}
	a.Open("/requests/" + id)
	a.RequestPage().WaitState("applied")
	// Wait for the change to reach the budgets page too, so that the next
	// test that reads the lab's balance finds it settled.
	a.Open("/budgets")
	a.Budgets().WaitLabBalance(managersLab, before.Add(decimal.MustParse("3.75")))
}
