package obi

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	simobi "github.com/accounting-portal/portal/internal/sim/obi"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// BenchmarkProjectJobs_Scale100 streams a whole project report (thousands
// of jobs, pages of 1000) from a scale-100 simulator over HTTP, decoding
// every job.
func BenchmarkProjectJobs_Scale100(b *testing.B) {
	w := world.New(1, 100)
	sim := simobi.New(simobi.Options{World: w, Now: func() time.Time { return t0 }})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	proj := w.Projects[42].OBIID
	b.ReportAllocs()
	b.ResetTimer()
	jobs := 0
	for b.Loop() {
		jobs = 0
		if err := c.EachProjectJob(context.Background(), proj, func(Job) error { jobs++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(jobs), "jobs/op")
}
