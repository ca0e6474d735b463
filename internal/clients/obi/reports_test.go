package obi

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

func TestClient_ProjectReportAllPages(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, Config{PageSize: 37})
	proj := e.labs[0].Projects[1].ID
	first, err := e.c.ProjectReportPage(ctx, proj, 1, 37)
	if err != nil {
		t.Fatal(err)
	}
	if first.TotalItems < 100 || first.TotalPages != (first.TotalItems+36)/37 {
		t.Fatalf("meta %+v", first)
	}
	jobs, err := e.c.ProjectJobs(ctx, proj)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != first.TotalItems {
		t.Fatalf("%d jobs, want %d", len(jobs), first.TotalItems)
	}
	seen := map[string]bool{}
	types := map[string]int{}
	for i, j := range jobs {
		if seen[j.ID] {
			t.Fatalf("job %s twice", j.ID)
		}
		seen[j.ID] = true
		types[j.Type]++
		if i > 0 && j.StartedAt.After(jobs[i-1].StartedAt) {
			t.Fatalf("job %d started after job %d", i, i-1)
		}
		if j.Amount.Sign() < 0 || j.FinishedAt.Before(j.StartedAt) || j.VlabID != "" || j.ProjID != "" {
			t.Fatalf("job %+v", j)
		}
		if j.Type != TypeStorage && (j.UserID == "" || j.ReservedAt.IsZero() || j.ReservedAt.After(j.StartedAt)) {
			t.Fatalf("job %+v", j)
		}
	}
	if types[TypeOneshot] == 0 || types[TypeLongrun] == 0 || types[TypeStorage] == 0 {
		t.Fatalf("job types %v", types)
	}
	if span := jobs[0].StartedAt.Sub(jobs[len(jobs)-1].StartedAt); span < 80*24*time.Hour {
		t.Fatalf("history spans only %s", span)
	}
}

func TestClient_EachJobStreamsAndStops(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, Config{PageSize: 10})
	lab := e.labs[1]
	stop := errors.New("enough")
	n := 0
	err := e.c.EachVirtualLabJob(ctx, lab.ID, func(j Job) error {
		if j.ProjID == "" || j.VlabID != "" {
			t.Fatalf("virtual-lab report item %+v", j)
		}
		if n++; n == 25 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 25 {
		t.Fatalf("stopped after %d with %v", n, err)
	}
	var sys []Job
	err = e.c.EachSystemJob(ctx, func(j Job) error {
		sys = append(sys, j)
		if len(sys) == 15 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || sys[0].VlabID == "" || sys[0].ProjID == "" {
		t.Fatalf("system report: %v %+v", err, sys[0])
	}
}

// TestClient_ReportSpend shows what the portal computes from reports:
// the spend of the last 7 and 30 days, which must match the amounts.
func TestClient_ReportSpend(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, Config{})
	for _, lab := range e.labs {
		for _, p := range lab.Projects {
			var week, month decimal.Decimal
			err := e.c.EachProjectJob(ctx, p.ID, func(j Job) error {
				if age := t0.Sub(j.StartedAt); age <= 30*24*time.Hour {
					month = month.Add(j.Amount)
					if age <= 7*24*time.Hour {
						week = week.Add(j.Amount)
					}
				}
				return nil
			})
			if err != nil || week.Sign() <= 0 || month.Cmp(week) <= 0 {
				t.Fatalf("%s: week %s month %s (%v)", p.AccountName, week, month, err)
			}
		}
	}
}

func TestClient_OpenJobsAndDiscounts(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, Config{PageSize: 2})
	open, err := e.c.OpenLongrunJobs(ctx, "")
	if err != nil || len(open) == 0 {
		t.Fatalf("open jobs %v %v", open, err)
	}
	for i, j := range open {
		if j.CreatedAt.IsZero() || (i > 0 && j.CreatedAt.Before(open[i-1].CreatedAt)) {
			t.Fatalf("open job %+v", j)
		}
	}
	some, err := e.c.OpenLongrunJobs(ctx, open[0].Subtype)
	if err != nil || len(some) == 0 || len(some) > len(open) {
		t.Fatalf("open jobs of %s: %v %v", open[0].Subtype, some, err)
	}
	if _, err := e.c.OpenLongrunJobs(ctx, "no-such-subtype"); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("unknown subtype: %v", err)
	}
	cur, ok, err := e.c.CurrentDiscount(ctx, e.labs[0].ID)
	if err != nil || !ok || cur.Discount.String() != "0.15" || !cur.ValidTo.IsZero() {
		t.Fatalf("current discount %+v %v %v", cur, ok, err)
	}
	if _, ok, err := e.c.CurrentDiscount(ctx, e.labs[1].ID); ok || err != nil {
		t.Fatalf("lab 2 has no current discount: %v %v", ok, err)
	}
	all, err := e.c.Discounts(ctx, e.labs[1].ID)
	if err != nil || len(all) != 1 || all[0].ValidTo.IsZero() || all[0].Discount.String() != "0.25" {
		t.Fatalf("discounts %+v %v", all, err)
	}
	id, err := e.c.AddDiscount(ctx, e.labs[1].ID, d("0.3"), t0.Add(-time.Hour), time.Time{})
	if err != nil || id == 0 {
		t.Fatal(id, err)
	}
	if cur, ok, _ := e.c.CurrentDiscount(ctx, e.labs[1].ID); !ok || cur.ID != id {
		t.Fatalf("new discount not current: %+v", cur)
	}
}

func TestClient_EnsureAccounts(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, Config{})
	lab, proj := e.labs[0], e.labs[0].Projects[0]
	created, err := e.c.EnsureSystemAccount(ctx, "0d8f6d3c-43f1-4c4a-9b2f-2a8a0c3e6f11", "other")
	if err != nil || created {
		t.Fatalf("existing system account: %v %v", created, err)
	}
	if created, err := e.c.EnsureVirtualLab(ctx, lab.ID, lab.Name, d("10")); err != nil || created {
		t.Fatalf("existing lab: %v %v", created, err)
	}
	if created, err := e.c.EnsureProject(ctx, proj.ID, proj.AccountName, lab.ID); err != nil || created {
		t.Fatalf("existing project: %v %v", created, err)
	}
	if _, err := e.c.EnsureProject(ctx, proj.ID, proj.AccountName, e.labs[1].ID); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("project of another lab: %v", err)
	}
	newLab, newProj := "5a4c1f0e-7d1b-4d8a-9a7e-0d3f2b1c4e5a", "6b5d2a1f-8e2c-4e9b-8b8f-1e4a3c2d5f6b"
	if created, err := e.c.EnsureVirtualLab(ctx, newLab, "New Lab", d("250.50")); err != nil || !created {
		t.Fatalf("new lab: %v %v", created, err)
	}
	if created, err := e.c.EnsureProject(ctx, newProj, "New Lab/First", newLab); err != nil || !created {
		t.Fatalf("new project: %v %v", created, err)
	}
	if _, err := e.c.EnsureProject(ctx, "7c6e3b2a-9f3d-4fac-8c9a-2f5b4d3e6a7c", "x", "8d7f4c3b-af4e-4abd-9dab-3a6c5e4f7b8d"); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("project of an unknown lab: %v", err)
	}
	vb, err := e.c.VirtualLabBalanceWithProjects(ctx, newLab)
	if err != nil || vb.Balance.String() != "250.50" || len(vb.Projects) != 1 || vb.Projects[0].ProjID != newProj {
		t.Fatalf("new lab %+v %v", vb, err)
	}
}
