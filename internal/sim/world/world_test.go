package world

import (
	"reflect"
	"regexp"
	"testing"
)

func TestNew_Deterministic(t *testing.T) {
	a, b := New(7, 1), New(7, 1)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed and scale gave different worlds")
	}
	if reflect.DeepEqual(a.Projects, New(8, 1).Projects) {
		t.Fatal("a different seed gave the same project ids")
	}
	if a.Rand("x").Int64() != b.Rand("x").Int64() || a.Rand("x").Int64() == a.Rand("y").Int64() {
		t.Fatal("Rand streams are not per label")
	}
}

func TestNew_DemoCast(t *testing.T) {
	w := New(1, 1)
	if len(w.VirtualLabs) != 2 || len(w.Projects) != 5 || len(w.Providers) != 3 || len(w.Resources) != 3 {
		t.Fatalf("demo cast sizes: %d labs, %d projects, %d providers, %d resources",
			len(w.VirtualLabs), len(w.Projects), len(w.Providers), len(w.Resources))
	}
	if got := w.ProjectsOfLab(w.VirtualLabs[0].ID); len(got) != 2 || got[0].Key != "neuro-sim" {
		t.Fatalf("first lab projects = %+v", got)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for _, p := range w.Projects {
		if !uuid.MatchString(p.OBIID) || !uuid.MatchString(p.VlabID) {
			t.Errorf("%s: ids not UUIDs: %s %s", p.Key, p.OBIID, p.VlabID)
		}
		for _, id := range []string{p.Key, p.ArgoID, p.OBIID, p.AMIEID} {
			if seen[id] {
				t.Errorf("duplicate id %s", id)
			}
			seen[id] = true
		}
	}
	if _, ok := w.ProjectByKey("genomics"); !ok {
		t.Error("genomics not found")
	}
	if len(w.HexID("inst", 1)) != 24 {
		t.Error("HexID length")
	}
}

func TestNew_Scales(t *testing.T) {
	w := New(1, 20)
	if len(w.Projects) != 100 || len(w.VirtualLabs) != 40 {
		t.Fatalf("scale 20: %d projects, %d labs", len(w.Projects), len(w.VirtualLabs))
	}
	for _, p := range w.Projects {
		if p.VlabID == "" {
			t.Fatal("project without lab")
		}
	}
}
