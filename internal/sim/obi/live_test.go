package obi

import (
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

func liveSim(live bool) (*Server, *world.World) {
	w := world.New(1, 1)
	return New(Options{World: w, Now: func() time.Time { return testT0 }, Live: live}), w
}

func TestLive_OffByDefault(t *testing.T) {
	s, _ := liveSim(false)
	before := len(s.jobs.list)
	s.Advance(3 * time.Hour)
	if len(s.jobs.list) != before {
		t.Fatalf("%d new jobs without Live", len(s.jobs.list)-before)
	}
	if strings.Contains(string(get(t, s, "/report/system?page_size=50")), `"name":"live-`) {
		t.Fatal("live jobs without Live")
	}
}

func TestLive_JobsHappenDeterministically(t *testing.T) {
	a, w := liveSim(true)
	b, _ := liveSim(true)
	proj := w.Projects[0].OBIID
	before, _, _ := a.ProjectBalance(proj)
	for range 6 {
		a.Advance(30 * time.Minute)
		b.Advance(30 * time.Minute)
	}
	rep := string(get(t, a, "/report/system?page_size=100"))
	if !strings.Contains(rep, `"name":"live-`) {
		t.Fatalf("no live job in the report after 3 h: %.500s", rep)
	}
	if rep != string(get(t, b, "/report/system?page_size=100")) {
		t.Fatal("two Live simulators with the same clock differ")
	}
	after, _, _ := a.ProjectBalance(proj)
	if after.Cmp(before) >= 0 {
		t.Fatalf("balance did not move: %s -> %s", before, after)
	}
	// The seeded open jobs followed their plans: started, alive or finished.
	for _, j := range a.jobs.list {
		if j.open() && !j.startedAt.IsZero() && a.Now().Sub(j.lastAliveAt) > 10*time.Minute && !j.planAlive.Before(a.Now()) {
			t.Fatalf("planned job %s not kept alive: last %s", j.id, j.lastAliveAt)
		}
	}
}

func TestLive_LongJumpIsBounded(t *testing.T) {
	s, _ := liveSim(true)
	start := time.Now()
	s.Advance(60 * 24 * time.Hour)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("a 60-day jump took %s", took)
	}
	get(t, s, "/report/system?page_size=10")
}

// TestLive_StorageContinues: the daily storage events go on in Live mode,
// closing the open storage job, which then shows in the report.
func TestLive_StorageContinues(t *testing.T) {
	s, w := liveSim(true)
	s.Advance(50 * time.Hour)
	rep := getPage(t, s, "/report/project/"+w.Projects[0].OBIID+"?page_size=200")
	for _, it := range rep.Items {
		if it["type"] != "storage" {
			continue
		}
		if finished, _ := time.Parse(time.RFC3339Nano, it["finished_at"].(string)); finished.After(testT0) {
			return
		}
	}
	t.Fatal("no storage job closed after t0 in the report")
}
