package app_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/app/apptest"
)

// installationOf returns the id of an installation of the ARGO project.
func installationOf(t *testing.T, p *apptest.Portal, argoProject string) string {
	t.Helper()
	for _, in := range p.Sims.Argo.Installations() {
		if in.ProjectID == argoProject {
			return in.ID
		}
	}
	t.Fatalf("no installation of %s", argoProject)
	return ""
}

// TestMetricsPages reads the metrics pages of the shared portal.
func TestMetricsPages(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	t.Run("scoped per role in pages and CSV", func(t *testing.T) { scopedPerRole(t, p) })
	t.Run("CSV matches the table on screen", func(t *testing.T) { csvMatchesTable(t, p) })
}

func scopedPerRole(t *testing.T, p *apptest.Portal) {
	climate := installationOf(t, p, "CLIMATE-ML")
	neuro := installationOf(t, p, "NEURO-SIM")
	cases := []struct {
		user    string
		sees    []string
		notSees []string
	}{
		{"manager", []string{"NEURO-SIM", "BRAIN-ATLAS"}, []string{"CLIMATE-ML", "POPGEN", "MATDISC"}},
		{"viewer", []string{"CLIMATE-ML"}, []string{"NEURO-SIM", "BRAIN-ATLAS"}},
		{"admin", []string{"NEURO-SIM", "BRAIN-ATLAS", "CLIMATE-ML", "GENOMICS", "MATERIALS"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.user, func(t *testing.T) {
			b := p.Login(t, tc.user)
			seen := map[string]bool{}
			for _, r := range apptest.CSVRecords(t, b.Get("/metrics.csv?range=30d&granularity=week")) {
				seen[r["argo_project_id"]] = true
			}
			page := b.Get("/metrics?range=30d&granularity=week&size=500")
			for _, want := range tc.sees {
				if !seen[want] || !regexp.MustCompile(`project=`+want+`(&|")`).MatchString(page.Body) {
					t.Errorf("%s does not see %s (CSV %v)", tc.user, want, seen)
				}
			}
			for _, not := range tc.notSees {
				if seen[not] || regexp.MustCompile(`project=`+not+`(&|")`).MatchString(page.Body) {
					t.Errorf("%s sees %s", tc.user, not)
				}
				// Asking for it by name in the URL gives nothing either.
				if rows := apptest.TableRows(b.Get("/metrics?range=7d&project=" + not).Body); len(rows) != 0 {
					t.Errorf("%s filtering for %s got %d rows", tc.user, not, len(rows))
				}
				if recs := apptest.CSVRecords(t, b.Get("/metrics.csv?range=7d&project="+not)); len(recs) != 0 {
					t.Errorf("%s's CSV for %s has %d rows", tc.user, not, len(recs))
				}
			}
			for _, path := range []string{"/metrics/installations.csv", "/metrics/definitions.csv"} {
				if r := b.Get(path); r.Status != http.StatusOK {
					t.Errorf("%s %s: %d", tc.user, path, r.Status)
				}
			}
			for _, r := range apptest.CSVRecords(t, b.Get("/metrics/installations.csv")) {
				if !containsString(tc.sees, r["argo_project_id"]) && tc.user != "admin" {
					t.Errorf("%s's installations list %s of %s", tc.user, r["installation"], r["argo_project_id"])
				}
			}
		})
	}
	// Other projects' installations do not exist for a user, by any URL.
	manager, viewer, admin := p.Login(t, "manager"), p.Login(t, "viewer"), p.Login(t, "admin")
	for _, path := range []string{"/metrics/installations/" + climate, "/metrics/installations/" + climate + ".csv",
		"/metrics/installations/" + climate + "/push", "/metrics/installations/" + climate + "?definition=x"} {
		if r := manager.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("manager %s: %d", path, r.Status)
		}
	}
	if r := manager.Post("/metrics/installations/"+climate+"/push", url.Values{"value": {"1"}}); r.Status != http.StatusNotFound {
		t.Errorf("manager posting to climate-ml: %d", r.Status)
	}
	if r := viewer.Get("/metrics/installations/" + neuro); r.Status != http.StatusNotFound {
		t.Errorf("viewer on neuro-sim's installation: %d", r.Status)
	}
	// The viewer reads climate-ml's installation but may not push to it.
	if r := viewer.Get("/metrics/installations/" + climate); r.Status != http.StatusOK || strings.Contains(r.Body, `data-testid="push-link"`) {
		t.Errorf("viewer's own installation: %d (push link shown: %v)", r.Status, strings.Contains(r.Body, "push-link"))
	}
	for _, r := range []*apptest.Response{viewer.Get("/metrics/installations/" + climate + "/push"),
		viewer.Post("/metrics/installations/"+climate+"/push", url.Values{"value": {"1"}})} {
		if r.Status != http.StatusForbidden {
			t.Errorf("viewer on the push form: %d", r.Status)
		}
	}
	if r := manager.Get("/metrics/installations/" + neuro); !strings.Contains(r.Body, `data-testid="push-link"`) {
		t.Error("the manager has no push link on their installation")
	}
	if r := admin.Get("/metrics/installations/" + climate + "/push"); r.Status != http.StatusOK {
		t.Errorf("admin push form: %d", r.Status)
	}
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func csvMatchesTable(t *testing.T, p *apptest.Portal) {
	b := p.Login(t, "manager")
	query := "range=90d&granularity=week&provider=lakeside&sort=-total&size=500"
	screen := apptest.TableRows(b.Get("/metrics?" + query).Body)
	file := apptest.CSVRecords(t, b.Get("/metrics.csv?"+query))
	if len(screen) == 0 || len(screen) != len(file) {
		t.Fatalf("%d rows on screen, %d in the CSV", len(screen), len(file))
	}
	for i, s := range screen {
		f := file[i]
		got := []string{f["period"], f["project"], f["provider"], f["metric_definition"], f["installations"], f["metrics"], f["total"], f["unit"], f["aggregation"]}
		want := []string{s["period"], s["project"], s["provider"], s["definition"], s["installations"], s["metrics"], strings.ReplaceAll(s["total"], ",", ""), s["unit"], s["aggregation"]}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("row %d: CSV %v, screen %v", i, got, want)
		}
	}
	// An installation's metrics, with a definition filter: the CSV header carries the unit.
	inst := installationOf(t, p, "NEURO-SIM")
	def := p.Sims.Argo.Installations()[0].MetricDefinitionIDs[0]
	q := "range=30d&definition=" + def + "&sort=-value&size=500"
	screen = apptest.TableRows(b.Get("/metrics/installations/" + inst + "?" + q).Body)
	r := b.Get("/metrics/installations/" + inst + ".csv?" + q)
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, `attachment; filename="argo-metrics-`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	file = apptest.CSVRecords(t, r)
	if len(screen) == 0 || len(screen) != len(file) {
		t.Fatalf("installation: %d rows on screen, %d in the CSV", len(screen), len(file))
	}
	valueHead := ""
	for h := range file[0] {
		if strings.HasPrefix(h, "value (") {
			valueHead = h
		}
	}
	if valueHead == "" {
		t.Fatalf("no value header with a unit: %v", file[0])
	}
	for i, s := range screen {
		f := file[i]
		if f["metric_id"] != s["id"] || strings.ReplaceAll(s["value"], ",", "") != f[valueHead] || f["unit"] != s["unit"] || f["user_id"] != s["user"] {
			t.Fatalf("row %d: CSV %v, screen %v", i, f, s)
		}
	}
}
