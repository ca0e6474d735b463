package cache

import (
	"context"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/portal"
)

// TestMemo_AnswersFollowTheWritesTheyDependOn reads each kept answer,
// changes the data under it in a way that leaves its key alone, and reads
// it again: the change must show at once.
func TestMemo_AnswersFollowTheWritesTheyDependOn(t *testing.T) {
	ctx := context.Background()
	db, _ := MustOpen(t)
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).Unix()
	recs := hourly(start, 3)
	// The first and last hour only: the range's first and last record
	// (the key of the billing answers) stay the same when the middle one
	// arrives.
	mustUpsert(t, db, []billing.Record{recs[0], recs[2]})
	from, to := time.Unix(start, 0), time.Unix(start+3*3600, 0)
	sum, err := db.BillingSummary(ctx, from, to)
	if err != nil || sum.RecordCount != 2 {
		t.Fatalf("summary of two records: %+v %v", sum, err)
	}
	rc, err := db.BillingReconciliation(ctx, from, to)
	if err != nil || rc.Gaps != 1 {
		t.Fatalf("reconciliation with the middle hour missing: %+v %v", rc, err)
	}
	series, err := db.BillingSeries(ctx, from, to, billing.BucketDay)
	if err != nil || len(series) != 1 || series[0].Records != 2 {
		t.Fatalf("series: %+v %v", series, err)
	}
	mustUpsert(t, db, []billing.Record{recs[1]})
	if sum, _ := db.BillingSummary(ctx, from, to); sum.RecordCount != 3 {
		t.Errorf("the summary kept %d records after a third arrived", sum.RecordCount)
	}
	if rc, _ := db.BillingReconciliation(ctx, from, to); rc.Gaps != 0 {
		t.Errorf("the reconciliation kept %d gaps after the missing hour arrived", rc.Gaps)
	}
	if series, _ := db.BillingSeries(ctx, from, to, billing.BucketDay); series[0].Records != 3 {
		t.Errorf("the series kept %d records after a third arrived", series[0].Records)
	}
	// A caller's copy is its own.
	series, _ = db.BillingSeries(ctx, from, to, billing.BucketDay)
	series[0].Records = 99
	if again, _ := db.BillingSeries(ctx, from, to, billing.BucketDay); again[0].Records != 3 {
		t.Error("a caller's change to its series reached the kept one")
	}

	st, err := db.SourceStatuses(ctx, []string{portal.UpstreamVergeOS})
	if err != nil || st[portal.UpstreamVergeOS].LastRun != nil {
		t.Fatalf("status before any run: %+v %v", st, err)
	}
	id, err := db.StartSyncRun(ctx, portal.UpstreamVergeOS)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := db.SourceStatuses(ctx, []string{portal.UpstreamVergeOS}); st[portal.UpstreamVergeOS].LastRun == nil {
		t.Error("the status does not show the run that started")
	}
	if err := db.FinishSyncRun(ctx, id, 0, "VergeOS said no"); err != nil {
		t.Fatal(err)
	}
	if st, _ := db.SourceStatuses(ctx, []string{portal.UpstreamVergeOS}); st[portal.UpstreamVergeOS].LastError == nil {
		t.Error("the status does not show the run that failed")
	}
}
