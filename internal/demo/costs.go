package demo

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/app"
	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/sim"
	"github.com/accounting-portal/portal/internal/usage"
)

// The demo's costs: a plausible rate card (VergeOS priced in CHF by the
// partner that runs it, AMIE SUs in USD, ARGO and OBI in EUR), a dated FX
// table (CHF changes at the start of last month), budgets of three kinds,
// and the usage records two projects sent to AMIE, matching ARGO's
// cpu_hours for one project and falling short for the other, so the
// cross-source checks have something to flag.

// RateCard is the demo's rate card as JSON; its versions start on from.
func RateCard(from, fxChange time.Time) []byte {
	d := from.Format(costs.DateLayout)
	var b strings.Builder
	b.WriteString(`{"base_currency": "EUR", "rates": [`)
	rates := []struct{ source, measure, price, currency string }{
		{"vergeos", costs.MeasureCoreHours, "0.012", "CHF"},
		{"vergeos", costs.MeasureRAMGBHours, "0.0025", "CHF"},
		{"vergeos", costs.MeasureTierGBHours(0), "0.00012", "CHF"},
		{"vergeos", costs.MeasureTierGBHours(1), "0.00006", "CHF"},
		{"vergeos", costs.MeasureTierGBHours(2), "0.00002", "CHF"},
		{"vergeos", costs.MeasureTierGBHours(3), "0.00001", "CHF"},
		{"vergeos", costs.MeasureGPUHours, "0.85", "CHF"},
		{"vergeos", costs.MeasureVGPUHours, "0.22", "CHF"},
		{"argo", "cpu_hours", "0.015", "EUR"},
		{"argo", "storage_used", "0.10", "EUR"},
		{"amie", costs.MeasureSU, "0.01", "USD"},
		{"obi", costs.MeasureCredits, "1.00", "EUR"},
	}
	for i, r := range rates {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n  {\"source\": %q, \"measure\": %q, \"scope\": \"*\", \"price\": %q, \"currency\": %q, \"valid_from\": %q}",
			r.source, r.measure, r.price, r.currency, d)
	}
	fmt.Fprintf(&b, `], "fx": [
  {"currency": "CHF", "per_base": "0.94", "valid_from": %q},
  {"currency": "CHF", "per_base": "0.93", "valid_from": %q},
  {"currency": "USD", "per_base": "1.08", "valid_from": %q}]}`, d, fxChange.Format(costs.DateLayout), d)
	return []byte(b.String())
}

// SeedCosts gives a fresh demo database (one without a rate card) its
// rate card, budgets, and the usage records two projects sent to AMIE
// since the start of last month, queued for delivery as an upload of the
// demo manager's would be. An existing demo is left as it is.
func SeedCosts(ctx context.Context, a *app.App, sims *sim.Running, now time.Time) error {
	base := a.Config.Costs.BaseCurrency
	t, err := a.DB.RateTable(ctx, base)
	if err != nil || len(t.Rates) > 0 || base != "EUR" {
		return err
	}
	month := costs.Month(now)
	rates, fx, err := costs.ParseCard(RateCard(month.AddDate(0, -6, 0), month.AddDate(0, -1, 0)), costs.CardContext{Base: base})
	if err != nil {
		return fmt.Errorf("demo: rate card: %w", err)
	}
	if _, err := a.DB.ImportCard(ctx, base, rates, fx, "demo-admin", "Ada Admin"); err != nil {
		return err
	}
	w := sims.World
	budgets := []costs.Budget{
		{Project: w.Projects[0].Key, Period: costs.PeriodOf(costs.PeriodMonth, now), Amount: decimal.MustParse("3500"), Note: "monthly allocation"},
		{Project: w.Projects[1].Key, Period: costs.PeriodOf(costs.PeriodYear, now), Amount: decimal.MustParse("15000"), Note: "annual grant"},
		{Project: w.Projects[2].Key, Period: costs.PeriodOf(costs.PeriodQuarter, now), Amount: decimal.MustParse("4500"), Note: "quarterly allocation"},
	}
	for _, b := range budgets {
		b.SetBy, b.SetByName = "demo-admin", "Ada Admin"
		if err := a.DB.SetBudget(ctx, b); err != nil {
			return err
		}
	}
	if sims.AMIE == nil || sims.Argo == nil {
		return nil
	}
	// The manager's two projects: one reports to AMIE what ARGO measures,
	// the other a good deal less.
	for _, i := range []int{0, 1} {
		factor := 1.01
		if i != 0 {
			factor = 0.85
		}
		if err := seedAMIE(ctx, a, sims, i, factor, month.AddDate(0, -1, 0), costs.Day(now)); err != nil {
			return err
		}
	}
	a.Outbox.Notify()
	return nil
}

// seedAMIE queues one compute record per day in [from, to) for world
// project i, charging factor times the cpu_hours ARGO holds for the
// project's installations that day.
func seedAMIE(ctx context.Context, a *app.App, sims *sim.Running, i int, factor float64, from, to time.Time) error {
	wp := sims.World.Projects[i]
	var members []string
	for _, p := range sims.AMIE.Projects() {
		if p.LocalProjectID == wp.AMIEID {
			members = p.Members
		}
	}
	if len(members) == 0 {
		return nil
	}
	cpuDef := ""
	for _, d := range sims.Argo.MetricDefinitions() {
		if d.Name == "cpu_hours" {
			cpuDef = d.ID
		}
	}
	perDay := map[int64]float64{}
	for _, in := range sims.Argo.Installations() {
		if in.ProjectID != wp.ArgoID {
			continue
		}
		ms, _ := sims.Argo.InstallationMetrics(in.ID, 0, 1<<30)
		for _, m := range ms {
			if m.MetricDefinitionID == cpuDef && !m.Start.Before(from) && m.Start.Before(to) {
				perDay[costs.Day(m.Start).Unix()] += m.Value
			}
		}
	}
	resource := sims.AMIE.Resources()[0]
	var recs []usage.Record
	total := decimal.Zero
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		charge := math.Round(perDay[d.Unix()]*factor*100) / 100
		if charge <= 0 {
			continue
		}
		start := d.Add(2 * time.Hour)
		r := usage.Record{Seq: len(recs), Line: len(recs) + 2, LocalRecordID: fmt.Sprintf("demo-%s-%s", wp.Key, d.Format("20060102")),
			Resource: resource, LocalProjectID: wp.AMIEID, Username: members[len(recs)%len(members)],
			SubmitTime: start.Add(-10 * time.Minute), StartTime: start, EndTime: start.Add(20 * time.Hour),
			Charge: decimal.MustParse(fmt.Sprintf("%.2f", charge)).String(), JobName: "daily-" + d.Format("0102"),
			Ints: map[string]int64{"NodeCount": 4, "CpuCoreCount": 256}}
		total = total.Add(decimal.MustParse(r.Charge))
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return nil
	}
	chunks, err := a.Handler.Usage.PlanUsage("Compute", recs)
	if err != nil {
		return err
	}
	up := usage.Upload{UsageType: "Compute", Filename: "demo-" + wp.Key + ".csv", Records: len(recs), TotalCharge: total.String(),
		Projects: []string{wp.AMIEID}, CreatedBy: "demo-manager", CreatedByName: "Max Manager"}
	_, err = a.Handler.Usage.CreateUsageUpload(ctx, up, func(w usage.Writer) error {
		off := 0
		for _, ch := range chunks {
			if err := w.Add(ch, recs[off:off+ch.Count]); err != nil {
				return err
			}
			off += ch.Count
		}
		return nil
	})
	return err
}
