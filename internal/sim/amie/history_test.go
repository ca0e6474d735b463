package amie

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/sim/world"
)

var histNow = time.Date(2024, 5, 3, 15, 30, 0, 0, time.UTC)

func newHistSim(seed int64, scale float64) *testSim {
	clk := &clock{t: histNow}
	return &testSim{New(Options{World: world.New(seed, scale), Now: clk.Now, ProcessDelay: time.Minute}), clk}
}

func q(from, to time.Time) string {
	return "?FromTime=" + from.Format(time.RFC3339) + "&ToTime=" + to.Format(time.RFC3339)
}

// bruteForce counts the loaded history records of resource r processed in
// [lo, hi) and not after now, record by record.
func bruteForce(h *history, r int, lo, hi, now time.Time) (int, decimal.Decimal) {
	n, cents := 0, int64(0)
	for d := range h.days {
		day := h.day0 + int64(d)
		count := h.count(r, day)
		for k := range count {
			c := h.core(r, day, k, count)
			if c.reason == reasonNone && c.proc >= lo.UnixNano() && c.proc < hi.UnixNano() && c.proc <= now.UnixNano() {
				n++
				cents += c.cents
			}
		}
	}
	return n, decimal.New(cents, -2)
}

func TestHistory_StatusMatchesTheRecords(t *testing.T) {
	s := newHistSim(7, 1)
	day := func(n int) time.Time { return time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	windows := [][2]time.Time{
		{day(-30), day(1)}, // whole days and today, cut at now
		{day(-2).Add(5 * time.Hour), day(-1).Add(7*time.Hour + 13*time.Second)}, // partial days
		{day(-95), day(-88)}, // across the start of the history
		{day(0).Add(15 * time.Hour), day(0).Add(16 * time.Hour)}, // ends after now
	}
	for _, w := range windows {
		rows := s.status(t, q(w[0], w[1]))
		if len(rows) != 3 {
			t.Fatalf("%v: %d resources", w, len(rows))
		}
		for r, row := range rows {
			n, charge := bruteForce(s.hist, r, w[0], w[1], histNow)
			if row.LoadedRecordCount != n || row.TotalCharge != charge.String() {
				t.Errorf("%v %s: %d loaded, %s charged; records say %d, %s", w, row.Resource, row.LoadedRecordCount, row.TotalCharge, n, charge)
			}
		}
	}
}

func TestHistory_DaysAddUpAndFailuresShow(t *testing.T) {
	s := newHistSim(7, 1)
	all := s.status(t, "")
	total, failed := 0, 0
	for _, r := range all {
		total += r.LoadedRecordCount
		failed += r.FailedJobCount
		if len(r.Errors) == 0 {
			t.Fatalf("%s: no failures in 90 days", r.Resource)
		}
	}
	sum := 0
	start := time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -DefaultHistoryDays)
	perDay := map[int]bool{}
	for d := range DefaultHistoryDays + 1 {
		from := start.AddDate(0, 0, d)
		n := 0
		for _, r := range s.status(t, q(from, from.AddDate(0, 0, 1))) {
			n += r.LoadedRecordCount
		}
		perDay[n] = true
		sum += n
	}
	if sum != total || total < 10000 || failed < total/200 || failed > total/50 {
		t.Fatalf("days add up to %d, all time %d loaded, %d failed", sum, total, failed)
	}
	if len(perDay) < 30 {
		t.Fatalf("per-day counts barely vary: %v", perDay)
	}
	code, body := s.call("GET", "/usage/failed", "")
	if p := checkReply("GET", "usage/failed", code, []byte(body)); len(p) > 0 || strings.Count(body, `"FailedRecordID"`) != failed {
		t.Fatalf("failed list: %v, %d records, want %d", p, strings.Count(body, `"FailedRecordID"`), failed)
	}
	code, body = s.call("GET", "/usage/status", "")
	if p := checkReply("GET", "usage/status", code, []byte(body)); len(p) > 0 {
		t.Fatalf("status shape: %v", p)
	}
}

func TestHistory_IsDeterministic(t *testing.T) {
	a, b, c := newHistSim(3, 2), newHistSim(3, 2), newHistSim(4, 2)
	for _, path := range []string{"/usage/status", "/usage/failed"} {
		_, x := a.call("GET", path, "")
		_, y := b.call("GET", path, "")
		_, z := c.call("GET", path, "")
		if x != y {
			t.Fatalf("%s differs between two simulators of one seed", path)
		}
		if x == z {
			t.Fatalf("%s is the same for two seeds", path)
		}
	}
}

func TestHistory_ResendOfAHistoryRecord(t *testing.T) {
	s := newHistSim(7, 1)
	_, body := s.call("GET", "/usage/failed", "")
	var list struct{ ValidationFailedRecords []map[string]any }
	json.Unmarshal([]byte(body), &list)
	var f map[string]any
	for _, r := range list.ValidationFailedRecords {
		if r["Error"] == "Unknown user" {
			f = r
			break
		}
	}
	rec := map[string]any{}
	for k, v := range f {
		if k != "UsageType" && k != "Error" && k != "FailedRecordID" {
			rec[k] = v
		}
	}
	if a := s.send(t, "Compute", rec); !strings.Contains(a.Message, "1 already received") {
		t.Fatalf("resend of a history record: %q", a.Message)
	}
	before := s.status(t, "")
	proj := s.Projects()[s.cast.projByID[rec["LocalProjectID"].(string)]]
	rec["Username"] = proj.Members[0]
	if a := s.send(t, "Compute", rec); !strings.Contains(a.Message, "1 replaced") {
		t.Fatalf("corrected history record: %q", a.Message)
	}
	s.ProcessNow()
	after := s.status(t, "")
	res := s.cast.resByName[rec["Resource"].(string)]
	if after[res].LoadedRecordCount != before[res].LoadedRecordCount+1 || after[res].FailedJobCount != before[res].FailedJobCount {
		t.Fatalf("loaded %d→%d, failed %d→%d: the failure stays until cleared",
			before[res].LoadedRecordCount, after[res].LoadedRecordCount, before[res].FailedJobCount, after[res].FailedJobCount)
	}
	s.call("DELETE", fmt.Sprintf("/usage/failed/%v", f["FailedRecordID"]), "")
	if final := s.status(t, ""); final[res].FailedJobCount != before[res].FailedJobCount-1 {
		t.Fatalf("failed after clear %d", final[res].FailedJobCount)
	}
}

func TestHistory_Scale100IsCompact(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a history of millions of records")
	}
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	start := time.Now()
	s := newHistSim(1, 100)
	built := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	records := 0
	for _, c := range s.hist.counts {
		records += int(c)
	}
	heap := int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
	start = time.Now()
	rows := s.status(t, q(histNow.AddDate(0, 0, -30), histNow))
	took := time.Since(start)
	t.Logf("scale 100: %d resources, %d records, %d failures, built in %v, heap %.1f MB; 30-day status in %v",
		len(s.Resources()), records, len(s.hist.fails), built, float64(heap)/(1<<20), took)
	if records < 2_000_000 || heap > 64<<20 || len(rows) != 300 {
		t.Fatalf("%d records in %d bytes, %d rows", records, heap, len(rows))
	}
	runtime.KeepAlive(s)
}
