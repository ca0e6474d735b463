package cache

import (
	"context"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
)

// benchBilling caches years of hourly records (hourly() values) and
// returns the database and the end of the history.
func benchBilling(b *testing.B, years int) (*DB, time.Time) {
	db, _ := MustOpen(b)
	n := years * 365 * 24
	end := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	start := end.Add(-time.Duration(n) * time.Hour).Unix()
	recs := hourly(start, n)
	for i := 0; i < len(recs); i += 5000 {
		mustUpsert(b, db, recs[i:min(i+5000, len(recs))])
	}
	return db, end
}

// BenchmarkBillingSummary_Year is the billing page's heaviest query: the
// SDK summary of a year of hourly records (8760) out of six years.
func BenchmarkBillingSummary_Year(b *testing.B) {
	db, end := benchBilling(b, 6)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := db.BillingSummary(ctx, end.AddDate(-1, 0, 0), end)
		if err != nil || s.RecordCount != 8760 {
			b.Fatalf("%d records: %v", s.RecordCount, err)
		}
	}
}

// BenchmarkBillingSummary_SixYears summarises the whole history (52 560 records).
func BenchmarkBillingSummary_SixYears(b *testing.B) {
	db, end := benchBilling(b, 6)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.BillingSummary(ctx, end.AddDate(-7, 0, 0), end); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBillingSeries_Year folds a year into weekly chart points.
func BenchmarkBillingSeries_Year(b *testing.B) {
	db, end := benchBilling(b, 6)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.BillingSeries(ctx, end.AddDate(-1, 0, 0), end, billing.BucketWeek); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBillingReconciliation_Year checks a year's coverage.
func BenchmarkBillingReconciliation_Year(b *testing.B) {
	db, end := benchBilling(b, 6)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := db.BillingReconciliation(ctx, end.AddDate(-1, 0, 0), end); err != nil {
			b.Fatal(err)
		}
	}
}
