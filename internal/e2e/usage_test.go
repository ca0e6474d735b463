package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// usageFile writes a compute file of the demo manager's first project
// (n records by its members) and returns its path.
func usageFile(t *testing.T, name string, n int, edit func(i int, row []string)) string {
	t.Helper()
	w := world.New(Seed, 1)
	p := w.Projects[0]
	day := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Hour)
	rows := []string{"Username,LocalProjectID,LocalRecordID,Resource,SubmitTime,StartTime,EndTime,Charge"}
	for i := range n {
		s := day.Add(time.Duration(i) * time.Minute)
		row := []string{w.Usernames[i%4], p.AMIEID, fmt.Sprintf("%s-%d-%d", name, time.Now().UnixNano(), i), w.Resources[0].Name,
			s.Format(time.RFC3339), s.Format(time.RFC3339), s.Add(30 * time.Minute).Format(time.RFC3339), fmt.Sprintf("%d.5", i+1)}
		if edit != nil {
			edit(i, row)
		}
		rows = append(rows, strings.Join(row, ","))
	}
	path := filepath.Join(t.TempDir(), name+".csv")
	if err := os.WriteFile(path, []byte(strings.Join(rows, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestManager_UploadsUsageRecords: a manager opens Usage, sends a file
// with a mistake (refused whole, the line named), then the corrected file,
// and watches its page until AMIE has it.
func TestManager_UploadsUsageRecords(t *testing.T) {
	b := env.Browser(t)
	b.SignIn("manager", "/")
	if st := b.GoTo("Usage"); st != 200 || b.Heading() != "Usage" {
		t.Fatalf("usage page: %d %q", st, b.Heading())
	}
	if !b.Has(`figure.chart svg rect`) || b.Count(`[data-testid="usage-status-table"] tbody tr`) == 0 {
		t.Error("the status page has no chart bars or no rows")
	}
	if st := b.Click(`a[href="/usage/upload"]`); st != 200 || b.Heading() != "Upload usage records" {
		t.Fatalf("upload form: %d %q", st, b.Heading())
	}
	bad := usageFile(t, "bad", 3, func(i int, row []string) {
		if i == 1 {
			row[6] = "2020-01-01T00:00:00Z" // ends before it starts
		}
	})
	if st := b.UploadForm().Send("compute", bad); st != 422 {
		t.Fatalf("a bad file answered %d", st)
	}
	if p := b.UploadForm().Problems(); len(p) != 1 || !strings.HasPrefix(p[0], "3 EndTime") {
		t.Errorf("problems %q, want one on line 3, EndTime", p)
	}
	good := usageFile(t, "good", 3, nil)
	if st := b.UploadForm().Send("compute", good); st != 200 || !strings.HasPrefix(b.Path(), "/usage/uploads/") {
		t.Fatalf("a clean file answered %d at %s", st, b.Path())
	}
	page := b.Path()
	deadline := time.Now().Add(30 * time.Second)
	for b.UploadState() != "delivered" {
		if time.Now().After(deadline) {
			t.Fatalf("the upload is still %q", b.UploadState())
		}
		time.Sleep(500 * time.Millisecond)
		b.Open(page)
	}
	if got := b.Text(`[data-testid="upload-accepted"]`); got != "3" {
		t.Errorf("accepted %q, want 3", got)
	}
	if b.Count(`[data-testid="upload-records"] tbody tr`) != 3 {
		t.Error("the upload's page does not list its 3 records")
	}
}
