package argo

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// benchSim is a simulator at scale 100 (800 installations, 1,168,000 metrics).
func benchSim(b *testing.B) *Server {
	b.Helper()
	return newSim(b, Options{World: world.New(7, 100)})
}

func benchPages(b *testing.B, s *Server, path func(i int) string) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest(http.MethodGet, "http://sim.test"+basePath+path(i), nil)
		req.Header.Set("Authorization", "Bearer "+DefaultToken)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkListInstallationMetricsScale100 pages through installations'
// metric lists, 100 metrics a page, spread over the whole data set.
func BenchmarkListInstallationMetricsScale100(b *testing.B) {
	s := benchSim(b)
	ins := s.Installations()
	benchPages(b, s, func(i int) string {
		return fmt.Sprintf("/installations/%s/metrics?page=%d&size=100", ins[(i*7)%len(ins)].ID, 1+i%15)
	})
}

// BenchmarkListProjectMetricsFilteredScale100 lists filtered project metrics.
func BenchmarkListProjectMetricsFilteredScale100(b *testing.B) {
	s := benchSim(b)
	ps := s.Projects()
	benchPages(b, s, func(i int) string {
		return fmt.Sprintf("/projects/%s/metrics?page=%d&size=100&start=2025-06-01&end=2026-01-01", ps[(i*13)%len(ps)].ID, 1+i%5)
	})
}

// BenchmarkNewScale100 builds the scale-100 simulator.
func BenchmarkNewScale100(b *testing.B) {
	w := world.New(7, 100)
	b.ReportAllocs()
	for b.Loop() {
		New(Options{World: w})
	}
}
