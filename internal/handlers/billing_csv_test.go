package handlers

import (
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/accounting-portal/portal/internal/billing"
)

// recordCSVRowOneByOne is the records CSV's row formatted cell by cell with
// the CSV helpers: what recordCells must write, byte for byte.
func recordCSVRowOneByOne(r *billing.Record) []string {
	cells := []string{r.Key, csvUnix(r.Created), csvUnix(r.From), csvUnix(r.To), csvUnix(r.Sent), r.Description,
		csvInt(r.UsedCores), csvInt(r.TotalCores), csvInt(r.OnlineCores), csvInt(r.TotalNodes), csvInt(r.OnlineNodes), csvInt(r.RunningMachines),
		csvInt(r.UsedRAM), csvInt(r.TotalRAM), csvInt(r.OnlineRAM), csvInt(r.PhysRAMUsed), csvInt(r.PhysVRAMUsed), csvInt(r.PhysTotalCPU)}
	for _, t := range r.Tiers {
		cells = append(cells, csvInt(t.Used), csvInt(t.Total))
	}
	return append(cells, csvInt(r.GPUsTotal), csvInt(r.GPUs), csvInt(r.GPUsIdle), csvInt(r.VGPUsTotal), csvInt(r.VGPUs), csvInt(r.VGPUsIdle),
		csvInt(r.WorkloadDatapoints), csvInt(r.StorageDatapoints), csvInt(r.StorageUsed()), csvInt(r.StorageTotal()),
		csvFloat(billing.Percent(r.UsedCores, r.TotalCores)), csvFloat(billing.Percent(r.UsedRAM, r.TotalRAM)),
		csvFloat(billing.Percent(r.StorageUsed(), r.StorageTotal())), csvFloat(billing.Percent(r.GPUs, r.GPUsTotal)),
		csvFloat(billing.Percent(r.VGPUs, r.VGPUsTotal)), strconv.FormatBool(r.Reported()))
}

// The records CSV formats a row into one reused buffer; every cell must be
// what the CSV helpers write, for records of every shape one after another
// (a longer row must not leave bytes behind for a shorter one).
func TestRecordCells_SameCellsAsTheCSVHelpers(t *testing.T) {
	long := billing.Record{Key: "rec-\"quoted\", with comma\nand line", Created: 1767225600, From: -86400, To: math.MaxInt32, Sent: 1,
		Description: "=SUM(A1)", UsedCores: math.MaxInt64, TotalCores: 3, OnlineCores: -7, UsedRAM: 1, TotalRAM: 3,
		GPUs: 2, GPUsTotal: 3, VGPUs: -1, VGPUsTotal: math.MinInt64, WorkloadDatapoints: 1440}
	for i := range long.Tiers {
		long.Tiers[i] = billing.Tier{Used: int64(i+1) << 40, Total: int64(i+1)<<44 + 12345}
	}
	records := []billing.Record{long, {}, {Key: "k", Created: 1, Sent: 0, UsedRAM: 2, TotalRAM: 3}, long}
	var b recordCells
	var cells []string
	for i, r := range records {
		cells = b.row(&r, cells)
		if want := recordCSVRowOneByOne(&r); !slices.Equal(cells, want) {
			t.Errorf("record %d:\n got %q\nwant %q", i, cells, want)
		}
		if len(cells) != len(recordsCSVHeader) {
			t.Errorf("record %d: %d cells for %d headers", i, len(cells), len(recordsCSVHeader))
		}
	}
}
