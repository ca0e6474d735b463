package argo

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/sim/world"
)

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// shapeDiffs compares two JSON values by shape: the same keys and the same
// JSON types, recursively; every element of a got array against the first
// element of the want array (a got array may be empty, e.g. a provider
// without installations, except a list's content). extra names keys got
// may have beyond want.
func shapeDiffs(want, got any, path string, extra map[string]bool) []string {
	if got == nil && strings.HasSuffix(path, ".call_identifier") {
		return nil // "call_identifier (may be null)", API.md §8.1
	}
	if jsonKind(want) != jsonKind(got) {
		return []string{fmt.Sprintf("%s: %s, want %s", path, jsonKind(got), jsonKind(want))}
	}
	var diffs []string
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			diffs = append(diffs, shapeDiffs(wv, gv, path+"."+k, extra)...)
		}
		for k := range g {
			if _, ok := w[k]; !ok && !extra[k] {
				diffs = append(diffs, fmt.Sprintf("%s.%s: not in the fixture", path, k))
			}
		}
	case []any:
		g := got.([]any)
		if len(w) > 0 && len(g) == 0 && strings.HasSuffix(path, ".content") {
			diffs = append(diffs, path+": empty, the fixture has items")
		}
		for i, gv := range g {
			if len(w) > 0 {
				diffs = append(diffs, shapeDiffs(w[0], gv, fmt.Sprintf("%s[%d]", path, i), extra)...)
			}
		}
	}
	sort.Strings(diffs)
	return diffs
}

// settleUnitsOfAccess checks every set unit_of_access in v (an object of
// the metric definition's shape on installations, an id string in the
// hierarchy) and then nulls it, so that the rest compares against the
// fixtures, whose installations have none. It returns how many were null.
func settleUnitsOfAccess(t *testing.T, v any, defShape any) (nulls int) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if k != "unit_of_access" {
				nulls += settleUnitsOfAccess(t, val, defShape)
				continue
			}
			switch u := val.(type) {
			case nil:
				nulls++
			case string:
			case map[string]any:
				if d := shapeDiffs(defShape, u, "unit_of_access", nil); len(d) > 0 {
					t.Errorf("unit_of_access object: %v", d)
				}
			default:
				t.Errorf("unit_of_access is %s", jsonKind(u))
			}
			x[k] = nil
		}
	case []any:
		for _, e := range x {
			nulls += settleUnitsOfAccess(t, e, defShape)
		}
	}
	return nulls
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func TestFixtures_ReproducedShapeForShape(t *testing.T) {
	dir := upstreamDir + "acc-library-fixtures/"
	defShape := readJSON(t, dir+"installation-metrics-list.page1.acclib-test.json").(map[string]any)["content"].([]any)[0].(map[string]any)["metric_definition"]
	for _, mode := range []struct {
		version string
		extra   map[string]bool
	}{
		{Version170, nil}, // the fixtures are 1.7.0 shapes: exactly the same keys
		{VersionUnion, map[string]bool{"external_id": true, "capacities": true}},
	} {
		t.Run("version="+mode.version, func(t *testing.T) {
			s := newSim(t, Options{World: world.New(7, 1.5), Version: mode.version}) // 12 installations, as in installations-all
			reqs := fixtureRequests(t, s)
			files, _ := filepath.Glob(dir + "*.json")
			if len(files) != 12 {
				t.Fatalf("%d fixture files", len(files))
			}
			for _, f := range files {
				name := filepath.Base(f)
				r, ok := reqs[name]
				if !ok {
					t.Fatalf("no request reproduces %s", name)
				}
				want := readJSON(t, f)
				got := r()
				nulls := settleUnitsOfAccess(t, got, defShape)
				if _, fixtureHasUoA := want.(map[string]any)["unit_of_access"]; fixtureHasUoA && nulls == 0 {
					t.Errorf("%s: the installation has no null unit_of_access", name)
				}
				if d := shapeDiffs(want, got, "$", mode.extra); len(d) > 0 {
					t.Errorf("%s:\n%v", name, d)
				}
			}
		})
	}
}

// fixtureRequests maps each fixture file to the simulator reply that
// must have its shape.
func fixtureRequests(t *testing.T, s *Server) map[string]func() any {
	in := firstInstallation(t, s, func(in Installation) bool { return in.UnitOfAccess == "" && in.Resource != "" })
	cpu := defByName(t, s, "cpu_hours").ID
	cpuMetrics := "?" + url.Values{"metric-definition-id": {cpu}}.Encode()
	first := getPage(t, s, "/installations/"+in.ID+"/metrics"+cpuMetrics).Content[0]["id"].(string)
	body := func(r reply) any {
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	getJSON := func(path string) func() any {
		return func() any { r := get(t, s, path); wantStatus(t, r, http.StatusOK); return body(r) }
	}
	post := func() any {
		req, _ := os.ReadFile(upstreamDir + "acc-library-fixtures/installation-metric-post-request.acclib-test.json")
		var m map[string]any
		json.Unmarshal(req, &m)
		m["metric_definition_id"] = cpu // the fixture's id is the library's own
		b, _ := json.Marshal(m)
		r := call(t, s, http.MethodPost, basePath+"/installations/"+in.ID+"/metrics", DefaultToken, string(b), nil)
		wantStatus(t, r, http.StatusCreated)
		reply := body(r).(map[string]any)
		if id, _ := reply["metric_id"].(string); id == "" {
			t.Errorf("POST reply without metric_id: %s", r.body)
		}
		delete(reply, "metric_id") // the request has the rest of the reply's keys
		return reply
	}
	proj := in.ProjectID
	return map[string]func() any{
		"installation-get.68179546f1a5b48f0c854353.acclib-test.json":        getJSON("/installations/" + in.ID),
		"installation-metric-get.681bc483371ad01d931461bf.acclib-test.json": getJSON("/installations/" + in.ID + "/metrics/" + first),
		"installation-metric-post-request.acclib-test.json":                 post,
		"installation-metrics-list.page1.acclib-test.json":                  getJSON("/installations/" + in.ID + "/metrics" + cpuMetrics),
		"installations-all.page1.acclib-test.json":                          getJSON("/installations/all?page=1"),
		"installations-all.page2.acclib-test.json":                          getJSON("/installations/all?page=2"),
		"project-get.TESTPROJ01.acclib-test.json":                           getJSON("/projects/" + proj),
		"project-metrics-list.page1.acclib-test.json":                       getJSON("/projects/" + proj + "/metrics" + cpuMetrics),
		"project-provider-metrics-list.page1.acclib-test.json":              getJSON("/projects/" + proj + "/providers/" + in.ProviderID + "/metrics" + cpuMetrics),
		"projects-list.page1.acclib-test.json":                              getJSON("/projects"),
		"provider-get.TESTPROV01.acclib-test.json":                          getJSON("/providers/" + in.ProviderID),
		"providers-list.page1.acclib-test.json":                             getJSON("/providers"),
	}
}
