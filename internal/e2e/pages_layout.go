package e2e

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/chromedp/chromedp"
)

// Page objects for layout at phone width: the viewport, whether the page
// itself scrolls sideways (and which elements stick out), whether wide
// tables keep their first column in view, and where elements are.

// SetWidth sets the viewport to a phone's width (and a phone's height).
func (b *Browser) SetWidth(px int64) {
	b.t.Helper()
	b.must(b.do(chromedp.EmulateViewport(px, 780)), "set the viewport to %d px", px)
}

// Overflow is what sticks out of the page sideways at the current width.
type Overflow struct {
	// ScrollWidth and InnerWidth are document.documentElement.scrollWidth
	// and window.innerWidth: the page scrolls sideways when the first is
	// larger.
	ScrollWidth, InnerWidth int
	// Culprits describe the outermost elements whose right edge is past
	// the viewport without being inside a box that scrolls on its own.
	Culprits []string
	// LostColumns name wide tables (scrolling inside their box) whose
	// first column scrolls out of view with the rest: neither sticky nor
	// shown as cards.
	LostColumns []string
}

// Wide reports whether the page itself is wider than the viewport.
func (o Overflow) Wide() bool { return o.ScrollWidth > o.InnerWidth }

// overflowJS measures the page. An element counts as a culprit when its
// right edge passes the viewport and no ancestor clips it by scrolling;
// only the outermost such element is named.
const overflowJS = `(() => {
	const vw = window.innerWidth;
	const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
		(typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "") +
		(e.dataset && e.dataset.testid ? "[data-testid=" + e.dataset.testid + "]" : "");
	const scrolls = e => { const o = getComputedStyle(e).overflowX; return o === "auto" || o === "scroll" || o === "hidden"; };
	const clipped = e => { for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) { if (scrolls(p)) return true; } return false; };
	const culprits = [];
	for (const e of document.querySelectorAll("body *")) {
		const r = e.getBoundingClientRect();
		if (r.width === 0 || r.right <= vw + 0.5 || clipped(e)) continue;
		if (e.closest(".sr-only, .skip")) continue;
		let p = e.parentElement, outer = true;
		for (; p && p !== document.body; p = p.parentElement) { if (p.getBoundingClientRect().right > vw + 0.5) { outer = false; break; } }
		if (outer) culprits.push(name(e) + " right=" + Math.round(r.right) + " \"" + (e.innerText || "").replace(/\s+/g, " ").trim().slice(0, 40) + "\"");
	}
	const lost = [];
	for (const w of document.querySelectorAll(".table-wrap")) {
		if (w.scrollWidth <= w.clientWidth + 1) continue;
		const cell = w.querySelector("tbody tr td, tbody tr th");
		const t = w.querySelector("table");
		if (!cell || !t) continue;
		if (getComputedStyle(cell).position === "sticky") continue;
		if (getComputedStyle(t).display !== "table") continue; // shown as cards
		lost.push(name(t) + " scrolls " + w.scrollWidth + " in " + w.clientWidth);
	}
	return {scrollWidth: document.documentElement.scrollWidth, innerWidth: vw, culprits: culprits.slice(0, 8), lost: lost};
})()`

// Overflow measures the page shown at the current viewport.
func (b *Browser) Overflow() Overflow {
	b.t.Helper()
	var raw struct {
		ScrollWidth int      `json:"scrollWidth"`
		InnerWidth  int      `json:"innerWidth"`
		Culprits    []string `json:"culprits"`
		Lost        []string `json:"lost"`
	}
	v, err := run(b, chromedp.Evaluate[map[string]any](overflowJS))
	b.must(err, "measure the page")
	raw.ScrollWidth, raw.InnerWidth = toInt(v["scrollWidth"]), toInt(v["innerWidth"])
	raw.Culprits, raw.Lost = toStrings(v["culprits"]), toStrings(v["lost"])
	return Overflow{ScrollWidth: raw.ScrollWidth, InnerWidth: raw.InnerWidth, Culprits: raw.Culprits, LostColumns: raw.Lost}
}

func toInt(v any) int {
	f, _ := v.(float64)
	return int(f)
}

func toStrings(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// Box is an element's place on the page, in CSS pixels relative to the
// viewport.
type Box struct{ Left, Top, Right, Bottom float64 }

// Overlaps reports whether two boxes share any area.
func (a Box) Overlaps(b Box) bool {
	return a.Left < b.Right && b.Left < a.Right && a.Top < b.Bottom && b.Top < a.Bottom
}

// Box returns the bounding box of the first element matching a CSS
// selector; ok is false when there is none.
func (b *Browser) Box(sel string) (Box, bool) {
	b.t.Helper()
	v, err := run(b, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => {
		const e = document.querySelector(%q);
		if (!e) return [];
		const r = e.getBoundingClientRect();
		return [r.left, r.top, r.right, r.bottom];
	})()`, sel)))
	b.must(err, "find %s", sel)
	if len(v) != 4 {
		return Box{}, false
	}
	return Box{v[0], v[1], v[2], v[3]}, true
}

// Links are the portal pages the page shown links to: same origin, GET,
// not downloads, not sign-in or sign-out, in document order.
func (b *Browser) Links() []string {
	b.t.Helper()
	// A link marked download (a CSV or JSON file) is a file, not a page.
	hrefs, err := run(b, evalStrings(`Array.from(document.querySelectorAll("a[href]:not([download])"), a => a.href)`))
	b.must(err, "read the links")
	var out []string
	for _, h := range hrefs {
		u, err := url.Parse(h)
		if err != nil || !strings.HasPrefix(h, b.stack.PortalURL) {
			continue
		}
		if strings.HasSuffix(u.Path, ".csv") || strings.HasSuffix(u.Path, ".json") || strings.HasPrefix(u.Path, "/auth/") || strings.HasPrefix(u.Path, "/static/") || u.Path == "/favicon.ico" {
			continue
		}
		u.Fragment = ""
		out = append(out, strings.TrimPrefix(u.String(), b.stack.PortalURL))
	}
	return out
}

var idSegment = regexp.MustCompile(`/[^/]*[0-9][^/]*`)

// PageKind names the page a path shows, with ids left out, so that a crawl
// visits one request page, one installation, one billing record, ...
// rather than every one.
func PageKind(path string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	return idSegment.ReplaceAllString(u.Path, "/:id")
}

// ScrollTo scrolls the page (never sideways) until the element's top is in
// view, as a person scrolls down to it.
func (b *Browser) ScrollTo(sel string) {
	b.t.Helper()
	_, err := run(b, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; window.scrollTo(0, window.scrollY + e.getBoundingClientRect().top - 8); return true; })()`, sel)))
	b.must(err, "scroll to %s", sel)
}
