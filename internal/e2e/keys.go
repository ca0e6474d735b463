package e2e

import (
	"fmt"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Keyboard use: a person who cannot use a mouse moves with Tab, types,
// and presses Enter or Space. These helpers do the same and say where the
// focus went when the way is blocked.

// Keys that have no character of their own.
const (
	Tab       = "\t"
	Enter     = "\r"
	Space     = " "
	ArrowDown = kb.ArrowDown
	ArrowUp   = kb.ArrowUp
)

// FocusMatches reports whether the element with the keyboard focus
// matches a CSS selector.
func (b *Browser) FocusMatches(sel string) bool {
	b.t.Helper()
	ok, err := run(b, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.activeElement; return !!e && e.matches(%q); })()`, sel)))
	b.must(err, "check the focus against %s", sel)
	return ok
}

// TabTo presses Tab until the focus is on an element matching a CSS
// selector, at most max times, and returns how many presses it took. It
// fails the test with the way the focus went when the element is never
// reached: a control the keyboard cannot reach is a bug.
func (b *Browser) TabTo(sel string, max int) int {
	b.t.Helper()
	var path []string
	for i := 1; i <= max; i++ {
		b.Key(Tab)
		if b.FocusMatches(sel) {
			return i
		}
		if len(path) < 40 {
			path = append(path, b.Focused())
		}
	}
	b.t.Fatalf("e2e: %d presses of Tab never reached %s (at %s); the focus went %q", max, sel, b.URL(), path)
	return 0
}

// FocusValue is the value of the focused form control.
func (b *Browser) FocusValue() string {
	b.t.Helper()
	v, err := run(b, chromedp.Evaluate[string](`(document.activeElement && document.activeElement.value) || ""`))
	b.must(err, "read the focused control's value")
	return v
}

// PollTimeout bounds how long a test waits for the portal to catch up
// with the upstreams (a delivery, a sync).
const PollTimeout = 45 * time.Second

// poll checks cond on the page shown, reloading the page between tries,
// until it holds; it fails the test with the last thing seen after
// PollTimeout.
func (b *Browser) poll(what string, cond func() (bool, string)) {
	b.t.Helper()
	deadline := time.Now().Add(PollTimeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("e2e: waited %v for %s; the page still shows %q (at %s)", PollTimeout, what, last, b.URL())
		}
		time.Sleep(250 * time.Millisecond)
		b.Open(b.Path())
	}
}
