package obi

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// The big-scale path: a world at scale 100 (200 labs, 500 projects, about
// 40 jobs per project per working day over 90 days).

var bigSim struct {
	s *Server
	w *world.World
}

func scale100(b *testing.B) (*Server, *world.World) {
	if bigSim.s == nil {
		bigSim.w = world.New(1, 100)
		bigSim.s = New(Options{World: bigSim.w, Now: func() time.Time { return testT0 }})
	}
	return bigSim.s, bigSim.w
}

// walkReport fetches every page of a report through the handler and
// returns the number of jobs.
func walkReport(b *testing.B, s *Server, path string, size int) int {
	n := 0
	for page := 1; ; page++ {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", fmt.Sprintf("http://test%s?page_size=%d&page=%d", path, size, page), nil))
		var env struct {
			Data struct {
				Items []json.RawMessage `json:"items"`
				Meta  struct {
					TotalPages int `json:"total_pages"`
				} `json:"meta"`
			} `json:"data"`
		}
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &env) != nil {
			b.Fatalf("page %d: %d", page, rec.Code)
		}
		n += len(env.Data.Items)
		if page >= env.Data.Meta.TotalPages {
			return n
		}
	}
}

// BenchmarkProjectReport_Scale100 fetches a whole project report (page
// size 1000) from a scale-100 simulator.
func BenchmarkProjectReport_Scale100(b *testing.B) {
	s, w := scale100(b)
	path := "/report/project/" + w.Projects[42].OBIID
	b.ReportAllocs()
	b.ResetTimer()
	jobs := 0
	for b.Loop() {
		jobs = walkReport(b, s, path, 1000)
	}
	b.ReportMetric(float64(jobs), "jobs/op")
}

// BenchmarkSystemReportPage_Scale100 fetches one page of 1000 deep in the
// system report (about 1.4 million jobs).
func BenchmarkSystemReportPage_Scale100(b *testing.B) {
	s, _ := scale100(b)
	b.ReportAllocs()
	b.ResetTimer()
	page := 0
	for b.Loop() {
		page = page%1000 + 1
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", fmt.Sprintf("http://test/report/system?page_size=1000&page=%d", page*7), nil))
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkNew_Scale100 is the start-up cost of a scale-100 simulator.
func BenchmarkNew_Scale100(b *testing.B) {
	w := world.New(1, 100)
	b.ReportAllocs()
	for b.Loop() {
		New(Options{World: w, Now: func() time.Time { return testT0 }})
	}
}
