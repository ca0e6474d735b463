package handlers

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/billing"
)

// The billing CSVs take the billing page's query (range, from/to, sort,
// unsent) and give the page's tables in VergeOS's own units, named in each
// header: bytes, MB, percent, UTC times in RFC 3339.

func csvInt(n int64) string { return strconv.FormatInt(n, 10) }

// csvFloat keeps four decimals: more than the page shows, so a CSV value
// rounds to the figure on screen.
func csvFloat(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }

var summaryCSVHeader = []string{"period_from_utc", "period_to_utc", "record_count",
	"avg_cpu_utilisation_percent", "peak_cpu_utilisation_percent", "peak_cpu_cores",
	"avg_ram_utilisation_percent", "peak_ram_utilisation_percent", "peak_ram_used_gib",
	"avg_storage_utilisation_percent", "peak_storage_utilisation_percent", "avg_storage_used_gib", "peak_storage_used_gib",
	"avg_gpu_utilisation_percent", "peak_gpu_utilisation_percent", "avg_gpus_in_use", "total_gpus",
	"avg_vgpu_utilisation_percent", "peak_vgpu_utilisation_percent", "avg_vgpus_in_use", "total_vgpus",
	"first_record_created_utc", "last_record_created_utc"}

func (h *Handler) handleBillingSummaryCSV(c echo.Context) error {
	bq, err := h.parseBillingQuery(c.QueryParams())
	if err != nil {
		return err
	}
	s, err := h.Billing.BillingSummary(c.Request().Context(), bq.Range.From, bq.Range.To)
	if err != nil {
		return err
	}
	w, err := streamCSV(c, csvFilename("vergeos_billing_summary", bq.Range), summaryCSVHeader)
	if err != nil {
		return err
	}
	return w.finish(w.row([]string{csvUnix(bq.Range.From.Unix()), csvUnix(bq.Range.To.Unix()), csvInt(s.RecordCount),
		csvFloat(s.AvgCPUUtilization), csvFloat(s.PeakCPUUtilization), csvInt(s.PeakCPUCores),
		csvFloat(s.AvgRAMUtilization), csvFloat(s.PeakRAMUtilization), csvFloat(s.PeakRAMGiB),
		csvFloat(s.AvgStorageUtilization), csvFloat(s.PeakStorageUtilization), csvFloat(s.AvgStorageUsedGiB), csvFloat(s.PeakStorageUsedGiB),
		csvFloat(s.AvgGPUUtilization), csvFloat(s.PeakGPUUtilization), csvFloat(s.AvgGPUsUsed), csvInt(s.TotalGPUs),
		csvFloat(s.AvgVGPUUtilization), csvFloat(s.PeakVGPUUtilization), csvFloat(s.AvgVGPUsUsed), csvInt(s.TotalVGPUs),
		csvUnix(s.FirstCreated), csvUnix(s.LastCreated)}))
}

func (h *Handler) handleBillingTiersCSV(c echo.Context) error {
	bq, err := h.parseBillingQuery(c.QueryParams())
	if err != nil {
		return err
	}
	s, err := h.Billing.BillingSummary(c.Request().Context(), bq.Range.From, bq.Range.To)
	if err != nil {
		return err
	}
	w, err := streamCSV(c, csvFilename("vergeos_billing_tiers", bq.Range), []string{"tier", "used_bytes", "total_bytes", "used_percent",
		"avg_used_bytes", "peak_used_bytes", "as_of_record_key", "as_of_record_created_utc"})
	if err != nil {
		return err
	}
	for i, t := range s.Tiers {
		if err := w.row([]string{strconv.Itoa(i), csvInt(t.Used), csvInt(t.Total), csvFloat(t.Percent),
			csvFloat(t.AvgUsed), csvInt(t.PeakUsed), s.Newest.Key, csvUnix(s.Newest.Created)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}

func (h *Handler) handleBillingUsageCSV(c echo.Context) error {
	bq, err := h.parseBillingQuery(c.QueryParams())
	if err != nil {
		return err
	}
	b := billing.BucketFor(bq.Range.From, bq.Range.To)
	series, err := h.Billing.BillingSeries(c.Request().Context(), bq.Range.From, bq.Range.To, b)
	if err != nil {
		return err
	}
	w, err := streamCSV(c, csvFilename("vergeos_billing_"+bucketLabels[b].Adjective, bq.Range), []string{string(b) + "_from_utc", "records",
		"avg_cpu_utilisation_percent", "peak_cpu_utilisation_percent", "avg_ram_utilisation_percent", "avg_gpu_utilisation_percent",
		"avg_vgpu_utilisation_percent", "avg_storage_utilisation_percent", "avg_storage_used_bytes", "avg_storage_total_bytes"})
	if err != nil {
		return err
	}
	for _, p := range series {
		if err := w.row([]string{csvUnix(p.Start.Unix()), csvInt(p.Records), csvFloat(p.CPU), csvFloat(p.PeakCPU), csvFloat(p.RAM),
			csvFloat(p.GPU), csvFloat(p.VGPU), csvFloat(p.Storage), csvFloat(p.StorageUsed), csvFloat(p.StorageTotal)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}

// recordsCSVHeader names every field of a record with its unit, then the
// shares the page shows.
var recordsCSVHeader = func() []string {
	h := []string{"key", "created_utc", "period_from_utc", "period_to_utc", "sent_utc", "description",
		"used_cores", "total_cores", "online_cores", "total_nodes", "online_nodes", "running_machines",
		"used_ram_mb", "total_ram_mb", "online_ram_mb", "phys_ram_used_bytes", "phys_vram_used_bytes", "phys_total_cpu_percent"}
	for i := range billing.Tiers {
		n := strconv.Itoa(i)
		h = append(h, "tier_"+n+"_used_bytes", "tier_"+n+"_total_bytes")
	}
	return append(h, "gpus_total", "gpus_in_use", "gpus_idle", "vgpus_total", "vgpus_in_use", "vgpus_idle",
		"workload_datapoints", "storage_datapoints", "storage_used_bytes", "storage_total_bytes",
		"cpu_utilisation_percent", "ram_utilisation_percent", "storage_utilisation_percent", "gpu_utilisation_percent",
		"vgpu_utilisation_percent", "reported")
}()

// recordCSVRow returns r's cells in recordsCSVHeader order in cells[:0].
func recordCSVRow(r *billing.Record, cells []string) []string {
	var b recordCells
	return b.row(r, cells)
}

// recordCells formats the cells of one record into one buffer, reused
// from row to row: a row of 46 cells costs one string, not one per number
// (the allocations were a fifth of a records CSV). The cells are the
// csvInt, csvUnix and csvFloat forms.
type recordCells struct {
	buf  []byte
	ends []int
}

func (b *recordCells) end()            { b.ends = append(b.ends, len(b.buf)) }
func (b *recordCells) str(s string)    { b.buf = append(b.buf, s...); b.end() }
func (b *recordCells) int(n int64)     { b.buf = strconv.AppendInt(b.buf, n, 10); b.end() }
func (b *recordCells) float(f float64) { b.buf = strconv.AppendFloat(b.buf, f, 'f', 4, 64); b.end() }
func (b *recordCells) unix(s int64) {
	if s != 0 {
		b.buf = time.Unix(s, 0).UTC().AppendFormat(b.buf, time.RFC3339)
	}
	b.end()
}

// row returns r's cells in recordsCSVHeader order in cells[:0].
func (b *recordCells) row(r *billing.Record, cells []string) []string {
	b.buf, b.ends = b.buf[:0], b.ends[:0]
	b.str(r.Key)
	b.unix(r.Created)
	b.unix(r.From)
	b.unix(r.To)
	b.unix(r.Sent)
	b.str(r.Description)
	for _, n := range []int64{r.UsedCores, r.TotalCores, r.OnlineCores, r.TotalNodes, r.OnlineNodes, r.RunningMachines,
		r.UsedRAM, r.TotalRAM, r.OnlineRAM, r.PhysRAMUsed, r.PhysVRAMUsed, r.PhysTotalCPU} {
		b.int(n)
	}
	for _, t := range r.Tiers {
		b.int(t.Used)
		b.int(t.Total)
	}
	for _, n := range []int64{r.GPUsTotal, r.GPUs, r.GPUsIdle, r.VGPUsTotal, r.VGPUs, r.VGPUsIdle,
		r.WorkloadDatapoints, r.StorageDatapoints, r.StorageUsed(), r.StorageTotal()} {
		b.int(n)
	}
	b.float(billing.Percent(r.UsedCores, r.TotalCores))
	b.float(billing.Percent(r.UsedRAM, r.TotalRAM))
	b.float(billing.Percent(r.StorageUsed(), r.StorageTotal()))
	b.float(billing.Percent(r.GPUs, r.GPUsTotal))
	b.float(billing.Percent(r.VGPUs, r.VGPUsTotal))
	b.str(strconv.FormatBool(r.Reported()))
	all := string(b.buf)
	cells = cells[:0]
	from := 0
	for _, e := range b.ends {
		cells = append(cells, all[from:e])
		from = e
	}
	return cells
}

// handleBillingRecordsCSV streams every record of the page's filters, in
// the table's order, straight from SQLite.
func (h *Handler) handleBillingRecordsCSV(c echo.Context) error {
	bq, err := h.parseBillingQuery(c.QueryParams())
	if err != nil {
		return err
	}
	f := bq.filter()
	f.Limit, f.Offset = 0, 0
	name := "vergeos_billing_records"
	if bq.Unsent {
		name += "_not_reported"
	}
	w, err := streamCSV(c, csvFilename(name, bq.Range), recordsCSVHeader)
	if err != nil {
		return err
	}
	cells := make([]string, 0, len(recordsCSVHeader))
	var b recordCells
	return w.finish(h.Billing.EachBillingRecord(c.Request().Context(), f, func(r *billing.Record) error {
		cells = b.row(r, cells)
		return w.row(cells)
	}))
}
