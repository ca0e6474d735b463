package e2e

import (
	"strconv"
	"time"
)

// Page objects of the billing area (VergeOS): the billing page with its
// summary, charts and records.

// Billing is the billing page (/billing).
type Billing struct{ b *Browser }

// OpenBilling follows the navigation to the billing page.
func (b *Browser) OpenBilling() Billing {
	b.t.Helper()
	if st := b.GoTo("Billing"); st != 200 {
		b.t.Fatalf("e2e: Billing answered %d (at %s)", st, b.URL())
	}
	b.WaitFor(`[data-testid="billing-records"]`)
	return Billing{b}
}

// Records is the number of records the page counts in the range.
func (p Billing) Records() string { return p.b.Text(`[data-testid="tile-records"]`) }

// Charts is the number of charts drawn.
func (p Billing) Charts() int { return p.b.Count(`figure.chart svg`) }

// BillingRecordsCSV is the records table and its download.
var BillingRecordsCSV = CSVTable{Table: `[data-testid="billing-records"]`, Link: `#records [data-testid="csv-link"]`,
	Count: `#records [data-testid="row-count"]`, File: "vergeos_billing_records_", Cols: []Col{
		{Screen: "Record", Show: Field("key")},
		{Screen: "Period (UTC)", Show: billingPeriod},
		{Screen: "Written (UTC)", Show: UTC("created_utc", "2006-01-02 15:04:05")},
		{Screen: "CPU", Show: Join(" ", Percent("cpu_utilisation_percent"), Join("/", Grouped("used_cores"), Grouped("total_cores")))},
		{Screen: "RAM", Show: Percent("ram_utilisation_percent")},
		{Screen: "Storage used", Show: bytesShown("storage_used_bytes")},
		{Screen: "GPUs in use", Show: Join("/", Grouped("gpus_in_use"), Grouped("gpus_total"))},
		{Screen: "vGPUs in use", Show: Join("/", Grouped("vgpus_in_use"), Grouped("vgpus_total"))},
		{Screen: "Reported (UTC)", Show: func(r CSVRow) string {
			if r["sent_utc"] == "" {
				return "not reported"
			}
			return UTC("sent_utc", "2006-01-02 15:04:05")(r)
		}},
	}}

// billingPeriod shows a record's period as "2026-03-09 14:00 → 15:00",
// with the end's date only when it is another day.
func billingPeriod(r CSVRow) string {
	from, err1 := time.Parse(time.RFC3339, r["period_from_utc"])
	to, err2 := time.Parse(time.RFC3339, r["period_to_utc"])
	if err1 != nil || err2 != nil {
		return "(unreadable period)"
	}
	from, to = from.UTC(), to.UTC()
	end := to.Format("15:04")
	if from.Format("2006-01-02") != to.Format("2006-01-02") {
		end = to.Format("2006-01-02 15:04")
	}
	return from.Format("2006-01-02 15:04") + " → " + end
}

// bytesShown shows a byte count in binary units with two decimals, GiB
// at the smallest, as the billing pages do ("192.29 TiB").
func bytesShown(name string) func(CSVRow) string {
	return func(r CSVRow) string {
		n, err := strconv.ParseFloat(r[name], 64)
		if err != nil {
			return "(not a number: " + r[name] + ")"
		}
		unit, div := "GiB", float64(1<<30)
		switch a := max(n, -n); {
		case a >= 1<<50:
			unit, div = "PiB", 1<<50
		case a >= 1<<40:
			unit, div = "TiB", 1<<40
		}
		return strconv.FormatFloat(n/div, 'f', 2, 64) + " " + unit
	}
}
