package e2e

import (
	"strings"
	"testing"
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
