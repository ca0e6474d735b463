package amie

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkStatus30DaysScale100 answers usage/status for the 30 days up
// to now at scale 100 (300 resources, about 2.4 million history records).
func BenchmarkStatus30DaysScale100(b *testing.B) {
	s := newHistSim(1, 100)
	query := q(histNow.AddDate(0, 0, -30), histNow)
	aligned := q(time.Date(2024, 4, 3, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC))
	for name, qs := range map[string]string{"to now": query, "whole days": aligned} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				code, body := s.call("GET", "/usage/status"+qs, "")
				if code != 200 {
					b.Fatal(code)
				}
				size = len(body)
			}
			b.ReportMetric(float64(size), "bytes/answer")
		})
	}
}

// BenchmarkFailedScale100 answers usage/failed at scale 100: every
// history failure of 90 days (about 24,000 records).
func BenchmarkFailedScale100(b *testing.B) {
	s := newHistSim(1, 100)
	b.ReportAllocs()
	size := 0
	for b.Loop() {
		code, body := s.call("GET", "/usage/failed", "")
		if code != 200 {
			b.Fatal(code)
		}
		size = len(body)
	}
	b.ReportMetric(float64(size), "bytes/answer")
}

// benchBody is a POST usage/ body of n compute records with every
// attribute, as amieclient writes them (ParentRecordID [null]).
func benchBody(s *testSim, n int) string {
	recs := make([]map[string]any, n)
	for i := range recs {
		recs[i] = s.compute(fmt.Sprintf("job-%d", i), map[string]any{"Attributes": map[string]any{
			"NodeCount": "1", "CpuCoreCount": "128", "JobName": fmt.Sprintf("job-%d", i), "Memory": "256000", "Queue": "RM"}})
	}
	return message("Compute", recs...)
}

// BenchmarkSend1900 takes 1,900 compute records (about 700 KiB, a full
// request): "decode" reads and validates them only, "POST" is the whole
// request, every record already received after the first round.
func BenchmarkSend1900(b *testing.B) {
	s := newTestSim(b)
	body := benchBody(s, 1900)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			typ, raws, msg := parseEnvelope([]byte(body))
			if msg != "" {
				b.Fatal(msg)
			}
			for _, raw := range raws {
				if _, problem := parseRecord(typ, raw, s.cast); problem != "" {
					b.Fatal(problem)
				}
			}
		}
	})
	b.Run("POST", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if code, answer := s.call("POST", "/usage/", body); code != 200 {
				b.Fatal(code, answer)
			}
		}
	})
}
