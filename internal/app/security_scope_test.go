package app_test

import (
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/app/apptest"
)

// anotherProjectsCSVs names another project's ids in the filters of CSV
// downloads (the route table checks the statuses of such URLs; this
// checks what they contain): nothing of that project comes back. It runs
// on the route table's portal (TestSecurity_EveryRouteEveryRole). That a
// metric push is only its sender's and the admins' is checked with the
// pushes (TestMetricPush), which write.
func anotherProjectsCSVs(t *testing.T, p *apptest.Portal, browsers map[string]*apptest.Browser) {
	manager, viewer := browsers["manager"], browsers["viewer"]
	neuro, climate := project(t, p.Sims.World, "neuro-sim"), project(t, p.Sims.World, "climate-ml")

	// csvRows downloads a CSV that must answer 200 and returns its rows.
	csvRows := func(b *apptest.Browser, path string) []map[string]string {
		t.Helper()
		return apptest.CSVRecords(t, b.Get(path))
	}
	cases := []struct {
		who  string
		b    *apptest.Browser
		path string
		// leak reports whether a row belongs to the other project.
		col, other string
	}{
		{"manager", manager, "/usage/failed.csv?project=" + climate.AMIEID, "local_project_id", climate.AMIEID},
		{"manager", manager, "/usage/failed.csv", "local_project_id", climate.AMIEID},
		{"viewer", viewer, "/usage/failed.csv?project=" + neuro.AMIEID, "local_project_id", neuro.AMIEID},
		{"manager", manager, "/metrics/installations.csv?project=" + climate.ArgoID, "argo_project_id", climate.ArgoID},
		{"manager", manager, "/metrics.csv?range=30d&project=" + climate.ArgoID, "argo_project_id", climate.ArgoID},
		{"viewer", viewer, "/metrics.csv?range=30d&project=" + neuro.ArgoID, "argo_project_id", neuro.ArgoID},
		{"manager", manager, "/budgets.csv?lab=" + climate.VlabID, "project_key", "climate-ml"},
		{"manager", manager, "/budgets/labs.csv", "obi_vlab_id", climate.VlabID},
		{"viewer", viewer, "/budgets.csv?lab=" + neuro.VlabID, "project_key", "neuro-sim"},
	}
	for _, c := range cases {
		rows := csvRows(c.b, c.path)
		// Unfiltered, the person's own rows are there: the check below
		// looks at real rows, in a column that exists.
		if !strings.Contains(c.path, "?") && len(rows) == 0 {
			t.Errorf("%s's %s is empty", c.who, c.path)
		}
		for _, row := range rows {
			if v, ok := row[c.col]; !ok || v == c.other {
				t.Errorf("%s's %s has a row of %s (or no column %s): %v", c.who, c.path, c.other, c.col, row)
			}
		}
	}
	// The filter that names the other project yields nothing at all
	// (not, say, the person's own rows unfiltered).
	for _, path := range []string{"/usage/failed.csv?project=" + climate.AMIEID, "/budgets.csv?lab=" + climate.VlabID} {
		if rows := csvRows(manager, path); len(rows) != 0 {
			t.Errorf("manager's %s: %d rows", path, len(rows))
		}
	}
}
