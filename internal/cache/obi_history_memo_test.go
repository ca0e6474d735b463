package cache

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// TestMemo_BudgetProjectPageFollowsOBI: a project page's reads (its
// detail, daily spend and jobs) are kept between OBI syncs for ranges
// that end at each request's moment, and show at once what a sync or the
// snapshots' thinning changed.
func TestMemo_BudgetProjectPageFollowsOBI(t *testing.T) {
	db, now := MustOpen(t)
	withBudgetCatalog(t, db)
	ctx := context.Background()
	scope := portal.Scope{Projects: []string{"neuro-sim"}}
	base := now.UTC()
	// A snapshot every 6 hours over 50 days, balances that move.
	err := db.write(ctx, func(tx *sql.Tx) error {
		for i, at := 0, base.Add(-50*24*time.Hour); at.Before(base); i, at = i+1, at.Add(7*time.Minute) {
			if err := snapshot(ctx, tx, testProj, "project", at, decimal.MustParse(fmt.Sprintf("%d.25", 5000-i)), decimal.Zero); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var jobs []budgets.Job
	for i := range 300 {
		jobs = append(jobs, testJob(i, base.Add(-time.Duration(i)*4*time.Hour-time.Minute), fmt.Sprintf("1.%03d", i)))
	}
	if _, err := db.SaveOBIJobs(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	from, to := base.Add(-30*24*time.Hour+time.Nanosecond), base.Add(time.Nanosecond)
	f := budgets.JobFilter{From: from, To: to, Sort: "finished", Desc: true, Limit: 50}
	d, _ := db.BudgetProjectByKey(ctx, scope, "neuro-sim", *now)
	page, total, _ := db.BudgetJobs(ctx, testProj, f)
	spend, _ := db.BudgetDailySpend(ctx, testProj, from, to)
	series, _ := db.BalanceSeries(ctx, testProj, from, to, 400)
	if d == nil || total != 180 || len(page) != 50 || len(spend) != 31 || len(series) == 0 {
		t.Fatalf("first reads: %v, %d jobs (%d on the page), %d days, %d points", d, total, len(page), len(spend), len(series))
	}

	// An OBI sync: a job's cost changes, on the page and in its day; the
	// last snapshot is read again with another balance; the lab balance moves.
	jobs[0].Amount = decimal.MustParse("77.5")
	if _, err := db.SaveOBIJobs(ctx, jobs[:1]); err != nil {
		t.Fatal(err)
	}
	if page, _, _ := db.BudgetJobs(ctx, testProj, f); page[0].Amount.String() != "77.5" {
		t.Errorf("the jobs page kept a cost of %s after a sync changed it", page[0].Amount)
	}
	if again, _ := db.BudgetDailySpend(ctx, testProj, from, to); again[len(again)-1].Amount.String() != "79.503" {
		t.Errorf("the daily spend kept %s (was %s) after a sync changed a job of the day", again[len(again)-1].Amount, spend[len(spend)-1].Amount)
	}
	db.SaveOBIBalances(ctx, series[len(series)-1].At, []budgets.LabReading{{VlabID: testLab, Balance: decimal.MustParse("123.00"),
		Projects: []budgets.ProjectReading{{ProjID: testProj, Balance: decimal.MustParse("9.99"), Reservation: decimal.Zero}}}})
	if d, _ := db.BudgetProjectByKey(ctx, scope, "neuro-sim", *now); d.LabBalance.String() != "123.00" || d.Balance.String() != "9.99" {
		t.Errorf("the project kept balances %s and %s after a sync", d.LabBalance, d.Balance)
	}
	// A caller's copy is its own.
	d, _ = db.BudgetProjectByKey(ctx, scope, "neuro-sim", *now)
	d.Name = "changed"
	if again, _ := db.BudgetProjectByKey(ctx, scope, "neuro-sim", *now); again.Name == "changed" {
		t.Error("a caller's change to its project reached the kept one")
	}

	// Thinning removes snapshots older than 35 days: where the history
	// begins shows it.
	first := d.FirstSnapshot
	if n, err := db.ThinBalanceSnapshots(ctx); err != nil || n == 0 {
		t.Fatalf("thinning removed %d: %v", n, err)
	}
	if d, _ := db.BudgetProjectByKey(ctx, scope, "neuro-sim", *now); !d.FirstSnapshot.After(first) {
		t.Errorf("the history still begins at %s after thinning removed it", d.FirstSnapshot)
	}
}
