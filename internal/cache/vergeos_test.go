package cache

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/portal"
)

const gib = int64(1) << 30

// hourly returns n contiguous hourly records starting at start (Unix
// seconds), keys 1..n, each written 5 s after its period and reported.
func hourly(start int64, n int) []billing.Record {
	out := make([]billing.Record, n)
	for i := range out {
		from := start + int64(i)*3600
		out[i] = billing.Record{Key: strconv.Itoa(i + 1), From: from, To: from + 3600, Created: from + 3605, Sent: from + 3606,
			Description: "Hourly billing report", UsedCores: int64(8 + i%8), TotalCores: 16, UsedRAM: 1024, TotalRAM: 4096,
			GPUs: 1, GPUsTotal: 4, VGPUs: 2, VGPUsTotal: 8}
		out[i].Tiers[0] = billing.Tier{Used: gib * int64(1+i%3), Total: 4 * gib}
	}
	return out
}

func mustUpsert(t testing.TB, db *DB, recs []billing.Record) int64 {
	t.Helper()
	n, err := db.UpsertBillingRecords(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBilling_UpsertIsIdempotentAndCountsChanges(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	recs := hourly(1_700_000_000, 5)
	if n := mustUpsert(t, db, recs); n != 5 {
		t.Fatalf("first upsert wrote %d, want 5", n)
	}
	if n := mustUpsert(t, db, recs); n != 0 {
		t.Fatalf("the same records again wrote %d, want 0", n)
	}
	recs[2].Sent = 0 // VergeOS changed one record
	recs[2].Tiers[5] = billing.Tier{Used: 7, Total: 9}
	if n := mustUpsert(t, db, recs); n != 1 {
		t.Fatalf("one changed record wrote %d, want 1", n)
	}
	got, err := db.BillingRecordByKey(ctx, "3")
	if err != nil || got.Sent != 0 || got.Tiers[5] != (billing.Tier{Used: 7, Total: 9}) || got.Description != "Hourly billing report" {
		t.Fatalf("record 3: %+v %v", got, err)
	}
	if hw, ok, err := db.BillingHighWater(ctx); err != nil || !ok || hw != recs[4].Created {
		t.Fatalf("high-water %d %v %v", hw, ok, err)
	}
	if _, err := db.BillingRecordByKey(ctx, "99"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("missing record: %v", err)
	}
}

func TestBilling_UpsertWritesNothingOnError(t *testing.T) {
	db, _ := MustOpen(t)
	recs := hourly(1_700_000_000, 3)
	recs[2].Key = " "
	if _, err := db.UpsertBillingRecords(context.Background(), recs); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("a record without key: %v", err)
	}
	if _, ok, _ := db.BillingHighWater(context.Background()); ok {
		t.Fatal("a failed batch left rows behind")
	}
}

func TestBilling_RecordsFilterSortPage(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	start := int64(1_700_000_000)
	recs := hourly(start, 48)
	recs[10].Sent, recs[20].Sent = 0, 0
	mustUpsert(t, db, recs)
	f := billing.RecordFilter{From: time.Unix(start+3600*24, 0), To: time.Unix(start+3600*48, 0), Desc: true, Limit: 10}
	page, total, err := db.BillingRecords(ctx, f)
	if err != nil || total != 24 || len(page) != 10 || page[0].Key != "48" || page[9].Key != "39" {
		t.Fatalf("page 1: total %d, %d rows, %v", total, len(page), err)
	}
	f.Offset = 20
	page, _, _ = db.BillingRecords(ctx, f)
	if len(page) != 4 || page[3].Key != "25" {
		t.Fatalf("last page: %+v", page)
	}
	unsent, total, _ := db.BillingRecords(ctx, billing.RecordFilter{From: time.Unix(start, 0), To: time.Unix(start+3600*48, 0), Unsent: true})
	if total != 2 || unsent[0].Key != "11" || unsent[1].Key != "21" {
		t.Fatalf("unsent: %d %+v", total, unsent)
	}
	byCPU, _, _ := db.BillingRecords(ctx, billing.RecordFilter{From: time.Unix(start, 0), To: time.Unix(start+3600*8, 0), Sort: "cpu", Desc: true})
	if byCPU[0].UsedCores != 15 || byCPU[len(byCPU)-1].UsedCores != 8 {
		t.Fatalf("sorted by CPU: first %d, last %d", byCPU[0].UsedCores, byCPU[len(byCPU)-1].UsedCores)
	}
	if _, _, err := db.BillingRecords(ctx, billing.RecordFilter{Sort: "1; DROP TABLE x"}); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("unknown sort key: %v", err)
	}
	var streamed int
	db.EachBillingRecord(ctx, billing.RecordFilter{From: time.Unix(start, 0), To: time.Unix(start+3600*48, 0)}, func(r *billing.Record) error {
		streamed++
		return nil
	})
	if streamed != 48 {
		t.Fatalf("streamed %d", streamed)
	}
}

func TestBilling_Reconciliation(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	start := int64(1_700_000_000)
	recs := hourly(start, 10)
	recs = append(recs[:3], recs[6:]...) // hours 3, 4 and 5 are missing
	recs[0].Sent = 0
	// A record generated on request covers the first half of hour 8, which
	// the hourly record covers again.
	gen := recs[5]
	gen.Key, gen.To, gen.Created = "100", gen.From+1800, gen.From+1800
	recs = append(recs, gen)
	mustUpsert(t, db, recs)
	rc, err := db.BillingReconciliation(ctx, time.Unix(start, 0), time.Unix(start+10*3600, 0))
	if err != nil {
		t.Fatal(err)
	}
	if rc.Records != 8 || rc.Unsent != 1 || rc.Gaps != 1 || rc.Missing != 3*time.Hour || rc.Overlaps != 1 {
		t.Fatalf("%+v", rc)
	}
	if len(rc.First) != 1 || rc.First[0].From.Unix() != start+3*3600 || rc.First[0].To.Unix() != start+6*3600 {
		t.Fatalf("gaps %+v", rc.First)
	}
	if rc.LastTo.Unix() != start+10*3600 {
		t.Fatalf("last to %v", rc.LastTo)
	}
	empty, err := db.BillingReconciliation(ctx, time.Unix(0, 0), time.Unix(1000, 0))
	if err != nil || empty.Records != 0 || empty.Gaps != 0 || !empty.LastTo.IsZero() {
		t.Fatalf("empty range: %+v %v", empty, err)
	}
}

func TestBilling_SeriesBuckets(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	// 2026-03-02 was a Monday; 15 days of hourly records from Sunday 2026-03-01.
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	mustUpsert(t, db, hourly(start.Unix(), 15*24))
	from, to := start, start.Add(15*24*time.Hour)
	cases := []struct {
		b     billing.Bucket
		n     int
		first time.Time
	}{
		{billing.BucketHour, 360, start},
		{billing.BucketDay, 15, start},
		{billing.BucketWeek, 3, time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC)},
		{billing.BucketMonth, 1, start},
	}
	for _, tc := range cases {
		pts, err := db.BillingSeries(ctx, from, to, tc.b)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, p := range pts {
			sum += p.Records
		}
		if len(pts) != tc.n || !pts[0].Start.Equal(tc.first) || sum != 360 {
			t.Errorf("%s: %d points from %v holding %d records", tc.b, len(pts), pts[0].Start, sum)
		}
		if tc.b == billing.BucketWeek && (pts[1].Start.Weekday() != time.Monday || pts[0].Records != 24) {
			t.Errorf("weeks: %v holds %d", pts[1].Start, pts[0].Records)
		}
	}
}

func TestBilling_PageQueriesUseIndexes(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	plan := func(q string, args ...any) string {
		rows, err := db.r.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			b.WriteString(detail + "\n")
		}
		return b.String()
	}
	// The queries the cache runs: the records page as its listQuery writes
	// it (the default order, newest first), the not-reported count likewise.
	page, err := recordQuery(billing.RecordFilter{From: time.Unix(0, 0), To: time.Unix(1<<40, 0), Desc: true, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	pageSQL, _ := page.selectSQL()
	unsent, err := recordQuery(billing.RecordFilter{From: time.Unix(0, 0), To: time.Unix(1<<40, 0), Unsent: true})
	if err != nil {
		t.Fatal(err)
	}
	unsentSQL, _ := unsent.countSQL()
	cases := map[string]struct {
		q     string
		index string
	}{
		"summary":     {summarySQL, "vergeos_billing_by_period"},
		"high-water":  {highWaterSQL, "vergeos_billing_by_created"},
		"records":     {pageSQL, "vergeos_billing_by_period"},
		"coverage":    {coverageSQL, "vergeos_billing_by_period"},
		"unsent":      {unsentSQL, "vergeos_billing_unsent"},
		"by key":      {recordByKeySQL, "sqlite_autoindex_vergeos_billing"},
		"created win": {recordsCreatedSQL, "vergeos_billing_by_created"},
	}
	for name, tc := range cases {
		n := strings.Count(tc.q, "?")
		args := make([]any, n)
		for i := range args {
			args[i] = int64(i)
		}
		p := plan(tc.q, args...)
		t.Logf("%s:\n%s", name, p)
		if !strings.Contains(p, tc.index) || strings.Contains(p, "SCAN vergeos_billing\n") || strings.Contains(p, "TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%s does not use %s:\n%s", name, tc.index, p)
		}
	}
}

func TestGenerateRequest_Lifecycle(t *testing.T) {
	db, now := MustOpen(t)
	ctx := context.Background()
	id, err := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", "month-end run")
	if err != nil {
		t.Fatal(err)
	}
	g, err := db.GenerateRequestByID(ctx, id)
	if err != nil || g.State != portal.OutboxQueued || g.OutboxID == 0 || g.Note != "month-end run" || !g.Pending() {
		t.Fatalf("new request: %+v %v", g, err)
	}
	it, err := db.OutboxItemByID(ctx, g.OutboxID)
	if err != nil || it.Kind != portal.KindVergeOSGenerate || it.Ref != g.Subject() || it.CreatedBy != "sub-admin" {
		t.Fatalf("outbox item: %+v %v", it, err)
	}
	// A second request while the first is on its way is refused, and writes nothing.
	if _, err := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", ""); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("second request: %v", err)
	}
	if _, total, _ := db.GenerateRequests(ctx, billing.GenerateRequestFilter{}); total != 1 {
		t.Fatalf("%d requests after a refused one", total)
	}
	// No effect: still queued, with the error; then delivered.
	claimed, _ := db.ClaimOutbox(ctx)
	db.SettleOutbox(ctx, claimed.ID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxQueued, Error: "VergeOS could not be reached", NextAttempt: now.Add(time.Minute)})
	if g, _ = db.GenerateRequestByID(ctx, id); g.State != portal.OutboxQueued || g.Error == "" || g.Attempts != 1 || g.SentAt.IsZero() {
		t.Fatalf("after a failed attempt: %+v", g)
	}
	*now = now.Add(time.Minute)
	claimed, _ = db.ClaimOutbox(ctx)
	if _, err := db.SettleOutbox(ctx, claimed.ID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: `{"status":201,"key":"17"}`}); err != nil {
		t.Fatal(err)
	}
	g, _ = db.GenerateRequestByID(ctx, id)
	if g.State != portal.OutboxDelivered || g.ActionKey != "17" || g.Error != "" || g.Pending() || !g.SettledAt.Equal(*now) {
		t.Fatalf("delivered: %+v", g)
	}
	trail, _ := db.AuditTrail(ctx, g.Subject())
	var steps []string
	for _, e := range trail {
		steps = append(steps, e.From+">"+e.To)
	}
	if got := strings.Join(steps, " "); got != ">queued queued>queued queued>delivered" || trail[0].Reason != "month-end run" || trail[0].ActorName != "Ada Admin" {
		t.Fatalf("history %q %+v", got, trail[0])
	}
	// Now another request may be made.
	if _, err := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", ""); err != nil {
		t.Fatalf("request after delivery: %v", err)
	}
	list, total, err := db.GenerateRequests(ctx, billing.GenerateRequestFilter{Desc: true, Limit: 1})
	if err != nil || total != 2 || len(list) != 1 || list[0].ID != id+1 {
		t.Fatalf("list: %d %+v %v", total, list, err)
	}
	if _, err := db.GenerateRequestByID(ctx, 99); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("missing request: %v", err)
	}
}

// Every sort key the billing pages offer has a column, and no column
// waits for a key the pages do not offer.
func TestBillingSorts_EveryKeyHasAColumn(t *testing.T) {
	for name, c := range map[string]struct {
		keys    []string
		columns map[string]string
	}{"records": {billing.RecordSorts, recordSortColumns}, "generate requests": {billing.GenerateRequestSorts, generateSortColumns}} {
		if len(c.keys) != len(c.columns) {
			t.Errorf("%s: %d sort keys, %d columns", name, len(c.keys), len(c.columns))
		}
		for _, k := range c.keys {
			if c.columns[k] == "" {
				t.Errorf("%s: sort key %q has no column", name, k)
			}
		}
	}
}

// The SQL that refuses a second request while one is on its way knows
// the same states as billing.Pending.
func TestGeneratePendingStates_AreTheDomains(t *testing.T) {
	for _, st := range []string{portal.OutboxQueued, portal.OutboxSending, portal.OutboxVerify, portal.OutboxDelivered,
		portal.OutboxFailed, portal.OutboxDead, portal.OutboxUncertain} {
		if inSQL := strings.Contains(generatePendingStates, "'"+st+"'"); inSQL != billing.Pending(st) {
			t.Errorf("%s: in the SQL %v, pending %v", st, inSQL, billing.Pending(st))
		}
	}
}
