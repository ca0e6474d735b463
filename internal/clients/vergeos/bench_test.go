package vergeos

import (
	"context"
	"testing"
	"time"

	simvergeos "github.com/accounting-portal/portal/internal/sim/vergeos"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// BenchmarkListYear lists the last 365 days of hourly records (8760) of a
// scale-10 simulator (two years of history) through the client over HTTPS,
// a page of PageSize at a time, holding one page at once.
func BenchmarkListYear(b *testing.B) {
	for _, size := range []int{DefaultPageSize, MaxPageSize} {
		b.Run("page"+itoa(size), func(b *testing.B) {
			_, c := startSim(b, simvergeos.Options{World: world.New(1, 10)}, Config{PageSize: size})
			w := Window{Since: simNow.Add(-365 * 24 * time.Hour), Until: simNow}
			b.ReportAllocs()
			b.ResetTimer()
			var n int
			for range b.N {
				n = 0
				err := c.EachCreated(context.Background(), w, func(page []BillingRecord) error {
					n += len(page)
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			if n < 365*24-1 || n > 365*24+1 {
				b.Fatalf("listed %d records", n)
			}
			b.ReportMetric(float64(n), "records/op")
		})
	}
}
