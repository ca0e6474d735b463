package argo

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/accounting-portal/portal/internal/sim/world"
)

func TestEnvelope_DefaultSizeAndLastPage(t *testing.T) {
	s := newSim(t, Options{World: world.New(7, 2.5)}) // 20 installations
	n := len(s.Installations())
	p1 := getPage(t, s, "/installations/all")
	if p1.SizeOfPage != 10 || len(p1.Content) != 10 || p1.NumberOfPage != 1 {
		t.Fatalf("default page: size_of_page %d, %d items, page %d", p1.SizeOfPage, len(p1.Content), p1.NumberOfPage)
	}
	if p1.TotalElements != int64(n) || p1.TotalPages != (n+9)/10 {
		t.Fatalf("totals %d/%d for %d installations", p1.TotalElements, p1.TotalPages, n)
	}
	last := getPage(t, s, fmt.Sprintf("/installations/all?page=%d", p1.TotalPages))
	if want := n - 10*(p1.TotalPages-1); last.SizeOfPage != want || len(last.Content) != want {
		t.Fatalf("last page size_of_page %d with %d items, want %d", last.SizeOfPage, len(last.Content), want)
	}
	// Walking the pages as the Python library does yields each installation once.
	seen := map[string]bool{}
	for pg := 1; pg <= p1.TotalPages; pg++ {
		for _, it := range getPage(t, s, fmt.Sprintf("/installations/all?page=%d", pg)).Content {
			id := it["id"].(string)
			if seen[id] {
				t.Fatalf("installation %s twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("walked %d of %d installations", len(seen), n)
	}
}

func TestEnvelope_Links(t *testing.T) {
	s := newSim(t, Options{})
	p := getPage(t, s, "/metric-definitions?page=2&size=3&start=ignored")
	base := "http://sim.test/accounting-system/metric-definitions"
	want := []link{
		{base + "?page=1&size=3", "first"}, {base + "?page=4&size=3", "last"}, {base + "?page=2&size=3", "self"},
		{base + "?page=1&size=3", "prev"}, {base + "?page=3&size=3", "next"},
	}
	if fmt.Sprint(p.Links) != fmt.Sprint(want) {
		t.Fatalf("links\n%v\nwant\n%v", p.Links, want)
	}
	// The last page (one definition of ten) carries size=<items on the page>.
	last := getPage(t, s, "/metric-definitions?page=4&size=3")
	if len(last.Links) != 4 || last.Links[0].Href != base+"?page=1&size=1" || last.Links[3].Rel != "prev" {
		t.Fatalf("last page links %v", last.Links)
	}
	if one := getPage(t, s, "/providers"); len(one.Links) != 0 || one.TotalPages != 1 {
		t.Fatalf("a single page has links %v", one.Links)
	}
	if past := getPage(t, s, "/metric-definitions?page=9&size=3"); len(past.Links) != 0 {
		t.Fatalf("a page past the end has links %v", past.Links)
	}
}

func TestEnvelope_PastTheEndAndEmpty(t *testing.T) {
	s := newSim(t, Options{})
	past := getPage(t, s, "/providers?page=5")
	if len(past.Content) != 0 || past.SizeOfPage != 0 || past.NumberOfPage != 5 || past.TotalElements != 3 || past.TotalPages != 1 {
		t.Fatalf("past the end: %+v", past)
	}
	in := s.Installations()[0]
	empty := getPage(t, s, "/installations/"+in.ID+"/metrics?start=2020-01-01&end=2020-02-01")
	if empty.TotalElements != 0 || empty.TotalPages != 1 || empty.SizeOfPage != 0 || len(empty.Links) != 0 {
		t.Fatalf("empty list: %+v", empty)
	}
}

func TestEnvelope_Validation(t *testing.T) {
	s := newSim(t, Options{})
	for _, c := range []struct {
		query  string
		status int
		msg    string
	}{
		{"page=0", http.StatusBadRequest, "Page number must be >= 1."},
		{"page=-3", http.StatusBadRequest, "Page number must be >= 1."},
		{"size=0", http.StatusBadRequest, "Page size must be between 1 and 100."},
		{"size=101", http.StatusBadRequest, "Page size must be between 1 and 100."},
		{"page=x", http.StatusNotFound, "HTTP 404 Not Found"},
	} {
		wantError(t, get(t, s, "/providers?"+c.query), c.status, c.msg)
	}
	if p := getPage(t, s, "/metric-definitions?size=100"); p.SizeOfPage != 10 {
		t.Fatalf("size=100 gave %d items", p.SizeOfPage)
	}
}

func TestRoutes_UnknownIsJSON404(t *testing.T) {
	s := newSim(t, Options{})
	wantError(t, get(t, s, "/no/such/route"), http.StatusNotFound, "HTTP 404 Not Found")
	wantError(t, call(t, s, http.MethodDelete, basePath+"/providers", DefaultToken, "", nil), http.StatusNotFound, "HTTP 404 Not Found")
	if r := call(t, s, http.MethodGet, "/health", "", "", nil); r.status != http.StatusOK {
		t.Fatalf("/health %d", r.status)
	}
}

func TestRoutes_Eras(t *testing.T) {
	for _, c := range []struct {
		version                string
		projects, adminProject int
	}{
		{VersionUnion, http.StatusOK, http.StatusOK},
		{Version170, http.StatusOK, http.StatusNotFound},
		{Version181, http.StatusNotFound, http.StatusOK},
	} {
		s := newSim(t, Options{Version: c.version})
		if r := get(t, s, "/projects"); r.status != c.projects {
			t.Errorf("%q: GET /projects %d, want %d", c.version, r.status, c.projects)
		}
		if r := get(t, s, "/admin/projects"); r.status != c.adminProject {
			t.Errorf("%q: GET /admin/projects %d, want %d", c.version, r.status, c.adminProject)
		}
	}
}

func TestEras_Shapes(t *testing.T) {
	id := func(s *Server) string {
		return firstInstallation(t, s, func(in Installation) bool { return in.UnitOfAccess == "" }).ID
	}
	old := newSim(t, Options{Version: Version170})
	m := get(t, old, "/installations/"+id(old)).json(t)
	if _, ok := m["external_id"]; ok {
		t.Fatalf("1.7.0 sends external_id: %v", m)
	}
	if v, ok := m["unit_of_access"]; !ok || v != nil {
		t.Fatalf("1.7.0 must send unit_of_access null: %v", m)
	}
	if _, ok := m["capacities"]; ok {
		t.Fatalf("1.7.0 sends capacities: %v", m)
	}
	newer := newSim(t, Options{Version: Version181})
	m = get(t, newer, "/installations/"+id(newer)).json(t)
	if _, ok := m["unit_of_access"]; ok {
		t.Fatalf("1.8.1 sends an unset unit_of_access: %v", m)
	}
	if _, ok := m["external_id"].(string); !ok {
		t.Fatalf("1.8.1 lacks external_id: %v", m)
	}
	if _, ok := m["capacities"].([]any); !ok {
		t.Fatalf("1.8.1 lacks capacities: %v", m)
	}
}
