package cache

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

var amieCtx = context.Background()

func amieDay(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }

func amieTestStatusRows(t *testing.T, db *DB) []usage.StatusDay {
	t.Helper()
	rows, _, err := db.ListUsageStatus(amieCtx, usage.StatusFilter{From: amieDay(1), To: amieDay(30), Sort: "day", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestSaveAMIEStatus_UpsertsReReadDaysAndDropsVanishedRows(t *testing.T) {
	db, now := MustOpen(t)
	rows := []usage.StatusDay{
		{Day: amieDay(18), Resource: "a", Loaded: 10, Failed: 1, TotalCharge: "10.50"},
		{Day: amieDay(19), Resource: "a", Loaded: 5, Failed: 2, TotalCharge: "5"},
		{Day: amieDay(19), Resource: "b", Loaded: 1, Failed: 1, TotalCharge: "0.25"},
	}
	if n, err := db.SaveAMIEStatus(amieCtx, rows, amieDay(18), amieDay(20), *now, true); err != nil || n != 3 {
		t.Fatalf("save: %d %v", n, err)
	}
	first := amieTestStatusRows(t, db)
	// The same answer again: the same rows, nothing written.
	if n, err := db.SaveAMIEStatus(amieCtx, rows, amieDay(18), amieDay(20), *now, true); err != nil || n != 0 {
		t.Fatalf("the same answer again wrote %d rows (%v)", n, err)
	}
	if again := amieTestStatusRows(t, db); !reflect.DeepEqual(first, again) {
		t.Fatalf("second save changed rows:\n%v\n%v", first, again)
	}
	// Re-reading day 19 only: b's failure was cleared and it had nothing
	// else, so the upstream no longer lists b; day 18 is not touched.
	if _, err := db.SaveAMIEStatus(amieCtx, []usage.StatusDay{{Day: amieDay(19), Resource: "a", Loaded: 6, Failed: 0, TotalCharge: "6"}},
		amieDay(19), amieDay(20), *now, false); err != nil {
		t.Fatal(err)
	}
	got := amieTestStatusRows(t, db)
	want := []usage.StatusDay{{Day: amieDay(18), Resource: "a", Loaded: 10, Failed: 1, TotalCharge: "10.50"},
		{Day: amieDay(19), Resource: "a", Loaded: 6, Failed: 0, TotalCharge: "6"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after partial re-read:\n got %v\nwant %v", got, want)
	}
	res, _ := db.AMIEResources(amieCtx)
	if strings.Join(res, ",") != "a,b" {
		t.Errorf("resources %v", res)
	}
}

func TestAMIESyncState_FullOncePerDayOrWhenAsked(t *testing.T) {
	db, now := MustOpen(t)
	st, err := db.AMIESyncState(amieCtx)
	if err != nil || !st.NeedsFull(*now, 24*time.Hour) {
		t.Fatalf("fresh state %+v %v: a first run reads the whole window", st, err)
	}
	if _, err := db.SaveAMIEStatus(amieCtx, nil, amieDay(1), amieDay(2), *now, true); err != nil {
		t.Fatal(err)
	}
	st, _ = db.AMIESyncState(amieCtx)
	if st.NeedsFull(now.Add(time.Hour), 24*time.Hour) || !st.NeedsFull(now.Add(25*time.Hour), 24*time.Hour) {
		t.Fatalf("state %+v", st)
	}
	*now = now.Add(time.Minute)
	err = db.write(amieCtx, func(tx *sql.Tx) error { return db.requestFullAMIESync(amieCtx, tx) })
	if err != nil {
		t.Fatal(err)
	}
	st, _ = db.AMIESyncState(amieCtx)
	if !st.NeedsFull(now.Add(time.Minute), 24*time.Hour) {
		t.Fatalf("a requested full read is not due: %+v", st)
	}
}

func TestUsageStatusSummary_SumsPerDayExactly(t *testing.T) {
	db, now := MustOpen(t)
	rows := []usage.StatusDay{
		{Day: amieDay(18), Resource: "a", Loaded: 1, Failed: 0, TotalCharge: "0.1"},
		{Day: amieDay(18), Resource: "b", Loaded: 2, Failed: 1, TotalCharge: "0.2"},
		{Day: amieDay(19), Resource: "a", Loaded: 3, Failed: 2, TotalCharge: "1E+20"},
	}
	if _, err := db.SaveAMIEStatus(amieCtx, rows, amieDay(18), amieDay(20), *now, true); err != nil {
		t.Fatal(err)
	}
	s, err := db.UsageStatusSummary(amieCtx, usage.StatusFilter{From: amieDay(18).Add(5 * time.Hour), To: amieDay(20)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Loaded != 6 || s.Failed != 3 || s.Resources != 2 || len(s.Days) != 2 {
		t.Fatalf("summary %+v", s)
	}
	if s.Days[0].TotalCharge != "0.3" || s.Days[0].Loaded != 3 || s.Charge != "100000000000000000000.3" {
		t.Errorf("charges: day %s total %s", s.Days[0].TotalCharge, s.Charge)
	}
	s, _ = db.UsageStatusSummary(amieCtx, usage.StatusFilter{From: amieDay(18), To: amieDay(20), Resource: "b"})
	if s.Loaded != 2 || s.Charge != "0.2" {
		t.Errorf("resource b: %+v", s)
	}
	// Charges whose millionths overflow an int64 when summed.
	big := []usage.StatusDay{{Day: amieDay(21), Resource: "a", Loaded: 1, TotalCharge: "9000000000000.5"},
		{Day: amieDay(21), Resource: "b", Loaded: 1, TotalCharge: "9000000000000.25"}}
	if _, err := db.SaveAMIEStatus(amieCtx, big, amieDay(21), amieDay(22), *now, false); err != nil {
		t.Fatal(err)
	}
	s, err = db.UsageStatusSummary(amieCtx, usage.StatusFilter{From: amieDay(21), To: amieDay(22)})
	if err != nil || s.Charge != "18000000000000.75" || s.Days[0].TotalCharge != "18000000000000.75" {
		t.Errorf("overflowing sum: %+v %v", s, err)
	}
}

// TestQueryPlans_UseIndexes checks that the page queries are served by
// indexes rather than table scans.
func TestQueryPlans_UseIndexes(t *testing.T) {
	db, _ := MustOpen(t)
	plan := func(q string, args ...any) string {
		rows, err := db.r.QueryContext(amieCtx, "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			rows.Scan(&id, &parent, &notused, &detail)
			out = append(out, detail)
		}
		return strings.Join(out, "; ")
	}
	f := usage.StatusFilter{From: amieDay(1), To: amieDay(30), Sort: "day", Desc: true}
	q, args := statusQuery(f).selectSQL()
	if p := plan(q, args...); !strings.Contains(p, "USING PRIMARY KEY") {
		t.Errorf("status page: %s", p)
	}
	f.Resource = "a"
	q, args = statusQuery(f).selectSQL()
	if p := plan(q, args...); !strings.Contains(p, "USING INDEX amie_status_days_by_resource") && !strings.Contains(p, "PRIMARY KEY") {
		t.Errorf("status page of a resource: %s", p)
	}
	ff := usage.FailedFilter{Scope: portal.Scope{Projects: []string{"neuro-sim"}}}
	q, args = failedQuery(ff).selectSQL()
	if p := plan(q, args...); !strings.Contains(p, "amie_failed_by_project") {
		t.Errorf("failed page of a manager: %s", p)
	}
	ff = usage.FailedFilter{Scope: portal.Scope{All: true}, Limit: 50}
	q, args = failedQuery(ff).selectSQL()
	if p := plan(q, args...); !strings.Contains(p, "amie_failed_by_error") {
		t.Errorf("failed page of an admin: %s", p)
	}
	rf := usage.UploadRecordFilter{Upload: 1, UsageType: "Compute", Outcome: usage.RecordRefused, Limit: 50}
	q, args = uploadRecordQuery(rf).selectSQL()
	if p := plan(q, args...); !strings.Contains(p, "SEARCH r USING") || !strings.Contains(p, "amie_failed_by_record") || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("upload records: %s", p)
	}
}

// BenchmarkUsageStatusPage_Year is the status page over a year at scale
// (300 resources, 365 days: 109,500 rows): the summary (tiles and chart),
// one page of the table sorted by charge (a full sort) and by day (the
// default, in key order), and the CSV export.
func BenchmarkUsageStatusPage_Year(b *testing.B) {
	db, now := MustOpen(b)
	const resources, days = 300, 365
	rows := make([]usage.StatusDay, 0, resources*days)
	start := usage.DayStart(now.AddDate(-1, 0, 0))
	for d := range days {
		for r := range resources {
			rows = append(rows, usage.StatusDay{Day: start.AddDate(0, 0, d), Resource: fmt.Sprintf("res%03d.example.org", r),
				Loaded: int64(60 + (d*r)%80), Failed: int64((d + r) % 3), TotalCharge: fmt.Sprintf("%d.%02d", 1000+d*r%9000, (d+r)%100)})
		}
	}
	if _, err := db.SaveAMIEStatus(amieCtx, rows, start, now.AddDate(0, 0, 1), *now, true); err != nil {
		b.Fatal(err)
	}
	f := usage.StatusFilter{From: start, To: *now, Sort: "charge", Desc: true, Limit: 50}
	b.Run("summary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if s, err := db.UsageStatusSummary(amieCtx, f); err != nil || len(s.Days) != days {
				b.Fatal(err, len(s.Days))
			}
		}
		b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("page", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, total, err := db.ListUsageStatus(amieCtx, f); err != nil || total != int64(len(rows)) {
				b.Fatal(err, total)
			}
		}
	})
	b.Run("page-by-day", func(b *testing.B) {
		byDay := f
		byDay.Sort = "day"
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := db.ListUsageStatus(amieCtx, byDay); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("csv", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			if err := db.EachUsageStatus(amieCtx, f, func(usage.StatusDay) error { n++; return nil }); err != nil || n != len(rows) {
				b.Fatal(err, n)
			}
		}
		b.ReportMetric(float64(len(rows)*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
