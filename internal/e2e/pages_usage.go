package e2e

import (
	"path/filepath"
	"strings"

	"github.com/chromedp/chromedp"
)

// UploadForm is the form to upload a CSV file of usage records.
type UploadForm struct{ b *Browser }

// UploadForm returns the upload form of the page shown.
func (b *Browser) UploadForm() UploadForm {
	b.t.Helper()
	b.WaitFor(`form[action="/usage/upload"]`)
	return UploadForm{b}
}

// Send chooses the record type ("compute", "storage", "adjustment") and
// the file, presses "Check and send", and returns the status of the page
// it leads to.
func (f UploadForm) Send(recordType, file string) int {
	f.b.t.Helper()
	abs, err := filepath.Abs(file)
	f.b.must(err, "find %s", file)
	f.b.must(f.b.do(chromedp.Click(chromedp.CSS(`input[name="type"][value="`+recordType+`"]`), chromedp.NodeVisible),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"][name="file"]`), []string{abs})), "choose %s records from %s", recordType, file)
	return f.b.Click(`form[action="/usage/upload"] button[type="submit"]`)
}

// Problems lists the refused file's problems as "line|column|reason".
func (f UploadForm) Problems() []string {
	f.b.t.Helper()
	var out []string
	for _, row := range f.b.Texts(`[data-testid="upload-problems"] tbody tr`) {
		out = append(out, strings.Join(strings.Fields(strings.ReplaceAll(row, "\t", "|")), " "))
	}
	return out
}

// UploadState is the state shown on an upload's page ("queued",
// "sending", "delivered", ...).
func (b *Browser) UploadState() string {
	b.t.Helper()
	return b.Text(`[data-testid="upload-state"] .badge`)
}

// OpenUsage follows the navigation to the usage status page.
func (b *Browser) OpenUsage() {
	b.t.Helper()
	if st := b.GoTo("Usage"); st != 200 {
		b.t.Fatalf("e2e: Usage answered %d (at %s)", st, b.URL())
	}
	b.WaitFor(`[data-testid="usage-status-table"]`)
}

// UsageStatusCSV is the status table (records per day and resource) and its download.
var UsageStatusCSV = CSVTable{Table: `[data-testid="usage-status-table"]`, Link: `[data-testid="csv-link"]`, Count: `[data-testid="row-count"]`,
	File: "usage_status_", Cols: []Col{
		{Screen: "Day (UTC)", Show: Field("day_utc")},
		{Screen: "Resource", Show: Field("resource")},
		{Screen: "Loaded records", Show: Grouped("loaded_records")},
		{Screen: "Failed records", Show: Grouped("failed_records")},
		{Screen: "Total charge (allocation units)", Show: Grouped("total_charge_allocation_units")},
	}}

// FailedRecordsCSV is the failed records table (grouped by error) and its download.
var FailedRecordsCSV = CSVTable{Table: `[data-testid="failed-table"]`, Link: `[data-testid="csv-link"]`, Count: `[data-testid="row-count"]`,
	File: "usage_failed_records", Cols: []Col{
		{Screen: "FailedRecordID", Show: Field("failed_record_id")},
		{Screen: "Type", Show: Field("usage_type")},
		{Screen: "Resource", Show: Field("resource")},
		{Screen: "Project", Show: Field("local_project_id"), Prefix: true}, // then the portal's name of it
		{Screen: "LocalRecordID", Show: Field("local_record_id")},
		{Screen: "User", Show: Field("username")},
		{Screen: "Start (UTC)", Show: UTC("start_utc", Second)},
		{Screen: "End (UTC)", Show: UTC("end_utc", Second)},
		{Screen: "Charge (allocation units)", Show: Grouped("charge_allocation_units"), Prefix: true}, // then its problems
	}}
