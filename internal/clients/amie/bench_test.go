package amie

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
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

// simAnswer serves one request to a simulator in process and returns the body.
func simAnswer(b *testing.B, sim *amiesim.Server, method, path, body string) []byte {
	b.Helper()
	req := httptest.NewRequest(method, amiesim.BasePath+path, strings.NewReader(body))
	req.Header.Set("XA-SITE", sim.Site())
	req.Header.Set("XA-API-KEY", sim.APIKey())
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// BenchmarkDecode reads the simulator's largest answers with the
// client's decoders alone (no HTTP): usage/status for 30 days and
// usage/failed at scale 100, and a send reply echoing 1,900 records that
// failed validation.
func BenchmarkDecode(b *testing.B) {
	now := time.Date(2024, 5, 3, 15, 30, 0, 0, time.UTC)
	sim := amiesim.New(amiesim.Options{World: world.New(1, 100), Now: func() time.Time { return now }})
	status := simAnswer(b, sim, "GET", "/usage/status?FromTime=2024-04-03T15:30:00Z&ToTime=2024-05-03T15:30:00Z", "")
	failed := simAnswer(b, sim, "GET", "/usage/failed", "")
	f := newFixture(b)
	recs := f.jobs("bench-", 1900)
	for i := range recs {
		recs[i].LocalProjectID = "TG-UNKNOWN" // every record fails validation
		recs[i].Attributes = ComputeAttributes{NodeCount: Int(1), CpuCoreCount: Int(128), JobName: fmt.Sprintf("job-%d", i), Memory: Int(256000), Queue: "RM"}
	}
	chunks, err := newTestClient(b, "http://x", 0).PlanCompute(recs)
	if err != nil || len(chunks) != 1 {
		b.Fatalf("%d chunks: %v", len(chunks), err)
	}
	reply := simAnswer(b, sim, "POST", "/usage/", string(chunks[0].Body))
	for _, c := range []struct {
		name   string
		body   []byte
		decode func([]byte) (int, error)
	}{
		{"status", status, func(body []byte) (int, error) { st, err := decodeStatus(body); return len(st), err }},
		{"failed", failed, func(body []byte) (int, error) { fs, err := decodeFailedAnswer(body); return len(fs), err }},
		{"send reply", reply, func(body []byte) (int, error) { r, err := decodeSendReply(body); return len(r.Failed), err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.body)))
			n := 0
			for b.Loop() {
				if n, err = c.decode(c.body); err != nil || n == 0 {
					b.Fatalf("%d items: %v", n, err)
				}
			}
			b.ReportMetric(float64(n), "items")
		})
	}
}

// BenchmarkPlanCompute100k validates, encodes and splits 100,000 compute
// records into requests, sending nothing.
func BenchmarkPlanCompute100k(b *testing.B) {
	f := newFixture(b)
	recs := f.jobs("bench-", 100_000)
	for i := range recs {
		recs[i].Attributes = ComputeAttributes{NodeCount: Int(1), CpuCoreCount: Int(128), JobName: fmt.Sprintf("job-%d", i), Memory: Int(256000), Queue: "RM"}
	}
	c := newTestClient(b, "http://x", 0)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.PlanCompute(recs); err != nil {
			b.Fatal(err)
		}
	}
}
