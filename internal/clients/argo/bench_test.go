package argo

import (
	"context"
	"testing"

	simargo "github.com/accounting-portal/portal/internal/sim/argo"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// BenchmarkStreamProjectMetricsScale100 streams every metric of a project
// (about 2,900) from the scale-100 simulator over HTTPS, 100 a page.
func BenchmarkStreamProjectMetricsScale100(b *testing.B) {
	f := newFixture(b, simargo.Options{World: world.New(3, 100)})
	p := f.sim.Projects()[0].ID
	ctx := context.Background()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = 0
		err := f.client.EachProjectMetric(ctx, p, MetricFilter{}, func(page []Metric) error { n += len(page); return nil })
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n), "metrics/op")
}
