package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/usage"
)

// plannedUsage is the cache as the upload sees it, planning requests the
// way the AMIE client does.
type plannedUsage struct{ *cache.DB }

func (plannedUsage) PlanUsage(typ string, recs []usage.Record) ([]usage.Chunk, error) {
	chunks, err := usageGreedyPlan(768<<10)(typ, recs)
	for i := range chunks {
		chunks[i].Body = []byte(`{"UsageType":"` + typ + `"}`)
	}
	return chunks, err
}

func postUpload(t *testing.T, h *Handler, file string, form url.Values) (int, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	w.WriteField("type", "compute")
	for k, vs := range form {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	fw, _ := w.CreateFormFile("file", "jobs.csv")
	fw.Write([]byte(file))
	w.Close()
	req := httptest.NewRequest(http.MethodPost, "/usage/upload", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	rec := serveHandler(t, h, h.handleUpload, pagesAdmin, req)
	return rec.Code, html.UnescapeString(rec.Body.String())
}

var confirmOldBox = regexp.MustCompile(`name="confirm_old" value="([^"]*)"`)

// TestUpload_OldRecordsAskToConfirm: a file with records older than the
// configured age comes back with a warning naming the oldest record and a
// box to confirm, and nothing is stored; with the box ticked it is sent.
// The box confirms records back to the oldest it named, not a file with
// an older one; with the setting at 0 nothing is asked.
func TestUpload_OldRecordsAskToConfirm(t *testing.T) {
	ctx := context.Background()
	h, db := pagesHandler(t)
	h.Usage = plannedUsage{db}
	h.ConfirmOlderThan = 365 * 24 * time.Hour
	old := strings.NewReplacer("2026-11-01T10:0", "1999-03-04T10:0", "2026-11-01T11:05", "1999-03-04T11:05")
	file := usageComputeHeader + usageComputeRow("recent") + old.Replace(usageComputeRow("j-1999")) +
		strings.ReplaceAll(old.Replace(usageComputeRow("j-1999b")), "1999-03-04", "1999-05-06")
	uploads := func() int64 {
		t.Helper()
		_, n, err := db.ListUsageUploads(ctx, usage.UploadFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	st, body := postUpload(t, h, file, nil)
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="old-warning"`) {
		t.Fatalf("an old file: %d\n%s", st, body)
	}
	for _, want := range []string{"jobs.csv has 2 records that start more than 365 days ago", "the oldest (line 3, LocalRecordID j-1999) starts 1999-03-04 10:05:00 UTC",
		"Tick the box and choose the file again"} {
		if !strings.Contains(body, want) {
			t.Errorf("the warning lacks %q", want)
		}
	}
	box := confirmOldBox.FindStringSubmatch(body)
	if box == nil || box[1] != "1999-03-04T10:05:00Z" || uploads() != 0 {
		t.Fatalf("confirm box %q, %d uploads stored", box, uploads())
	}

	// A file with a record older still is not covered by that box.
	older := strings.ReplaceAll(file, "1999-05-06", "1998-01-01")
	if st, body := postUpload(t, h, older, url.Values{"confirm_old": {box[1]}}); st != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "starts 1998-01-01 10:05:00 UTC") || uploads() != 0 {
		t.Errorf("an older file with the box ticked: %d, %d uploads", st, uploads())
	}
	if st, body := postUpload(t, h, file, url.Values{"confirm_old": {box[1]}}); st != http.StatusSeeOther || uploads() != 1 {
		t.Fatalf("confirmed: %d, %d uploads\n%s", st, uploads(), body)
	}
	// Recent records are not asked about, nor anything with the setting off.
	if st, _ := postUpload(t, h, usageComputeHeader+usageComputeRow("fresh"), nil); st != http.StatusSeeOther {
		t.Errorf("a recent file: %d", st)
	}
	h.ConfirmOlderThan = 0
	if st, _ := postUpload(t, h, strings.ReplaceAll(file, "j-1999", "k-1999"), nil); st != http.StatusSeeOther || uploads() != 3 {
		t.Errorf("with the setting at 0: %d, %d uploads", st, uploads())
	}
}

// TestPush_OldPeriodAsksToConfirm: a push for a period older than the
// configured age comes back with a warning and a box, the banner saying
// what to do, every field kept and nothing queued; ticked, it is queued.
func TestPush_OldPeriodAsksToConfirm(t *testing.T) {
	ctx := context.Background()
	h, db := pagesHandler(t)
	h.ConfirmOlderThan = 365 * 24 * time.Hour
	const inst, def = pushInstallation, pushDefinition
	plantInstallation(t, db)
	push := func(form url.Values) (int, string) {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/metrics/installations/"+inst+"/push", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := serveHandler(t, h, h.handlePushSubmit, pagesAdmin, req, "id", inst)
		return w.Code, html.UnescapeString(w.Body.String())
	}
	form := url.Values{"definition": {def}, "value": {"12"}, "start": {"2019-03-01T10:00"}, "end": {"2019-03-01T11:00"}, "user_id": {"asmith"}}
	st, body := push(form)
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "The period starts 2019-03-01 10:00 UTC, more than 365 days ago") ||
		!strings.Contains(body, "its period starts more than 365 days ago. Tick the box below to push it anyway.") ||
		!strings.Contains(body, `value="asmith"`) || !strings.Contains(body, `aria-describedby="p-confirm-old-error"`) {
		t.Fatalf("an old period: %d\n%s", st, body)
	}
	if _, n, _ := db.MetricPushes(ctx, metrics.PushQuery{Limit: 10}); n != 0 {
		t.Fatalf("%d pushes queued before the confirmation", n)
	}
	form.Set("confirm_old", "1")
	if st, body := push(form); st != http.StatusSeeOther {
		t.Fatalf("confirmed: %d\n%s", st, body)
	}
	recent := url.Values{"definition": {def}, "value": {"12"}, "start": {"2026-11-19T10:00"}, "end": {"2026-11-19T11:00"}}
	if st, body := push(recent); st != http.StatusSeeOther {
		t.Errorf("a recent period: %d\n%s", st, body)
	}
}

const pushInstallation, pushDefinition = "inst-1", "def-cpu"

// plantInstallation stores one ARGO installation with one definition.
func plantInstallation(t *testing.T, db *cache.DB) {
	t.Helper()
	ctx := context.Background()
	sync, err := db.BeginArgoSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertArgoEntities(ctx, sync.Generation, metrics.Entities{Projects: []metrics.Project{{ID: "A"}},
		Providers: []metrics.Provider{{ID: "p1"}}, Definitions: []metrics.Definition{{ID: pushDefinition, Name: "cpu_hours", UnitType: "CPU Time", MetricType: "aggregated"}},
		Installations: []metrics.Installation{{ID: pushInstallation, ProjectID: "A", ProviderID: "p1", Name: "alpha-hpc"}}}); err != nil {
		t.Fatal(err)
	}
}

// TestAPI_OldRecordsAskToConfirm: the API's upload and push refuse old
// records and periods as the forms do, with 422, the field confirm_old
// naming the oldest record and what to send, and nothing stored; with
// confirm_old true they are accepted. The answers' figures are plain.
func TestAPI_OldRecordsAskToConfirm(t *testing.T) {
	ctx := context.Background()
	h, db := pagesHandler(t)
	h.Usage = plannedUsage{db}
	h.ConfirmOlderThan = 365 * 24 * time.Hour
	plantInstallation(t, db)
	invalid := func(w *httptest.ResponseRecorder) APIInvalidBody {
		t.Helper()
		var out APIInvalid
		if w.Code != http.StatusUnprocessableEntity || json.Unmarshal(w.Body.Bytes(), &out) != nil {
			t.Fatalf("want 422 with the fields: %d %s", w.Code, w.Body)
		}
		return out.Error
	}

	upload := func(file, confirm string) *httptest.ResponseRecorder {
		t.Helper()
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		w.WriteField("type", "compute")
		if confirm != "" {
			w.WriteField("confirm_old", confirm)
		}
		fw, _ := w.CreateFormFile("file", "jobs.csv")
		fw.Write([]byte(file))
		w.Close()
		req := httptest.NewRequest(http.MethodPost, APIBase+"/usage/uploads", &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return serveHandler(t, h, h.handleAPIUpload, pagesAdmin, req)
	}
	uploads := func() int64 {
		t.Helper()
		_, n, err := db.ListUsageUploads(ctx, usage.UploadFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var rows strings.Builder
	rows.WriteString(usageComputeHeader)
	for i := range 1200 {
		rows.WriteString(strings.ReplaceAll(usageComputeRow("j-"+strconv.Itoa(i)), "2026-11-01", "1999-03-04"))
	}
	file := rows.String()
	got := invalid(upload(file, ""))
	for _, want := range []string{"jobs.csv has 1200 records that start more than 365 days ago", "the oldest (line 2, LocalRecordID j-0)",
		"Send confirm_old=true"} {
		if !strings.Contains(got.Fields["confirm_old"], want) || !strings.Contains(got.Message, want) {
			t.Errorf("the refusal lacks %q: %+v", want, got)
		}
	}
	if uploads() != 0 {
		t.Fatalf("%d uploads stored before the confirmation", uploads())
	}
	if w := upload(file, "false"); w.Code != http.StatusUnprocessableEntity || uploads() != 0 {
		t.Fatalf("confirm_old=false: %d, %d uploads", w.Code, uploads())
	}
	w := upload(file, "true")
	var written APIWritten
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &written) != nil || uploads() != 1 {
		t.Fatalf("confirmed: %d %s, %d uploads", w.Code, w.Body, uploads())
	}
	if !strings.HasPrefix(written.Summary, "1200 records checked") {
		t.Errorf("the summary's count is not plain: %q", written.Summary)
	}

	push := func(body string) *httptest.ResponseRecorder {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, APIBase+"/metrics/installations/"+pushInstallation+"/pushes", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return serveHandler(t, h, h.handleAPIPush, pagesAdmin, req, "id", pushInstallation)
	}
	fields := `"definition": "` + pushDefinition + `", "value": "1234567.5", "start": "2019-03-01T10:00", "end": "2019-03-01T11:00"`
	got = invalid(push("{" + fields + "}"))
	if want := "The period starts more than 365 days ago. Send confirm_old: true to push it anyway."; got.Fields["confirm_old"] != want ||
		!strings.HasPrefix(got.Message, "The metric was not pushed: confirm_old: ") || len(got.Fields) != 1 {
		t.Errorf("an old period: %+v", got)
	}
	if _, n, _ := db.MetricPushes(ctx, metrics.PushQuery{Limit: 10}); n != 0 {
		t.Fatalf("%d pushes queued before the confirmation", n)
	}
	if w := push("{" + fields + `, "confirm_old": true}`); w.Code != http.StatusCreated {
		t.Fatalf("confirmed: %d %s", w.Code, w.Body)
	}
	if w := push(`{"definition": "` + pushDefinition + `", "value": "1", "start": "2026-11-19T10:00", "end": "2026-11-19T11:00"}`); w.Code != http.StatusCreated {
		t.Errorf("a recent period: %d %s", w.Code, w.Body)
	}
}
