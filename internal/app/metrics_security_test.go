package app_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/sectest"
)

var svgRE = regexp.MustCompile(`(?s)<svg.*?</svg>`)

// svgs are the drawings of a page.
func svgs(t *testing.T, body string) []string {
	t.Helper()
	out := svgRE.FindAllString(body, -1)
	if len(out) == 0 {
		t.Fatal("the page draws no chart")
	}
	return out
}

// secGet fetches a page that must answer 200.
func secGet(t *testing.T, b *apptest.Browser, path string) string {
	t.Helper()
	r := b.Get(path)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d", path, r.Status)
	}
	return r.Body
}

// TestMetrics_UpstreamTextIsEscaped plants every payload in ARGO's own
// words, through the simulator: project titles and acronyms, provider
// names, installation names, infrastructures and resources, metric
// definition names, descriptions and unit types. The real client syncs
// them; every metrics page shows them as text, the charts' titles and
// series carry them escaped, and the CSVs neutralise them.
func TestMetrics_UpstreamTextIsEscaped(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{"argo"}})
	defs, insts := plantHostileArgo(t, p)
	admin := p.Login(t, "admin")

	pages := map[string]string{}
	for _, path := range []string{"/metrics?range=7d&size=500", "/metrics/definitions?size=500", "/metrics/installations?size=500"} {
		pages[path] = secGet(t, admin, path)
	}
	csvs := map[string]string{}
	for _, path := range []string{"/metrics.csv?range=7d", "/metrics/definitions.csv", "/metrics/installations.csv"} {
		csvs[path] = secGet(t, admin, path)
	}
	for i, pl := range sectest.Payloads {
		t.Run(pl.Marker(), func(t *testing.T) {
			for path, body := range pages {
				t.Run(path, func(t *testing.T) { sectest.HTML(t, body, pl) })
			}
			for path, body := range csvs {
				t.Run(path, func(t *testing.T) { sectest.CSV(t, body, pl) })
			}
			// The overview's chart of this definition: its title names the
			// definition, its series the project, its axis the unit.
			for _, svg := range svgs(t, secGet(t, admin, "/metrics?range=7d&chart="+defs[i])) {
				sectest.SVG(t, svg, pl)
			}
			inst := "/metrics/installations/" + insts[i]
			page := secGet(t, admin, inst+"?range=7d")
			sectest.HTML(t, page, pl)
			for _, svg := range svgs(t, page) {
				sectest.SVG(t, svg, pl)
			}
			sectest.CSV(t, secGet(t, admin, inst+".csv?range=7d"), pl)
		})
	}
	// The push form lists every definition by name and unit.
	form := secGet(t, admin, "/metrics/installations/"+insts[0]+"/push")
	for _, pl := range sectest.Payloads {
		sectest.HTML(t, form, pl)
	}
}
