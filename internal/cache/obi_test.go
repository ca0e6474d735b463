package cache

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

func testJob(i int, finished time.Time, amount string) budgets.Job {
	return budgets.Job{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), ProjID: testProj, VlabID: testLab, Type: "oneshot",
		Subtype: "ml-llm", Status: budgets.JobFinished, StartedAt: finished, FinishedAt: finished, Amount: decimal.MustParse(amount),
		ReservedAmount: decimal.MustParse("1"), HasReservation: true, Count: 10}
}

func TestSaveOBIJobs_RollupIsExact_UnchangedJobsAreNotCounted(t *testing.T) {
	db, now := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	day := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	// Amounts a float64 sum would get wrong.
	jobs := []budgets.Job{testJob(1, day.Add(time.Hour), "0.1"), testJob(2, day.Add(2*time.Hour), "0.2"),
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
	db.SaveOBIBalances(ctx, *now, []budgets.LabReading{{VlabID: testLab, Balance: decimal.MustParse("1000.00"), Projects: []budgets.ProjectReading{
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
