package vergeos

import (
	"strconv"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

func TestScale_HistoryAndCluster(t *testing.T) {
	cases := []struct {
		scale    float64
		minDays  int
		minNodes int64
	}{
		{1, 90, 4},
		{10, 2 * 365, 8},
		{100, 10 * 365, 16},
	}
	var prevNodes int64
	for _, c := range cases {
		s := newTestServer(t, Options{World: world.New(1, c.scale)})
		days := testNow.Sub(s.HistoryStart()).Hours() / 24
		if days < float64(c.minDays) {
			t.Errorf("scale %v: %.0f days of history, want ≥ %d", c.scale, days, c.minDays)
		}
		if n := s.RecordCount(); n < int64(c.minDays)*24 {
			t.Errorf("scale %v: %d records", c.scale, n)
		}
		_, _, b := call(t, s, "GET", "/api/v4/billing?limit=1&sort=-created&fields=total_nodes", "")
		nodes := num(t, rows(t, b)[0], "total_nodes")
		if nodes < c.minNodes || nodes <= prevNodes {
			t.Errorf("scale %v: %d nodes, want ≥ %d and more than the smaller scale", c.scale, nodes, c.minNodes)
		}
		prevNodes = nodes
	}
}

func TestData_CyclesAndTiers(t *testing.T) {
	s := newTestServer(t, Options{})
	v := s.table.view(testNow.Unix())
	var cpuDay, cpuNight, gpuDay, gpuNight, weekday, weekend float64
	var nDay, nNight, nWeekday, nWeekend float64
	first, last := v.at(0), v.at(v.total()-1)
	for p := range v.total() {
		r := v.at(p)
		from := time.Unix(r.v[fFrom], 0).UTC()
		cpu := float64(r.v[fUsedCores]) / float64(r.v[fTotalCores])
		gpu := float64(r.v[fGPUs]) / float64(r.v[fGPUsTotal])
		switch from.Hour() {
		case 13, 14:
			cpuDay, gpuDay, nDay = cpuDay+cpu, gpuDay+gpu, nDay+1
		case 1, 2:
			cpuNight, gpuNight, nNight = cpuNight+cpu, gpuNight+gpu, nNight+1
		}
		if from.Hour() == 14 {
			if wd := from.Weekday(); wd == time.Saturday || wd == time.Sunday {
				weekend, nWeekend = weekend+cpu, nWeekend+1
			} else {
				weekday, nWeekday = weekday+cpu, nWeekday+1
			}
		}
		for i := range numTiers {
			used, total := r.v[tierUsed(i)], r.v[tierTotal(i)]
			if used < 0 || used > total {
				t.Fatalf("record %d tier %d: used %d of %d", p, i, used, total)
			}
			if i >= 4 && total != 0 {
				t.Fatalf("tier %d should not exist", i)
			}
			if i == 3 && float64(used) > 0.05*float64(total) {
				t.Fatalf("tier 3 should be nearly empty: %d of %d", used, total)
			}
		}
		if r.v[fGPUs]+r.v[fGPUsIdle] != r.v[fGPUsTotal] || r.v[fVGPUs]+r.v[fVGPUsIdle] != r.v[fVGPUsTotal] ||
			r.v[fUsedCores] > r.v[fOnlineCores] || r.v[fUsedRAM] > r.v[fOnlineRAM] {
			t.Fatalf("record %d is inconsistent: %v", p, r.v)
		}
	}
	if cpuDay/nDay < cpuNight/nNight+0.2 || gpuDay/nDay < gpuNight/nNight+0.2 {
		t.Errorf("no daily cycle: CPU day %.2f night %.2f, GPU day %.2f night %.2f", cpuDay/nDay, cpuNight/nNight, gpuDay/nDay, gpuNight/nNight)
	}
	if weekday/nWeekday < weekend/nWeekend+0.1 {
		t.Errorf("no weekly cycle: weekday %.2f weekend %.2f", weekday/nWeekday, weekend/nWeekend)
	}
	for i := range 3 {
		if last.v[tierUsed(i)] <= first.v[tierUsed(i)] {
			t.Errorf("tier %d does not grow: %d -> %d", i, first.v[tierUsed(i)], last.v[tierUsed(i)])
		}
	}
}

func TestClockMovesRecordsAppear(t *testing.T) {
	clk := &clock{t: testNow}
	s := newTestServer(t, Options{Now: clk.Now})
	n := s.RecordCount()
	clk.Add(2 * time.Hour)
	if got := s.RecordCount(); got != n+2 {
		t.Fatalf("two hours later: %d records, want %d", got, n+2)
	}
	// Records are the same whatever the instant they are read at.
	_, _, b1 := call(t, s, "GET", "/api/v4/billing/100", "")
	clk.Add(24 * time.Hour)
	_, _, b2 := call(t, s, "GET", "/api/v4/billing/100", "")
	if string(b1) != string(b2) {
		t.Fatal("a record changed as the clock moved")
	}
}

func TestScale100_LargeHistoryIsLazy(t *testing.T) {
	s := newTestServer(t, Options{World: world.New(1, 100)})
	// A one-day window deep in a twenty-year history is found by bounds, not a scan.
	start := s.HistoryStart().Add(5 * 365 * 24 * time.Hour).Unix()
	_, _, b := call(t, s, "GET", "/api/v4/billing?sort=-created&filter=created+ge+"+itoa(start)+"+and+created+lt+"+itoa(start+86400), "")
	if got := len(rows(t, b)); got != 24 {
		t.Fatalf("one day: %d records", got)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
