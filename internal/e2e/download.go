package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"
)

// Table is an HTML table as the browser shows it: the header cells'
// visible text and, for each body row, its cells' visible text
// (whitespace collapsed, sort arrows dropped).
type Table struct {
	Header []string
	Rows   [][]string
}

// ReadTable reads the table matching a CSS selector through the DOM.
// Rows made only of header cells (group headings) and the placeholder
// row of an empty table are left out.
func (b *Browser) ReadTable(sel string) Table {
	b.t.Helper()
	b.WaitFor(sel)
	js := fmt.Sprintf(`(() => {
		const clean = s => s.replace(/[▲▼]/g, "").replace(/\s+/g, " ").trim();
		const t = document.querySelector(%q);
		const header = Array.from(t.querySelectorAll("thead th"), th => clean(th.innerText));
		const rows = [];
		for (const tr of t.querySelectorAll("tbody tr")) {
			const tds = tr.querySelectorAll("td");
			if (tds.length === 0 || (tds.length === 1 && tds[0].classList.contains("empty"))) continue;
			rows.push(Array.from(tr.children, c => clean(c.innerText)));
		}
		return JSON.stringify({header, rows});
	})()`, sel)
	s, err := run(b, chromedp.Evaluate[string](js))
	b.must(err, "read the table %s", sel)
	var out struct {
		Header []string   `json:"header"`
		Rows   [][]string `json:"rows"`
	}
	b.must(json.Unmarshal([]byte(s), &out), "decode the table %s", sel)
	return Table{Header: out.Header, Rows: out.Rows}
}

// Download is a file fetched the way the browser would fetch it: with
// the signed-in person's cookies.
type Download struct {
	URL, ContentType, Disposition string
	Status                        int
	Body                          string
}

// Records parses the download as CSV; the first record is the header.
func (d Download) Records() ([][]string, error) {
	return csv.NewReader(strings.NewReader(d.Body)).ReadAll()
}

// Fetch downloads the target of the link matching a CSS selector with
// fetch() in the page, so the request carries the browser's own cookies
// (the session cookie is HttpOnly: no script can read it, but the
// browser sends it).
func (b *Browser) Fetch(linkSel string) Download {
	b.t.Helper()
	js := fmt.Sprintf(`(async () => {
		const a = document.querySelector(%q);
		if (!a) return JSON.stringify({error: "no link"});
		const r = await fetch(a.href, {credentials: "same-origin"});
		return JSON.stringify({url: a.href, status: r.status, type: r.headers.get("Content-Type") || "",
			disposition: r.headers.get("Content-Disposition") || "", body: await r.text()});
	})()`, linkSel)
	s, err := run(b, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	b.must(err, "download the target of %s", linkSel)
	var out struct {
		Error, URL, Type, Disposition, Body string
		Status                              int
	}
	b.must(json.Unmarshal([]byte(s), &out), "decode the download of %s", linkSel)
	if out.Error != "" {
		b.t.Fatalf("e2e: download %s: %s (at %s)", linkSel, out.Error, b.URL())
	}
	return Download{URL: out.URL, Status: out.Status, ContentType: out.Type, Disposition: out.Disposition, Body: out.Body}
}
