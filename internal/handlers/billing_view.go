package handlers

import (
	"net/url"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/web/templates"
)

func recordHref(key string) string { return "/billing/records/" + url.PathEscape(key) }

func recordRow(r *billing.Record) templates.BillingRecordRow {
	row := templates.BillingRecordRow{
		Key: r.Key, Href: recordHref(r.Key), Created: r.Created, From: r.From, To: r.To, Sent: r.Sent, Description: r.Description,
		UsedCores: r.UsedCores, TotalCores: r.TotalCores, OnlineCores: r.OnlineCores,
		TotalNodes: r.TotalNodes, OnlineNodes: r.OnlineNodes, RunningMachines: r.RunningMachines,
		UsedRAM: r.UsedRAM, TotalRAM: r.TotalRAM, OnlineRAM: r.OnlineRAM,
		PhysRAMUsed: r.PhysRAMUsed, PhysVRAMUsed: r.PhysVRAMUsed, PhysTotalCPU: r.PhysTotalCPU,
		StorageUsed: r.StorageUsed(), StorageTotal: r.StorageTotal(),
		GPUsTotal: r.GPUsTotal, GPUs: r.GPUs, GPUsIdle: r.GPUsIdle, VGPUsTotal: r.VGPUsTotal, VGPUs: r.VGPUs, VGPUsIdle: r.VGPUsIdle,
		WorkloadDatapoints: r.WorkloadDatapoints, StorageDatapoints: r.StorageDatapoints,
		CPUPercent: billing.Percent(r.UsedCores, r.TotalCores), RAMPercent: billing.Percent(r.UsedRAM, r.TotalRAM),
		StoragePercent: billing.Percent(r.StorageUsed(), r.StorageTotal()),
		GPUPercent:     billing.Percent(r.GPUs, r.GPUsTotal), VGPUPercent: billing.Percent(r.VGPUs, r.VGPUsTotal),
		SyncedAt: time.Unix(r.SyncedAt, 0).UTC(),
	}
	for i, t := range r.Tiers {
		row.Tiers[i] = templates.BillingTierRow{Tier: i, Used: t.Used, Total: t.Total, Percent: billing.Percent(t.Used, t.Total)}
	}
	return row
}

func summaryView(s billing.Summary) templates.BillingSummaryView {
	return templates.BillingSummaryView{
		Records: s.RecordCount, AvgCPU: s.AvgCPUUtilization, PeakCPU: s.PeakCPUUtilization, PeakCores: s.PeakCPUCores,
		AvgRAM: s.AvgRAMUtilization, PeakRAM: s.PeakRAMUtilization, PeakRAMGiB: s.PeakRAMGiB,
		AvgStorageGiB: s.AvgStorageUsedGiB, PeakStorageGiB: s.PeakStorageUsedGiB,
		AvgStorage: s.AvgStorageUtilization, PeakStorage: s.PeakStorageUtilization,
		TotalGPUs: s.TotalGPUs, TotalVGPUs: s.TotalVGPUs, AvgGPUs: s.AvgGPUsUsed, AvgVGPUs: s.AvgVGPUsUsed,
		AvgGPU: s.AvgGPUUtilization, PeakGPU: s.PeakGPUUtilization, AvgVGPU: s.AvgVGPUUtilization, PeakVGPU: s.PeakVGPUUtilization,
		FirstCreated: s.FirstCreated, LastCreated: s.LastCreated,
	}
}

func tierRows(s billing.Summary) []templates.BillingTierRow {
	out := make([]templates.BillingTierRow, billing.Tiers)
	for i, t := range s.Tiers {
		out[i] = templates.BillingTierRow{Tier: i, Used: t.Used, Total: t.Total, Percent: t.Percent, AvgUsed: t.AvgUsed, PeakUsed: t.PeakUsed}
	}
	return out
}

func reconcileView(rc billing.Reconciliation, unsentHref string, now time.Time) templates.BillingReconcileView {
	v := templates.BillingReconcileView{Unsent: rc.Unsent, UnsentHref: unsentHref, Gaps: rc.Gaps, Missing: rc.Missing,
		Overlaps: rc.Overlaps, LastTo: rc.LastTo, Now: now}
	for _, g := range rc.First {
		v.First = append(v.First, templates.BillingGapRow{From: g.From, To: g.To})
	}
	return v
}

// billingCharts draws the utilisation and storage charts of the buckets
// and the table of the same numbers.
func billingCharts(series []billing.Point, from, to time.Time) ([]templates.ChartView, templates.BillingChartRows) {
	names := []string{"CPU", "RAM", "GPU", "vGPU"}
	util := make([]templates.TimeSeries, len(names))
	for i, n := range names {
		util[i] = templates.TimeSeries{Name: n}
	}
	used, capacity := templates.TimeSeries{Name: "Used"}, templates.TimeSeries{Name: "Capacity"}
	rows := make([]templates.BillingChartRow, 0, len(series))
	for _, b := range series {
		for i, val := range []float64{b.CPU, b.RAM, b.GPU, b.VGPU} {
			util[i].Points = append(util[i].Points, templates.TimePoint{T: b.Start, V: val})
		}
		used.Points = append(used.Points, templates.TimePoint{T: b.Start, V: templates.TiB(b.StorageUsed)})
		capacity.Points = append(capacity.Points, templates.TimePoint{T: b.Start, V: templates.TiB(b.StorageTotal)})
		rows = append(rows, templates.BillingChartRow{Start: b.Start, Records: b.Records, CPU: b.CPU, RAM: b.RAM, GPU: b.GPU,
			VGPU: b.VGPU, StorageUsed: b.StorageUsed, StorageTotal: b.StorageTotal})
	}
	charts := []templates.ChartView{
		templates.BuildChart(templates.ChartSpec{Title: "Utilisation", Unit: "%", Series: util, From: from, To: to}),
		templates.BuildChart(templates.ChartSpec{Title: "Storage, tiers 0–5", Unit: "TiB", Series: []templates.TimeSeries{used, capacity}, Area: true, From: from, To: to}),
	}
	return charts, templates.BillingChartRows{List: rows}
}

func generateRow(g billing.GenerateRequest) templates.GenerateRow {
	who := g.RequestedByName
	if who == "" {
		who = g.RequestedBy
	}
	return templates.GenerateRow{ID: strconv.FormatInt(g.ID, 10), Href: "/billing/requests/" + strconv.FormatInt(g.ID, 10),
		RequestedBy: who, RequestedAt: g.RequestedAt, Note: g.Note, State: g.State, Error: g.Error, SettledAt: g.SettledAt}
}
