package sectest

import (
	"fmt"
	"html"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func check(t *testing.T, name string, fn func(testing.TB), wantFail bool) {
	t.Helper()
	r := &recorder{TB: t}
	fn(r)
	if failed := len(r.errs) > 0; failed != wantFail {
		t.Errorf("%s: failed=%v (%q), want failed=%v", name, failed, r.errs, wantFail)
	}
}

func TestChecksCatchWhatTheyShould(t *testing.T) {
	for _, p := range Payloads {
		escaped := "<p>" + html.EscapeString(p.Raw) + "</p>"
		check(t, p.Name+" escaped", func(tb testing.TB) { HTML(tb, escaped, p) }, false)
		check(t, p.Name+" not rendered", func(tb testing.TB) { HTML(tb, "<p>nothing</p>", p) }, true)
		if p.dangerous() {
			check(t, p.Name+" raw", func(tb testing.TB) { HTML(tb, "<p>"+p.Raw+"</p>", p) }, true)
		}
		quoted := `"` + strings.ReplaceAll(p.Raw, `"`, `""`) + `"`
		safe := "name,value\r\n" + `"'` + strings.ReplaceAll(p.Raw, `"`, `""`) + `",1` + "\r\n"
		if !FormulaCell(p.Raw) {
			safe = "name,value\r\n" + quoted + ",1\r\n"
		}
		check(t, p.Name+" csv safe", func(tb testing.TB) { CSV(tb, safe, p) }, false)
		if FormulaCell(p.Raw) {
			check(t, p.Name+" csv formula", func(tb testing.TB) { CSV(tb, "name\r\n"+quoted+"\r\n", p) }, true)
		}
	}
	check(t, "svg with script", func(tb testing.TB) {
		SVG(tb, `<svg><text>`+html.EscapeString(Payloads[0].Raw)+`</text><script>x</script></svg>`, Payloads[0])
	}, true)
	check(t, "event handler", func(tb testing.TB) { Markup(tb, `<p><b onmouseover="x">a</b></p>`) }, true)
	check(t, "javascript url", func(tb testing.TB) { Markup(tb, `<a href=" JavaScript:alert(1)">a</a>`) }, true)
	check(t, "inline script", func(tb testing.TB) { Markup(tb, `<script>alert(1)</script>`) }, true)
	check(t, "own script file", func(tb testing.TB) { Markup(tb, `<script src="/static/js/x.js"></script>`) }, false)
	check(t, "escaped text", func(tb testing.TB) { Markup(tb, `<p title="&#34; onload=&#34;x">&lt;script&gt; onerror=x</p>`) }, false)
	check(t, "broken csv", func(tb testing.TB) { CSV(tb, "a,\"b\n", Payloads[0]) }, true)
}

func TestFormulaCell(t *testing.T) {
	for cell, want := range map[string]bool{"=1": true, "-3000.00": false, "+1": false, "-1e-5": false, "@x": true, "\t=1": true,
		"'=1": false, "plain": false, "": false, "-": true, "--1": true} {
		if got := FormulaCell(cell); got != want {
			t.Errorf("FormulaCell(%q) = %v", cell, got)
		}
	}
}
