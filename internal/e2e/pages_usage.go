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
