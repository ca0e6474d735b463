package amie

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	amiesim "github.com/accounting-portal/portal/internal/sim/amie"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// BenchmarkSendCompute100k sends 100,000 compute records through the
// client to the simulator over loopback HTTP: validation, encoding, the
// split into requests under 768 KiB, and the simulator's validation and
// queueing of each record. A fresh simulator per iteration keeps every
// record new. Allocations include the simulator's (same process).
func BenchmarkSendCompute100k(b *testing.B) {
	f := newFixture(b)
	recs := f.jobs("bench-", 100_000)
	for i := range recs {
		recs[i].Attributes = ComputeAttributes{NodeCount: Int(1), CpuCoreCount: Int(128), JobName: fmt.Sprintf("job-%d", i),
			Memory: Int(256000), Queue: "RM"}
	}
	b.ReportAllocs()
	chunks := 0
	for b.Loop() {
		b.StopTimer()
		sim := amiesim.New(amiesim.Options{World: world.New(1, 1), Now: f.clk.Now, HistoryDays: -1})
		srv := httptest.NewServer(sim)
		c := newTestClient(b, srv.URL+amiesim.BasePath, 0)
		b.StartTimer()
		res, err := c.SendCompute(context.Background(), recs)
		if err != nil {
			b.Fatal(err)
		}
		chunks = len(res)
		b.StopTimer()
		srv.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(chunks), "requests")
}

// BenchmarkStatus30DaysScale100 reads usage/status for the 30 days up to
// now through the client, at scale 100 (300 resources, about 2.4 million
// history records, some 8,000 failures in the window).
func BenchmarkStatus30DaysScale100(b *testing.B) {
	now := time.Date(2024, 5, 3, 15, 30, 0, 0, time.UTC)
	sim := amiesim.New(amiesim.Options{World: world.New(1, 100), Now: func() time.Time { return now }})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c := newTestClient(b, srv.URL+amiesim.BasePath, 0)
	b.ReportAllocs()
	for b.Loop() {
		st, err := c.Status(context.Background(), now.AddDate(0, 0, -30), now)
		if err != nil || len(st) != 300 {
			b.Fatalf("%d resources: %v", len(st), err)
		}
	}
}
