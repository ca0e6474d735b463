package app_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/web/templates"
)

var (
	pathDRE    = regexp.MustCompile(`<path class="line[^"]*" d="([^"]*)"`)
	barRE      = regexp.MustCompile(`<rect class="series-`)
	rangeNote  = regexp.MustCompile(`data-testid="range-note"[^>]*>([^<]*)<`)
	extremeQry = "from=0001-01-01&to=9999-12-31"
)

// TestSecurity_ExtremeRangesAreBounded asks every page and CSV that takes
// a date range for the widest range the date fields allow. Each answers
// with a bounded body, and each chart line has at most
// templates.MaxChartPoints points (web/templates' tests check the
// bucketing itself, and BenchmarkBudgetProject_ExtremeRange the cost).
func TestSecurity_ExtremeRangesAreBounded(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	manager := p.Login(t, "manager")
	const maxBody = 2 << 20
	for _, u := range []string{
		"/budgets/projects/neuro-sim?" + extremeQry,
		"/budgets/projects/neuro-sim/jobs.csv?" + extremeQry,
		"/budgets/projects/neuro-sim/spend.csv?" + extremeQry,
		"/budgets/projects/neuro-sim/balances?" + extremeQry,
		"/budgets/projects/neuro-sim/balances.csv?" + extremeQry,
		"/billing?" + extremeQry, "/billing.csv?" + extremeQry, "/billing/usage.csv?" + extremeQry,
		"/billing/records.csv?" + extremeQry, "/billing/tiers.csv?" + extremeQry,
		"/usage?" + extremeQry, "/usage.csv?" + extremeQry,
		"/metrics?granularity=month&" + extremeQry, "/metrics.csv?granularity=month&" + extremeQry,
		"/metrics?" + extremeQry,
	} {
		b := manager
		r := b.Get(u)
		if r.Status != http.StatusOK {
			t.Errorf("%s: %d", u, r.Status)
			continue
		}
		if len(r.Body) > maxBody {
			t.Errorf("%s: %d bytes, want at most %d", u, len(r.Body), maxBody)
		}
		for _, d := range pathDRE.FindAllStringSubmatch(r.Body, -1) {
			if n := strings.Count(d[1], "L") + 1; n > templates.MaxChartPoints {
				t.Errorf("%s: a chart line of %d points, want at most %d", u, n, templates.MaxChartPoints)
			}
		}
		if n := len(barRE.FindAllString(r.Body, -1)); n > 6*templates.MaxChartPoints {
			t.Errorf("%s: %d bars", u, n)
		}
	}
	// The page says the range was shortened, and to what.
	r := manager.Get("/budgets/projects/neuro-sim?" + extremeQry)
	if m := rangeNote.FindStringSubmatch(r.Body); m == nil || !strings.Contains(m[1], "ends today and covers at most 20 years") {
		t.Errorf("the page does not say the range was shortened")
	}
	if len(pathDRE.FindAllStringSubmatch(r.Body, -1)) == 0 {
		t.Error("the project page draws no balance line")
	}
}
