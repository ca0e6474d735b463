package argo

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// listAll pages through a metric list with size 100 and returns the items.
func listAll(t *testing.T, s *Server, path string, q url.Values) []map[string]any {
	t.Helper()
	var out []map[string]any
	for pg := 1; ; pg++ {
		q.Set("page", fmt.Sprint(pg))
		q.Set("size", "100")
		p := getPage(t, s, path+"?"+q.Encode())
		out = append(out, p.Content...)
		if pg >= p.TotalPages {
			if int64(len(out)) != p.TotalElements {
				t.Fatalf("%s: %d items, total_elements %d", path, len(out), p.TotalElements)
			}
			return out
		}
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestMetrics_FiltersMatchTheServerRules(t *testing.T) {
	s := newSim(t, Options{})
	in := s.Installations()[0]
	// A posted metric with an odd period, to check the filters on stored metrics too.
	body := fmt.Sprintf(`{"metric_definition_id":%q,"time_period_start":"2025-06-10T13:00:00Z","time_period_end":"2025-06-12T01:00:00Z","value":3}`, in.MetricDefinitionIDs[1])
	wantStatus(t, call(t, s, http.MethodPost, basePath+"/installations/"+in.ID+"/metrics", DefaultToken, body, nil), http.StatusCreated)

	n, _ := s.InstallationMetricCount(in.ID)
	all, _ := s.InstallationMetrics(in.ID, 0, n)
	date := func(v string) time.Time { d, _ := time.Parse(time.DateOnly, v); return d }
	cases := []struct {
		start, end, def string
		keep            func(m Metric) bool
	}{
		{"2026-03-01", "", "", func(m Metric) bool { return !m.Start.Before(date("2026-03-01")) }},
		{"", "2025-04-02", "", func(m Metric) bool { return !m.End.After(date("2025-04-03").Add(-time.Nanosecond)) }},
		{"2025-06-10", "2025-06-12", "", func(m Metric) bool {
			lo, hi := date("2025-06-10"), date("2025-06-12")
			in := func(x time.Time) bool { return !x.Before(lo) && !x.After(hi) }
			return in(m.Start) && in(m.End)
		}},
		{"2025-06-10", "2025-06-13", in.MetricDefinitionIDs[1], func(m Metric) bool {
			lo, hi := date("2025-06-10"), date("2025-06-13")
			return m.MetricDefinitionID == in.MetricDefinitionIDs[1] && !m.Start.Before(lo) && !m.End.After(hi)
		}},
		{"", "", in.MetricDefinitionIDs[2], func(m Metric) bool { return m.MetricDefinitionID == in.MetricDefinitionIDs[2] }},
	}
	for _, c := range cases {
		q := url.Values{}
		for k, v := range map[string]string{"start": c.start, "end": c.end, "metric-definition-id": c.def} {
			if v != "" {
				q.Set(k, v)
			}
		}
		got := listAll(t, s, "/installations/"+in.ID+"/metrics", q)
		var want []string
		for _, m := range all {
			if c.keep(m) {
				want = append(want, m.ID)
			}
		}
		if len(want) == 0 {
			t.Fatalf("%v: the case selects nothing", q)
		}
		if len(got) != len(want) {
			t.Fatalf("%v: %d metrics, want %d", q, len(got), len(want))
		}
		for i := range got {
			if got[i]["id"] != want[i] {
				t.Fatalf("%v: item %d is %v, want %s", q, i, got[i]["id"], want[i])
			}
		}
	}
}

func TestMetrics_FilterErrors(t *testing.T) {
	s := newSim(t, Options{})
	p := "/installations/" + s.Installations()[0].ID + "/metrics?"
	wantError(t, get(t, s, p+"start=2025-13-01"), http.StatusBadRequest, msgBadDate)
	wantError(t, get(t, s, p+"end=yesterday"), http.StatusBadRequest, msgBadDate)
	wantError(t, get(t, s, p+"start=2025-05-01&end=2025-05-01"), http.StatusBadRequest, msgStartAfterEnd)
	wantError(t, get(t, s, p+"start=2025-05-02&end=2025-05-01"), http.StatusBadRequest, msgStartAfterEnd)
	wantError(t, get(t, s, p+"metric-definition-id=abc"), http.StatusNotFound, "There is no Metric Definition with the following id: abc")
	wantError(t, get(t, s, "/installations/nope/metrics"), http.StatusNotFound, "There is no Installation with the following id: nope")
	wantError(t, get(t, s, "/projects/nope/metrics"), http.StatusNotFound, "There is no Project with the following id: nope")
	proj := s.Projects()[0].ID
	wantError(t, get(t, s, "/projects/"+proj+"/providers/nope/metrics"), http.StatusNotFound, "There is no Provider with the following id: nope")
}

func TestMetrics_ProjectAndProviderScopes(t *testing.T) {
	s := newSim(t, Options{World: world.New(7, 3)})
	for _, pr := range s.Projects()[:3] {
		var total int64
		perProvider := map[string]int64{}
		for _, in := range s.Installations() {
			if in.ProjectID == pr.ID {
				n, _ := s.InstallationMetricCount(in.ID)
				total += int64(n)
				perProvider[in.ProviderID] += int64(n)
			}
		}
		if total == 0 {
			t.Fatalf("project %s has no metrics", pr.ID)
		}
		if p := getPage(t, s, "/projects/"+pr.ID+"/metrics"); p.TotalElements != total {
			t.Fatalf("project %s: %d metrics, want %d", pr.ID, p.TotalElements, total)
		}
		for _, pv := range s.Providers() {
			p := getPage(t, s, "/projects/"+pr.ID+"/providers/"+pv.ID+"/metrics?size=5")
			if p.TotalElements != perProvider[pv.ID] {
				t.Fatalf("%s/%s: %d metrics, want %d", pr.ID, pv.ID, p.TotalElements, perProvider[pv.ID])
			}
			for _, it := range p.Content {
				if it["project_id"] != pr.ID || it["provider"] != pv.ID || it["project"] != pr.Acronym {
					t.Fatalf("%s/%s: foreign item %v", pr.ID, pv.ID, it)
				}
			}
		}
	}
}

func TestMetrics_SingleMetricByID(t *testing.T) {
	s := newSim(t, Options{})
	ins := s.Installations()
	p := getPage(t, s, "/installations/"+ins[1].ID+"/metrics?page=37")
	item := p.Content[3]
	id := item["id"].(string)
	m := get(t, s, "/installations/"+ins[1].ID+"/metrics/"+id).json(t)
	def := item["metric_definition"].(map[string]any)
	if m["metric_id"] != id || m["metric_definition_id"] != def["metric_definition_id"] || m["value"] != item["value"] ||
		m["time_period_start"] != item["time_period_start"] || m["time_period_end"] != item["time_period_end"] {
		t.Fatalf("single %v does not match list item %v", m, item)
	}
	if _, ok := m["id"]; ok {
		t.Fatal("a single metric carries id")
	}
	wantError(t, get(t, s, "/installations/"+ins[0].ID+"/metrics/"+id), http.StatusNotFound, "There is no Metric with the following id: "+id)
	bad := id[:8] + "ffffffffffffffff"
	wantError(t, get(t, s, "/installations/"+ins[1].ID+"/metrics/"+bad), http.StatusNotFound, "There is no Metric with the following id: "+bad)
	if got, ok := s.Metric(id); !ok || got.InstallationID != ins[1].ID {
		t.Fatalf("Metric(%s) = %+v %v", id, got, ok)
	}
}

func TestMetrics_Deterministic(t *testing.T) {
	a, b := newSim(t, Options{}), newSim(t, Options{})
	c := newSim(t, Options{World: world.New(8, 1)})
	path := "/projects/" + a.Projects()[1].ID + "/metrics?page=3&size=50"
	ra, rb, rc := get(t, a, path), get(t, b, path), get(t, c, path)
	if !bytes.Equal(ra.body, rb.body) {
		t.Fatal("same seed, different data")
	}
	if bytes.Equal(ra.body, rc.body) {
		t.Fatal("different seeds, same data")
	}
}

func TestMetrics_ValuesHaveTrendAndWeeklyRhythm(t *testing.T) {
	s := newSim(t, Options{})
	in := firstInstallation(t, s, func(in Installation) bool { return len(in.MetricDefinitionIDs) > 0 })
	cpu := defByName(t, s, "cpu_hours").ID
	items := listAll(t, s, "/installations/"+in.ID+"/metrics", url.Values{"metric-definition-id": {cpu}})
	if len(items) != 365 {
		t.Fatalf("%d daily cpu metrics, want a year", len(items))
	}
	var weekday, weekend, wdN, weN float64
	for _, it := range items {
		v := it["value"].(float64)
		if v <= 0 {
			t.Fatalf("non-positive cpu hours %v", it)
		}
		switch mustTime(t, it["time_period_start"].(string)).Weekday() {
		case time.Saturday, time.Sunday:
			weekend, weN = weekend+v, weN+1
		default:
			weekday, wdN = weekday+v, wdN+1
		}
	}
	if weekend/weN >= 0.85*weekday/wdN {
		t.Fatalf("no weekend dip: weekend mean %.1f, weekday mean %.1f", weekend/weN, weekday/wdN)
	}
	last := mustTime(t, items[len(items)-1]["time_period_end"].(string))
	if !last.Equal(testNow.Truncate(24 * time.Hour)) {
		t.Fatalf("metrics end at %v, want midnight of Now", last)
	}
}

func TestMetrics_Scale100HasAMillionWithoutHoldingThem(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := newSim(t, Options{World: world.New(7, 100)})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if n := s.MetricCount(); n < 1_000_000 {
		t.Fatalf("scale 100 has %d metrics", n)
	}
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 32<<20 {
		t.Fatalf("the simulator holds %d MiB at scale 100", grew>>20)
	}
	in := s.Installations()[len(s.Installations())-1]
	p := getPage(t, s, "/installations/"+in.ID+"/metrics?page=15&size=100")
	if len(p.Content) != 60 || p.TotalElements != 1460 {
		t.Fatalf("last installation: %d items of %d", len(p.Content), p.TotalElements)
	}
}
