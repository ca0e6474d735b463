package cache

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

func testJob(i int, finished time.Time, amount string) OBIJob {
	return OBIJob{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), ProjID: testProj, VlabID: testLab, Type: "oneshot",
		Subtype: "ml-llm", Status: OBIJobFinished, StartedAt: finished, FinishedAt: finished, Amount: decimal.MustParse(amount),
		ReservedAmount: decimal.MustParse("1"), HasReservation: true, Count: 10}
}

func TestSaveOBIJobs_RollupIsExact_UnchangedJobsAreNotCounted(t *testing.T) {
	db, now := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	day := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	// Amounts a float64 sum would get wrong.
	jobs := []OBIJob{testJob(1, day.Add(time.Hour), "0.1"), testJob(2, day.Add(2*time.Hour), "0.2"),
		testJob(3, day.Add(25*time.Hour), "0.00000000000000000001"), testJob(4, day.Add(26*time.Hour), "1.00000000000000000002")}
	n, err := db.SaveOBIJobs(ctx, jobs)
	if err != nil || n != 4 {
		t.Fatalf("first save: %d %v", n, err)
	}
	if n, _ := db.SaveOBIJobs(ctx, jobs); n != 0 {
		t.Fatalf("saving the same jobs again changed %d", n)
	}
	spend, err := db.BudgetDailySpend(ctx, testProj, day, day.AddDate(0, 0, 3))
	if err != nil || len(spend) != 2 || spend[0].Amount.String() != "0.3" || spend[1].Amount.String() != "1.00000000000000000003" || spend[1].Jobs != 2 {
		t.Fatalf("daily spend %+v %v", spend, err)
	}
	// A job that changes moves its spend between days.
	jobs[0].FinishedAt = day.Add(27 * time.Hour)
	if n, _ := db.SaveOBIJobs(ctx, jobs[:1]); n != 1 {
		t.Fatal("a changed job was not saved")
	}
	spend, _ = db.BudgetDailySpend(ctx, testProj, day, day.AddDate(0, 0, 3))
	if spend[0].Amount.String() != "0.2" || spend[1].Amount.String() != "1.10000000000000000003" {
		t.Fatalf("after a move: %+v", spend)
	}
	// The overview sums full days before today.
	*now = day.AddDate(0, 0, 3).Add(5 * time.Hour)
	labs, err := db.BudgetOverview(ctx, portal.Scope{All: true}, *now)
	if err != nil || len(labs) != 1 || len(labs[0].Projects) != 2 {
		t.Fatalf("overview %+v %v", labs, err)
	}
	p := labs[0].Projects[1] // by name: Brain Atlas, then Neural Circuit
	if p.Key != "neuro-sim" || p.Spend7.String() != "1.30000000000000000003" || p.HasBalance {
		t.Fatalf("neuro-sim on the overview: %+v", p)
	}
}

func TestBudgetOverview_Scoped(t *testing.T) {
	db, now := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	db.SaveOBIBalances(ctx, *now, []OBILabReading{{VlabID: testLab, Balance: decimal.MustParse("1000.00"), Projects: []OBIProjectReading{
		{ProjID: testProj, Balance: decimal.MustParse("10.00"), Reservation: decimal.MustParse("1.00")},
		{ProjID: testProj2, Balance: decimal.MustParse("20.00"), Reservation: decimal.Zero},
	}}})
	labs, _ := db.BudgetOverview(ctx, portal.Scope{Projects: []string{"neuro-sim"}}, *now)
	if len(labs) != 1 || len(labs[0].Projects) != 1 || labs[0].Projects[0].Key != "neuro-sim" || labs[0].Balance.String() != "1000.00" {
		t.Fatalf("neuro-sim's member sees %+v", labs)
	}
	if labs, _ := db.BudgetOverview(ctx, portal.Scope{Projects: []string{"climate-ml"}}, *now); len(labs) != 0 {
		t.Fatalf("an outsider sees %+v", labs)
	}
	if _, err := db.BudgetProjectByKey(ctx, portal.Scope{Projects: []string{"neuro-sim"}}, "brain-atlas", *now); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("another project's budget: %v", err)
	}
	d, err := db.BudgetProjectByKey(ctx, portal.Scope{Projects: []string{"neuro-sim"}}, "neuro-sim", *now)
	if err != nil || d.Reservation.String() != "1.00" || !d.LastSnapshot.Equal(*now) {
		t.Fatalf("detail %+v %v", d, err)
	}
}

func TestForecast(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	d := decimal.MustParse
	cases := []struct {
		bal, s7, s30 string
		run30        string // date, or "" for not at this rate
		soon, over   bool
	}{
		{"300.00", "70", "300", "", false, false}, // 10 a day: 30 days (set below)
		{"100.00", "140", "300", "", true, false}, // 20 a day over the last week: 5 days
		{"1000.00", "0", "0", "", false, false},
		{"-5.00", "7", "30", "2026-11-20", true, true},
		{"1000.00", "7", "30", "2029-08-16", false, false},
	}
	cases[0].run30 = now.AddDate(0, 0, 30).Format("2006-01-02")
	cases[1].run30 = now.AddDate(0, 0, 10).Format("2006-01-02")
	for _, c := range cases {
		f := NewForecast(d(c.bal), d(c.s7), d(c.s30), now)
		got := ""
		if !f.RunOut30.IsZero() {
			got = f.RunOut30.Format("2006-01-02")
		}
		if got != c.run30 || f.Soon != c.soon || f.Overdrawn != c.over {
			t.Errorf("balance %s spend %s/%s: run-out %q soon %v overdrawn %v", c.bal, c.s7, c.s30, got, f.Soon, f.Overdrawn)
		}
	}
	if f := NewForecast(d("300.00"), d("70"), d("300"), now); f.Burn7.StringFixed(2) != "10.00" || f.Burn30.StringFixed(2) != "10.00" ||
		!strings.HasPrefix(f.RunOut7.Format(time.RFC3339), "2026-12-20") {
		t.Errorf("burn %s/%s run-out7 %s", f.Burn7, f.Burn30, f.RunOut7)
	}
}
