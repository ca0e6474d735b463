package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chrome is one headless Chromium process shared by the tests of a run;
// each test gets its own browser context (cookies, cache, history) in it.
type Chrome struct {
	ctx     context.Context // the browser's first tab; parent of every test's context
	cancel  func()
	dataDir string
}

// StartChrome starts Chromium with a fresh user-data-dir and the flags a
// headless run in a container needs.
func StartChrome(path string) (*Chrome, error) {
	dataDir, err := os.MkdirTemp("", "portal-e2e-chromium-")
	if err != nil {
		return nil, fmt.Errorf("e2e: %w", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Containers often have a tiny /dev/shm.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(dataDir),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	c := &Chrome{ctx: ctx, dataDir: dataDir, cancel: func() {
		cancelCtx()
		cancelAlloc()
		os.RemoveAll(dataDir)
	}}
	// An empty Do starts the browser. It must run on ctx itself: the
	// context of the first action owns the browser, and a timeout context
	// here would close the browser when it ends.
	if err := chromedp.Do(ctx); err != nil {
		c.cancel()
		return nil, fmt.Errorf("e2e: start %s: %w", path, err)
	}
	return c, nil
}

// Close stops Chromium and removes its user-data-dir.
func (c *Chrome) Close() { c.cancel() }

// Browser is one person's browser during one test: its own cookies, a
// time limit, and a screenshot and the page source saved when the test
// fails.
type Browser struct {
	t     testing.TB
	ctx   context.Context
	stack *Stack
	// User is who signed in (empty before SignIn).
	User User
}

// DefaultTimeout bounds each browser action.
const DefaultTimeout = 20 * time.Second

// NewBrowser opens a new browser context in c for the test. Artifacts
// of a failure go to artifactsDir (see EnvArtifacts).
func NewBrowser(t testing.TB, c *Chrome, st *Stack, artifactsDir string) *Browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	b := &Browser{t: t, ctx: ctx, stack: st}
	// Cleanups run last-in first-out: the screenshot is taken before the
	// context closes.
	t.Cleanup(cancel)
	t.Cleanup(func() {
		if t.Failed() {
			b.saveFailure(artifactsDir)
		}
	})
	// As with the browser, the tab belongs to the context of its first
	// action: open it on ctx, not on a timeout context.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("e2e: open a browser tab: %v", err)
	}
	return b
}

// do runs actions with the default time limit.
func (b *Browser) do(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// run runs one action that returns a value, with the default time limit.
func run[T any](b *Browser, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// must fails the test when err is set, naming what was being done.
func (b *Browser) must(err error, what string, args ...any) {
	b.t.Helper()
	if err != nil {
		b.t.Fatalf("browser: %s: %v (at %s)", fmt.Sprintf(what, args...), err, b.URL())
	}
}

// Open loads a path of the portal (or an absolute URL) and returns the
// HTTP status of the page the browser ended on after redirects.
func (b *Browser) Open(path string) int {
	b.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = b.stack.PortalURL + path
	}
	resp, err := run(b, chromedp.NavigateResponse(u))
	b.must(err, "open %s", u)
	return int(resp.Status)
}

// URL is the address of the page shown.
func (b *Browser) URL() string {
	u, err := run(b, chromedp.Location())
	if err != nil {
		return "(unknown: " + err.Error() + ")"
	}
	return u
}

// Path is the portal path of the page shown ("" when not on the portal).
func (b *Browser) Path() string {
	u := b.URL()
	if !strings.HasPrefix(u, b.stack.PortalURL) {
		return ""
	}
	return strings.TrimPrefix(u, b.stack.PortalURL)
}

// Text is the visible text of the first element matching a CSS selector.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	s, err := run(b, chromedp.Text(chromedp.CSS(sel)))
	b.must(err, "read the text of %s", sel)
	return strings.Join(strings.Fields(s), " ")
}

// Value is the current value of the form control matching a CSS selector.
func (b *Browser) Value(sel string) string {
	b.t.Helper()
	s, err := run(b, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).value`, sel)))
	b.must(err, "read the value of %s", sel)
	return s
}

// Count is how many elements match a CSS selector now (no waiting).
func (b *Browser) Count(sel string) int {
	b.t.Helper()
	n, err := run(b, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	b.must(err, "count %s", sel)
	return n
}

// Has reports whether an element matches a CSS selector now.
func (b *Browser) Has(sel string) bool { return b.Count(sel) > 0 }

// Texts are the visible texts of every element matching a CSS selector.
func (b *Browser) Texts(sel string) []string {
	b.t.Helper()
	out, err := run(b, chromedp.Evaluate[[]string](fmt.Sprintf(
		"Array.from(document.querySelectorAll(%q), e => e.innerText.replace(/\\s+/g, ' ').trim())", sel)))
	b.must(err, "read the texts of %s", sel)
	return out
}

// HTML is the page's current source (the DOM, serialised).
func (b *Browser) HTML() string {
	b.t.Helper()
	s, err := run(b, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
	b.must(err, "read the page source")
	return s
}

// Click clicks the first element matching a CSS selector and waits for
// the page it leads to. It returns that page's HTTP status.
func (b *Browser) Click(sel string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	b.must(err, "click %s", sel)
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// Fill types text into the field matching a CSS selector.
func (b *Browser) Fill(sel, text string) {
	b.t.Helper()
	// The field is emptied by script: chromedp.Clear fails on an empty
	// textarea (it has no text node to clear).
	b.must(b.do(chromedp.WaitVisible(chromedp.CSS(sel))), "wait for %s", sel)
	_, err := run(b, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { document.querySelector(%q).value = ""; return true; })()`, sel)))
	b.must(err, "empty %s", sel)
	b.must(b.do(chromedp.SendKeys(chromedp.CSS(sel), text)), "type into %s", sel)
}

// Key presses keys (e.g. "\t" for Tab, "\r" for Enter) in the focused element.
func (b *Browser) Key(keys string) {
	b.t.Helper()
	b.must(b.do(chromedp.KeyEvent(keys)), "press %q", keys)
}

// KeyAndWait presses keys that lead to another page and waits for it,
// returning its status.
func (b *Browser) KeyAndWait(keys string) int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, DefaultTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.KeyEvent(keys))
	b.must(err, "press %q and wait for the next page", keys)
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// Focused describes the element that has the keyboard focus: its tag,
// id, and text or label, e.g. `a#main-nav "Data sources"`.
func (b *Browser) Focused() string {
	b.t.Helper()
	s, err := run(b, chromedp.Evaluate[string](`(() => {
		const e = document.activeElement;
		if (!e || e === document.body) return "body";
		const label = (e.innerText || e.value || e.getAttribute("aria-label") || "").replace(/\s+/g, " ").trim();
		return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + ' "' + label + '"';
	})()`))
	b.must(err, "find the focused element")
	return s
}

// Back goes back in the history and waits for the page shown.
func (b *Browser) Back() {
	b.t.Helper()
	b.must(b.do(chromedp.NavigateBack()), "go back")
}

// WaitFor waits until an element matching a CSS selector is visible.
func (b *Browser) WaitFor(sel string) {
	b.t.Helper()
	b.must(b.do(chromedp.WaitVisible(chromedp.CSS(sel))), "wait for %s", sel)
}

// Screenshot returns a PNG of the whole page.
func (b *Browser) Screenshot() ([]byte, error) {
	return run(b, chromedp.FullScreenshot(100)) // quality 100 means PNG
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// saveFailure writes a screenshot and the page source of a failed test to
// dir and names them in the test's log.
func (b *Browser) saveFailure(dir string) {
	paths, err := b.SaveArtifacts(dir, b.t.Name())
	if err != nil {
		b.t.Logf("e2e: could not save the failure's screenshot: %v", err)
	}
	if len(paths) > 0 {
		b.t.Logf("e2e: the page at failure (%s): %s", b.URL(), strings.Join(paths, ", "))
	}
	if b.stack != nil {
		b.t.Logf("e2e: process logs:\n%s", b.stack.Logs(15))
	}
}

// SaveArtifacts writes <name>.png (the page) and <name>.html (its source)
// to dir and returns their paths.
func (b *Browser) SaveArtifacts(dir, name string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	base := filepath.Join(dir, unsafeName.ReplaceAllString(name, "_"))
	var paths []string
	png, err := b.Screenshot()
	if err == nil {
		if err = os.WriteFile(base+".png", png, 0o644); err == nil {
			paths = append(paths, base+".png")
		}
	}
	html, herr := run(b, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
	if herr == nil {
		if herr = os.WriteFile(base+".html", []byte(html), 0o644); herr == nil {
			paths = append(paths, base+".html")
		}
	}
	if err == nil {
		err = herr
	}
	return paths, err
}

// evalStrings evaluates a JavaScript expression that yields strings.
func evalStrings(expr string) chromedp.Action[[]string] { return chromedp.Evaluate[[]string](expr) }
