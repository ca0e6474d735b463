package templates

import (
	"context"
	"io"
	"strconv"
	"time"
)

// VergeOS reports RAM in MB (MiB: the SDKs' "GB" is MB/1024) and storage in
// bytes. The portal keeps those units and converts only here, for people:
// binary units, labelled GiB/TiB/PiB, which is what they are.
const (
	bytesPerMB  = int64(1) << 20
	bytesPerGiB = int64(1) << 30
	bytesPerTiB = int64(1) << 40
	bytesPerPiB = int64(1) << 50
)

// FormatBytes prints a byte count in the largest binary unit that keeps it
// at least 1 (GiB at the smallest, two decimals): "0.50 GiB", "1.25 TiB".
func FormatBytes(b int64) string { return FormatBytesF(float64(b)) }

// FormatBytesF is FormatBytes for a mean or other fractional byte count.
func FormatBytesF(b float64) string {
	unit, div := "GiB", float64(bytesPerGiB)
	switch a := abs(b); {
	case a >= float64(bytesPerPiB):
		unit, div = "PiB", float64(bytesPerPiB)
	case a >= float64(bytesPerTiB):
		unit, div = "TiB", float64(bytesPerTiB)
	}
	return Group(strconv.FormatFloat(noNegZero(b/div, 2), 'f', 2, 64)) + " " + unit
}

// FormatMB prints a VergeOS RAM figure (MB) in binary units: 65536 → "64.00 GiB".
func FormatMB(mb int64) string { return FormatBytes(mb * bytesPerMB) }

// FormatGiB prints a figure already in GiB (the SDK summary's unit).
func FormatGiB(gib float64) string { return FormatBytesF(gib * float64(bytesPerGiB)) }

// TiB converts bytes to TiB (the storage chart's unit).
func TiB(b float64) float64 { return b / float64(bytesPerTiB) }

// FormatUnix prints Unix seconds like FormatSeconds; 0 is "—".
func FormatUnix(s int64) string {
	if s == 0 {
		return "—"
	}
	return FormatSeconds(time.Unix(s, 0))
}

// FormatUnixShort prints Unix seconds without the zone, for table cells
// whose header says UTC; 0 is "—".
func FormatUnixShort(s int64) string {
	if s == 0 {
		return "—"
	}
	return time.Unix(s, 0).UTC().Format("2006-01-02 15:04:05")
}

// FormatPeriodShort is FormatPeriod without the zone, for table cells.
func FormatPeriodShort(from, to int64) string {
	p := FormatPeriod(from, to)
	return p[:len(p)-len(" UTC")]
}

// BucketLabel names a chart bucket: "day", "Day", "daily".
type BucketLabel struct{ Noun, Title, Adjective string }

// FormatPeriod prints a billed period "2026-03-09 14:00 → 15:00 UTC",
// repeating the date only when the period ends on another day.
func FormatPeriod(from, to int64) string {
	f, t := time.Unix(from, 0).UTC(), time.Unix(to, 0).UTC()
	end := t.Format("15:04")
	if f.Format("2006-01-02") != t.Format("2006-01-02") {
		end = t.Format("2006-01-02 15:04")
	}
	return f.Format("2006-01-02 15:04") + " → " + end + " UTC"
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// BillingRecordRow is one billing record, in VergeOS's units (formatted in
// the template).
type BillingRecordRow struct {
	Key, Href                                string
	Created, From, To, Sent                  int64
	Description                              string
	UsedCores, TotalCores, OnlineCores       int64
	TotalNodes, OnlineNodes, RunningMachines int64
	UsedRAM, TotalRAM, OnlineRAM             int64 // MB
	PhysRAMUsed, PhysVRAMUsed                int64 // bytes
	PhysTotalCPU                             int64 // percent
	Tiers                                    [6]BillingTierRow
	StorageUsed, StorageTotal                int64 // bytes
	GPUsTotal, GPUs, GPUsIdle                int64
	VGPUsTotal, VGPUs, VGPUsIdle             int64
	WorkloadDatapoints, StorageDatapoints    int64
	CPUPercent, RAMPercent, StoragePercent   float64
	GPUPercent, VGPUPercent                  float64
	SyncedAt                                 time.Time
}

// Reported reports whether VergeOS has sent the record.
func (r BillingRecordRow) Reported() bool { return r.Sent != 0 }

// BillingTierRow is one storage tier: capacity and use in bytes.
type BillingTierRow struct {
	Tier                  int
	Used, Total, PeakUsed int64
	AvgUsed, Percent      float64
}

// Present reports whether the system has this tier.
func (t BillingTierRow) Present() bool { return t.Total != 0 || t.Used != 0 }

// BillingSummaryView is the SDK-style summary of a period.
type BillingSummaryView struct {
	Records                            int64
	AvgCPU, PeakCPU                    float64 // percent
	PeakCores                          int64
	AvgRAM, PeakRAM                    float64 // percent
	PeakRAMGiB                         float64
	AvgStorageGiB, PeakStorageGiB      float64
	AvgStorage, PeakStorage            float64 // percent
	TotalGPUs, TotalVGPUs              int64
	AvgGPUs, AvgVGPUs                  float64
	AvgGPU, PeakGPU, AvgVGPU, PeakVGPU float64 // percent
	FirstCreated, LastCreated          int64
}

// BillingReconcileView is the reconciliation panel.
type BillingReconcileView struct {
	Unsent     int64
	UnsentHref string
	Gaps       int64
	Missing    time.Duration
	First      []BillingGapRow
	Overlaps   int64
	LastTo     time.Time
	Now        time.Time
}

// BillingGapRow is a stretch no record covers.
type BillingGapRow struct{ From, To time.Time }

// BillingChartRow is one chart bucket, for the table under the charts.
type BillingChartRow struct {
	Start                     time.Time
	Records                   int64
	CPU, RAM, GPU, VGPU       float64 // mean percent
	StorageUsed, StorageTotal float64 // mean bytes
}

// BillingRecordRows are the rows of the records table, as a component.
// Kept renders them once, for a page of records kept between requests.
type BillingRecordRows struct {
	List []BillingRecordRow
	html keptHTML
}

// Render writes the rows: as they were rendered when kept.
func (r BillingRecordRows) Render(ctx context.Context, w io.Writer) error {
	return r.html.render(ctx, w, billingRecordRows(r.List))
}

// Kept returns the rows with their rendering kept.
func (r BillingRecordRows) Kept() BillingRecordRows {
	r.html = ""
	r.html = keep(billingRecordRows(r.List))
	return r
}

// BillingChartRows are the rows of the table under the charts, as a
// component. Kept renders them once, for rows kept between requests.
type BillingChartRows struct {
	List []BillingChartRow
	html keptHTML
}

// Render writes the rows: as they were rendered when kept.
func (r BillingChartRows) Render(ctx context.Context, w io.Writer) error {
	return r.html.render(ctx, w, billingChartRows(r.List))
}

// Kept returns the rows with their rendering kept.
func (r BillingChartRows) Kept() BillingChartRows {
	r.html = ""
	r.html = keep(billingChartRows(r.List))
	return r
}

// GenerateRow is one request to generate a billing record.
type GenerateRow struct {
	ID, Href           string
	RequestedBy        string
	RequestedAt        time.Time
	Note, State, Error string
	SettledAt          time.Time
}

// GenerateForm is the admin's generate form with its input and errors.
type GenerateForm struct {
	Note      string
	NoteError string
	// Error is a problem with the request as a whole (one is still on its way).
	Error  string
	Hidden []Hidden
}

// BillingView is the billing page.
type BillingView struct {
	Page
	// NoData, when set, says the range holds no records and where they
	// are; the page then shows no figures.
	NoData      string
	Range       TimeRangeView
	From, To    time.Time
	Bucket      BucketLabel
	Summary     BillingSummaryView
	SummaryCSV  string
	Charts      []ChartView
	ChartRows   BillingChartRows
	ChartCSV    string
	Tiers       []BillingTierRow
	TiersCSV    string
	Latest      *BillingRecordRow
	Reconcile   BillingReconcileView
	Records     BillingRecordRows
	Headers     []SortHeader
	Pager       PagerView
	Total       int64
	RecordsCSV  string
	Unsent      bool
	AllHref     string
	UnsentHref  string
	CanGenerate bool
	Generate    GenerateForm
	Requests    []GenerateRow
}

// BillingRecordView is one billing record's page.
type BillingRecordView struct {
	Page
	Record  BillingRecordRow
	CSVHref string
}

// GenerateListView is the list of generate requests (admin).
type GenerateListView struct {
	Page
	Rows    []GenerateRow
	Headers []SortHeader
	Pager   PagerView
	Total   int64
	CSVHref string
}

// GenerateItemView is one generate request's page.
type GenerateItemView struct {
	Page
	Request     GenerateRow
	OutboxHref  string
	Attempts    int
	NextAttempt time.Time
	SentAt      time.Time
	ActionKey   string
	Pending     bool
	// NewRecord is the first record VergeOS wrote after the request was
	// sent (once synced); Since lists the records written since, for an
	// admin settling an unknown outcome.
	NewRecord *BillingRecordRow
	Since     []BillingRecordRow
	Trail     []AuditRow
	Now       time.Time
}
