package amie

import (
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
