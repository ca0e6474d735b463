package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/clients/amie"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/usage"
)

// startUsagePortal starts a portal with the AMIE simulator only, synced once.
func startUsagePortal(t *testing.T, o apptest.Options) *apptest.Portal {
	t.Helper()
	o.Upstreams = []string{"amie"}
	return apptest.Start(t, o)
}

// postUsageUpload posts a usage file as the browser's form does.
func postUsageUpload(t *testing.T, b *apptest.Browser, typ, name, content string) *apptest.Response {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("csrf_token", b.CSRF())
	w.WriteField("type", typ)
	fw, _ := w.CreateFormFile("file", name)
	io.WriteString(fw, content)
	w.Close()
	return b.Do("POST", "/usage/upload", &body, w.FormDataContentType(), nil)
}

// usageJobs is a compute file of n records of the simulator's first project
// (neuro-sim, which the demo manager manages) by its members.
func usageJobs(p *apptest.Portal, prefix string, n int, start time.Time) string {
	proj := p.Sims.AMIE.Projects()[0]
	res := p.Sims.AMIE.Resources()[0]
	var b strings.Builder
	b.WriteString("Username,LocalProjectID,LocalRecordID,Resource,SubmitTime,StartTime,EndTime,Charge,NodeCount,CpuCoreCount,JobName\n")
	for i := range n {
		s := start.Add(time.Duration(i%3600) * time.Second).UTC()
		fmt.Fprintf(&b, "%s,%s,%s-%d,%s,%s,%s,%s,%d.%02d,1,64,job%d\n", proj.Members[i%len(proj.Members)], proj.LocalProjectID, prefix, i, res,
			s.Format(time.RFC3339), s.Add(time.Minute).Format(time.RFC3339), s.Add(31*time.Minute).Format(time.RFC3339), i%7, i%100, i)
	}
	return b.String()
}

func usageUploadID(t *testing.T, r *apptest.Response) int64 {
	t.Helper()
	loc := r.Header.Get("Location")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "/usage/uploads/") {
		t.Fatalf("upload answered %d %s: %s", r.Status, loc, usageProblems(r.Body))
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/usage/uploads/"), 10, 64)
	return id
}

var usageProblemRE = regexp.MustCompile(`<tr data-line="(\d+)" data-column="([^"]*)"><td class="num">\d+</td><td>[^<]*</td><td>([^<]*)</td>`)

// usageProblems lists an upload form's problems as "line|column|reason".
func usageProblems(body string) []string {
	var out []string
	for _, m := range usageProblemRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+"|"+m[2]+"|"+html.UnescapeString(m[3]))
	}
	return out
}

// uploadIn has the outbox deliver what is due and returns upload id,
// failing the test unless it is then in state.
func uploadIn(t *testing.T, p *apptest.Portal, id int64, state string) *usage.Upload {
	t.Helper()
	p.DeliverOutbox(t)
	up, err := p.App.DB.UsageUploadByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if up.State != state {
		t.Fatalf("upload %d is %s, want %s", id, up.State, state)
	}
	return up
}

// usageStatusCSV reads /usage.csv with a query into day|resource → loaded.
func usageStatusCSV(t *testing.T, b *apptest.Browser, query string) map[string]int64 {
	t.Helper()
	r := b.Get("/usage.csv?" + query)
	rows := usageReadCSV(t, r)
	out := map[string]int64{}
	for _, row := range rows[1:] {
		n, _ := strconv.ParseInt(row[2], 10, 64)
		out[row[0]+"|"+row[1]] = n
	}
	return out
}

func usageReadCSV(t *testing.T, r *apptest.Response) [][]string {
	t.Helper()
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV answered %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestUsage_ManagerUploadIsDeliveredAndCountsMove is the whole path: a
// manager uploads a clean file, it is delivered through the outbox, AMIE
// processes it, and after a sync the status page counts the records.
func TestUsage_ManagerUploadIsDeliveredAndCountsMove(t *testing.T) {
	t.Parallel()
	p := startUsagePortal(t, apptest.Options{})
	m := p.Login(t, "manager")
	res := p.Sims.AMIE.Resources()[0]
	today := usage.FormatDay(time.Now())
	before := usageStatusCSV(t, m, "range=24h&resource="+url.QueryEscape(res))[today+"|"+res]

	id := usageUploadID(t, postUsageUpload(t, m, "compute", "jobs.csv", usageJobs(p, "t1", 25, time.Now().Add(-3*time.Hour))))
	page := m.Get("/usage/uploads/" + fmt.Sprint(id))
	if page.Status != 200 || !strings.Contains(page.Body, "all 25 records were checked") {
		t.Fatalf("upload page %d", page.Status)
	}
	up := uploadIn(t, p, id, usage.UploadDelivered)
	if up.Accepted != 25 || up.Refused != 0 || up.ChunksDelivered != up.Chunks {
		t.Fatalf("delivered upload %+v", up)
	}
	if st, ok := p.Sims.AMIE.State("Compute", res, "t1-0"); !ok || st == "" {
		t.Fatalf("the simulator has no record t1-0")
	}
	p.Sims.AMIE.ProcessNow()
	p.SyncNow(t, "amie")
	after := usageStatusCSV(t, m, "range=24h&resource="+url.QueryEscape(res))[today+"|"+res]
	if after < before+25 {
		t.Errorf("today's loaded records on %s: %d before, %d after the upload of 25", res, before, after)
	}
	page = m.Get("/usage/uploads/" + fmt.Sprint(id))
	if strings.Contains(page.Body, `http-equiv="refresh"`) || !strings.Contains(page.Body, `data-testid="upload-accepted">25<`) {
		t.Errorf("delivered upload page still refreshes or does not show 25 accepted")
	}
	if !strings.Contains(page.Body, "request 1 of 1 (records 1–25) delivered: 25 records validated and queued") {
		t.Errorf("the history does not show the delivery")
	}
}

// TestUsage_UnansweredUploadIsSentAgainAndCountedOnce: AMIE takes the
// request but the answer never comes; the outbox sends the same request
// again after its look-up, and AMIE acknowledges the records as already
// received instead of counting them again.
func TestUsage_UnansweredUploadIsSentAgainAndCountedOnce(t *testing.T) {
	t.Parallel()
	p := startUsagePortal(t, apptest.Options{Env: map[string]string{"PORTAL_UPSTREAM_TIMEOUT": "3s"}})
	m := p.Login(t, "manager")
	p.Sims.AMIE.Faults().Set(fault.Fault{Mode: fault.Timeout, Method: "POST", PathPrefix: "/api/v1/usage", Count: 1, Delay: 30 * time.Second})
	id := usageUploadID(t, postUsageUpload(t, m, "compute", "jobs.csv", usageJobs(p, "t2", 4, time.Now().Add(-3*time.Hour))))
	ref := "usage_upload:" + fmt.Sprint(id)
	p.DeliverOutbox(t)
	if items, _ := p.App.DB.OutboxByRef(context.Background(), ref); len(items) != 1 || items[0].State != portal.OutboxVerify {
		t.Fatalf("the unanswered request is not waiting for its look-up: %+v", items)
	}
	if p.Sims.AMIE.Faults().Hits(fault.Timeout) != 1 {
		t.Fatal("the timeout fault was not hit")
	}
	// The look-up is due after the dispatcher's verify delay.
	p.Clock.Advance(p.App.Outbox.VerifyDelay + time.Second)
	up := uploadIn(t, p, id, usage.UploadDelivered)
	items, _ := p.App.DB.OutboxByRef(context.Background(), ref)
	if items[0].Attempts != 2 || !strings.Contains(items[0].Result, "4 already received, not counted again") {
		t.Fatalf("item %+v", items[0])
	}
	if up.Accepted != 4 {
		t.Errorf("upload %+v", up)
	}
	p.Sims.AMIE.ProcessNow()
	for i := range 4 {
		if st, ok := p.Sims.AMIE.State("Compute", p.Sims.AMIE.Resources()[0], fmt.Sprintf("t2-%d", i)); !ok || st != "loaded" {
			t.Errorf("record t2-%d: %q %v", i, st, ok)
		}
	}
	trail := m.Get("/usage/uploads/" + fmt.Sprint(id)).Body
	if !strings.Contains(trail, "already received, not counted again") {
		t.Errorf("the upload's history does not show the resend's answer")
	}
}

var usageFailedRowRE = regexp.MustCompile(`<tr data-id="(\d+)">`)

// TestUsage_AdminClearsFailedRecords clears two failed records: the
// request goes through the outbox, is confirmed by a re-read, and after
// the sync the records are gone and the day's failed count drops.
func TestUsage_AdminClearsFailedRecords(t *testing.T) {
	t.Parallel()
	p := startUsagePortal(t, apptest.Options{})
	a := p.Login(t, "admin")
	page := a.Get("/usage/failed?sort=id")
	ids := usageFailedRowRE.FindAllStringSubmatch(page.Body, 2)
	if len(ids) != 2 {
		t.Fatalf("failed page lists %d records", len(ids))
	}
	// Past days only: today's counts grow while the simulator's day goes on.
	days := "from=" + usage.FormatDay(time.Now().AddDate(0, 0, -90)) + "&to=" + usage.FormatDay(time.Now().AddDate(0, 0, -1))
	before := usageFailedTotal(t, a, days)
	form := url.Values{"csrf_token": {a.CSRF()}, "id": {ids[0][1], ids[1][1]}}
	r := a.PostRaw("/usage/failed/clear?sort=id", form, nil)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/usage/clears/") {
		t.Fatalf("clear answered %d %s", r.Status, r.Header.Get("Location"))
	}
	clearPage := r.Header.Get("Location")
	p.DeliverOutbox(t)
	c := a.Get(clearPage).Body
	if !strings.Contains(c, `data-state="delivered"`) {
		t.Fatal("the clear is not confirmed after its delivery")
	}
	if !strings.Contains(c, "2 records cleared; a re-read no longer lists them") || !strings.Contains(c, "queued → ") {
		t.Errorf("clear page does not show the confirmation and history")
	}
	clears := usageReadCSV(t, a.Get("/usage/clears.csv"))
	if len(clears) != 2 || clears[1][6] != ids[0][1]+" "+ids[1][1] || clears[1][4] != portal.OutboxDelivered {
		t.Errorf("clear requests CSV %v", clears)
	}
	if list := a.Get("/usage/clears?sort=-records"); !strings.Contains(list.Body, `href="`+clearPage+`"`) {
		t.Errorf("the clear requests page does not link %s", clearPage)
	}
	// Gone upstream ...
	cl, _ := amie.New(amie.Config{BaseURL: p.Sims.Info.AMIE.URL, Site: p.Sims.Info.AMIE.Site, APIKey: p.Sims.Info.AMIE.APIKey})
	left, err := cl.FailedRecords(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range left {
		if id := fmt.Sprint(f.FailedRecordID); id == ids[0][1] || id == ids[1][1] {
			t.Errorf("AMIE still lists %s", id)
		}
	}
	// ... and on the pages once the sync the clear triggered has run.
	p.TriggeredSync(t, "amie")
	page = a.Get("/usage/failed?sort=id")
	if strings.Contains(page.Body, `data-id="`+ids[0][1]+`"`) || strings.Contains(page.Body, `data-id="`+ids[1][1]+`"`) {
		t.Error("the cleared records are still listed")
	}
	if after := usageFailedTotal(t, a, days); after != before-2 {
		t.Errorf("failed records of past days: %d before, %d after clearing 2", before, after)
	}

	// A whole error group, within the page's filters, after a confirmation.
	proj := p.Sims.AMIE.Projects()[4].LocalProjectID
	filter := "project=" + proj + "&error=Unknown+user"
	group := len(usageFailedRowRE.FindAllStringSubmatch(a.Get("/usage/failed?size=500&"+filter).Body, -1))
	others := len(usageFailedRowRE.FindAllStringSubmatch(a.Get("/usage/failed?size=500&error=Unknown+user").Body, -1))
	if group == 0 || others <= group {
		t.Fatalf("%d records in the group, %d with the error", group, others)
	}
	confirm := a.PostRaw("/usage/failed/clear?"+filter, url.Values{"csrf_token": {a.CSRF()}, "group": {"Unknown user"}}, nil)
	if confirm.Status != 200 || !strings.Contains(confirm.Body, fmt.Sprintf("Clear %d failed records?", group)) {
		t.Fatalf("group clear without confirmation answered %d", confirm.Status)
	}
	r = a.PostRaw("/usage/failed/clear?"+filter, url.Values{"csrf_token": {a.CSRF()}, "group": {"Unknown user"}, "confirm": {"yes"}}, nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("confirmed group clear answered %d", r.Status)
	}
	p.DeliverOutbox(t)
	if !strings.Contains(a.Get(r.Header.Get("Location")).Body, `data-state="delivered"`) {
		t.Fatal("the group clear is not confirmed after its delivery")
	}
	if n := len(usageFailedRowRE.FindAllStringSubmatch(a.Get("/usage/failed?size=500&"+filter).Body, -1)); n != 0 {
		t.Errorf("%d records of the group are left", n)
	}
	if n := len(usageFailedRowRE.FindAllStringSubmatch(a.Get("/usage/failed?size=500&error=Unknown+user").Body, -1)); n != others-group {
		t.Errorf("%d records with the error are left, want %d (other projects' untouched)", n, others-group)
	}
	// Nothing selected: the page again, with the reason.
	r = a.PostRaw("/usage/failed/clear?sort=id", url.Values{"csrf_token": {a.CSRF()}}, nil)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Select at least one failed record") || !strings.Contains(r.Body, `href="/usage/failed.csv?sort=id"`) {
		t.Errorf("empty clear answered %d", r.Status)
	}
}

// usageFailedTotal reads the failed-records tile of /usage.
func usageFailedTotal(t *testing.T, b *apptest.Browser, query string) int64 {
	t.Helper()
	m := regexp.MustCompile(`data-testid="tile-failed"><h2>Records failed</h2><span class="big">([\d,]+)<`).FindStringSubmatch(b.Get("/usage?" + query).Body)
	if m == nil {
		t.Fatal("no failed tile")
	}
	n, _ := strconv.ParseInt(strings.ReplaceAll(m[1], ",", ""), 10, 64)
	return n
}
