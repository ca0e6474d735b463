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

// TestSaveOBIJobs_LargeBatchesMatchTheJobs stores batches larger than one
// statement (with a job repeated, as a page that shifted repeats one),
// then changes some: each day's spend equals the exact sum of that day's
// jobs as stored, OBIJobsChanged predicts what a save changes, and the
// overview's 7-day spend moves with the jobs.
func TestSaveOBIJobs_LargeBatchesMatchTheJobs(t *testing.T) {
	db, now := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	day := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	*now = day.AddDate(0, 0, 5)
	var jobs []budgets.Job
	for i := range 1000 {
		jobs = append(jobs, testJob(i, day.Add(time.Duration(i%96)*time.Hour), fmt.Sprintf("0.%03d", i)))
	}
	batch := append(append([]budgets.Job{}, jobs...), jobs[7])
	if n, err := db.OBIJobsChanged(ctx, batch); err != nil || n != 1000 {
		t.Fatalf("before the first save, %d jobs would change (%v)", n, err)
	}
	if n, err := db.SaveOBIJobs(ctx, batch); err != nil || n != 1000 {
		t.Fatalf("first save: %d %v", n, err)
	}
	check := func(stage string) {
		t.Helper()
		want := map[int64]decimal.Decimal{}
		var week decimal.Decimal
		for _, j := range jobs {
			d := dayStart(j.FinishedAt.Unix())
			want[d] = want[d].Add(j.Amount)
			week = week.Add(j.Amount)
		}
		spend, err := db.BudgetDailySpend(ctx, testProj, day, day.AddDate(0, 0, 5))
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]decimal.Decimal{}
		for _, s := range spend {
			got[s.Day.Unix()] = got[s.Day.Unix()].Add(s.Amount)
		}
		for d, w := range want {
			if got[d].Cmp(w) != 0 {
				t.Errorf("%s: spend of %s is %s, its jobs add up to %s", stage, time.Unix(d, 0).UTC().Format("2006-01-02"), got[d], w)
			}
		}
		labs, err := db.BudgetOverview(ctx, portal.Scope{All: true}, *now)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range labs[0].Projects {
			if p.ProjID == testProj && p.Spend7.Cmp(week) != 0 {
				t.Errorf("%s: the overview's 7-day spend is %s, the jobs add up to %s", stage, p.Spend7, week)
			}
		}
	}
	check("first save")
	// Three jobs change amount, one moves a day on, the rest are known.
	for _, i := range []int{3, 500, 999} {
		jobs[i].Amount = decimal.MustParse("7.5")
	}
	jobs[42].FinishedAt = jobs[42].FinishedAt.Add(24 * time.Hour)
	if n, err := db.OBIJobsChanged(ctx, jobs); err != nil || n != 4 {
		t.Fatalf("OBIJobsChanged predicts %d changes, want 4 (%v)", n, err)
	}
	if n, err := db.SaveOBIJobs(ctx, jobs); err != nil || n != 4 {
		t.Fatalf("second save changed %d, want 4 (%v)", n, err)
	}
	check("after changes")
}

// TestBudgetOverview_ForecastFollowsBalanceAndSpend: the overview keeps
// each project's projection (burn rates, how long the balance lasts) with
// its balances and spend; a new balance or new spend moves it, and the
// same kept projection placed at a later moment moves its run-out dates.
func TestBudgetOverview_ForecastFollowsBalanceAndSpend(t *testing.T) {
	db, now := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	day := time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)
	*now = day.Add(12 * time.Hour)
	balance := func(b string) {
		t.Helper()
		if _, err := db.SaveOBIBalances(ctx, *now, []budgets.LabReading{{VlabID: testLab, Balance: decimal.MustParse("1000.00"),
			Projects: []budgets.ProjectReading{{ProjID: testProj, Balance: decimal.MustParse(b), Reservation: decimal.Zero}}}}); err != nil {
			t.Fatal(err)
		}
	}
	forecast := func(at time.Time) budgets.Forecast {
		t.Helper()
		labs, err := db.BudgetOverview(ctx, portal.Scope{All: true}, at)
		if err != nil {
			t.Fatal(err)
		}
		if l, want := labs[0], budgets.SumProjects(labs[0].Projects); l.Sums == nil || l.Sums.Assigned.Cmp(want.Assigned) != 0 ||
			l.Sums.Reserved.Cmp(want.Reserved) != 0 {
			t.Fatalf("the lab's kept sums %+v, its projects add up to %+v", l.Sums, budgets.SumProjects(l.Projects))
		}
		for _, p := range labs[0].Projects {
			if p.ProjID == testProj {
				if p.Projection == nil {
					t.Fatal("the overview keeps no projection")
				}
				got, want := p.Forecast(at), budgets.NewForecast(p.Balance, p.Spend7, p.Spend30, at)
				if got.Burn7.Cmp(want.Burn7) != 0 || got.Burn30.Cmp(want.Burn30) != 0 || !got.RunOut7.Equal(want.RunOut7) ||
					!got.RunOut30.Equal(want.RunOut30) || got.Soon != want.Soon || got.Overdrawn != want.Overdrawn {
					t.Fatalf("kept forecast %+v, computed %+v", p.Forecast(at), want)
				}
				return p.Forecast(at)
			}
		}
		t.Fatal("no neuro-sim on the overview")
		return budgets.Forecast{}
	}
	balance("300.00")
	// 3 credits a day over the last 7 days: 21 credits.
	var jobs []budgets.Job
	for i := range 7 {
		jobs = append(jobs, testJob(i, day.AddDate(0, 0, -i-1).Add(time.Hour), "3"))
	}
	if _, err := db.SaveOBIJobs(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	f := forecast(*now)
	if f.Burn7.Cmp(decimal.MustParse("3")) != 0 || !f.RunOut7.Equal(now.AddDate(0, 0, 100)) || f.Soon || f.Overdrawn {
		t.Fatalf("first forecast %+v", f)
	}
	// The same kept answer, asked an hour later, runs out an hour later.
	if f := forecast(now.Add(time.Hour)); !f.RunOut7.Equal(now.AddDate(0, 0, 100).Add(time.Hour)) {
		t.Fatalf("an hour later: %+v", f)
	}
	// A new balance: 30 credits last 10 days, which is soon.
	balance("30.00")
	if f := forecast(*now); !f.RunOut7.Equal(now.AddDate(0, 0, 10)) || !f.Soon {
		t.Fatalf("after a new balance: %+v", f)
	}
	if labs, _ := db.BudgetOverview(ctx, portal.Scope{All: true}, *now); labs[0].ProjectSums().Assigned.Cmp(decimal.MustParse("30")) != 0 {
		t.Fatalf("the lab's projects hold %s after a new balance", labs[0].ProjectSums().Assigned)
	}
	// More spend: 6 a day over the week, 5 days left.
	jobs = jobs[:0]
	for i := range 7 {
		jobs = append(jobs, testJob(100+i, day.AddDate(0, 0, -i-1).Add(2*time.Hour), "3"))
	}
	if _, err := db.SaveOBIJobs(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	if f := forecast(*now); f.Burn7.Cmp(decimal.MustParse("6")) != 0 || !f.RunOut7.Equal(now.AddDate(0, 0, 5)) {
		t.Fatalf("after more spend: %+v", f)
	}
	// Overdrawn.
	balance("-1.00")
	if f := forecast(*now); !f.Overdrawn || !f.RunOut7.Equal(*now) {
		t.Fatalf("overdrawn: %+v", f)
	}
}

// TestSaveOBIJobs_RollupOfManyDays stores one batch that touches more
// days than one statement names, then one that touches only the first
// and the last of them: every day's daily and total spend stays the exact
// sum of its jobs, the days between included.
func TestSaveOBIJobs_RollupOfManyDays(t *testing.T) {
	db, _ := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	day0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	days := 2*bulkRows + 3
	var jobs []budgets.Job
	for d := range days {
		for k := range 2 {
			jobs = append(jobs, testJob(d*2+k, day0.AddDate(0, 0, d).Add(time.Duration(k)*time.Hour), fmt.Sprintf("%d.%02d", d, k+1)))
		}
	}
	if _, err := db.SaveOBIJobs(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	more := []budgets.Job{testJob(10000, day0.Add(3*time.Hour), "0.5"), testJob(10001, day0.AddDate(0, 0, days-1).Add(5*time.Hour), "0.25")}
	if _, err := db.SaveOBIJobs(ctx, more); err != nil {
		t.Fatal(err)
	}
	jobs = append(jobs, more...)
	want := map[int64]decimal.Decimal{}
	for _, j := range jobs {
		d := dayStart(j.FinishedAt.Unix())
		want[d] = want[d].Add(j.Amount)
	}
	for _, table := range []string{"obi_spend_daily", "obi_spend_total"} {
		rows, err := db.r.QueryContext(ctx, `SELECT day, amount FROM `+table+` WHERE proj_id = ?`, testProj)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]decimal.Decimal{}
		for rows.Next() {
			var d int64
			var a decimal.Decimal
			if err := rows.Scan(&d, &a); err != nil {
				t.Fatal(err)
			}
			got[d] = got[d].Add(a)
		}
		rows.Close()
		if len(got) != len(want) {
			t.Errorf("%s: %d days, want %d", table, len(got), len(want))
		}
		for d, w := range want {
			if got[d].Cmp(w) != 0 {
				t.Errorf("%s: spend of %s is %s, its jobs add up to %s", table, time.Unix(d, 0).UTC().Format("2006-01-02"), got[d], w)
			}
		}
	}
}
