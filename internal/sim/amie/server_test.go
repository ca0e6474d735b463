package amie

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// testSim is a simulator without history on a settable clock.
type testSim struct {
	*Server
	clk *clock
}

func newTestSim(t testing.TB) *testSim {
	t.Helper()
	clk := &clock{t: time.Date(2024, 5, 3, 12, 0, 0, 0, time.UTC)}
	return &testSim{New(Options{World: world.New(1, 1), Now: clk.Now, ProcessDelay: time.Minute, HistoryDays: -1}), clk}
}

// call serves one request and returns the status and body.
func (s *testSim) call(method, path, body string) (int, string) {
	req := httptest.NewRequest(method, BasePath+path, strings.NewReader(body))
	req.Header.Set("XA-SITE", s.Site())
	req.Header.Set("XA-API-KEY", s.APIKey())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// compute is a valid compute record of the first world project with the given overrides.
func (s *testSim) compute(id string, over map[string]any) map[string]any {
	p := s.Projects()[0]
	r := map[string]any{"Username": p.Members[0], "LocalProjectID": p.LocalProjectID, "LocalRecordID": id,
		"Resource": s.Resources()[0], "SubmitTime": "2024-05-01T10:00:00Z", "StartTime": "2024-05-01T10:05:00Z",
		"EndTime": "2024-05-01T11:05:00Z", "Charge": "2.5", "Attributes": map[string]any{"NodeCount": "1"}, "ParentRecordID": []any{nil}}
	for k, v := range over {
		if v == nil {
			delete(r, k)
		} else {
			r[k] = v
		}
	}
	return r
}

func message(typ string, recs ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"UsageType": typ, "Records": recs})
	return string(b)
}

type sendAnswer struct {
	Message                 string
	ValidationFailedRecords []map[string]any
}

func (s *testSim) send(t *testing.T, typ string, recs ...map[string]any) sendAnswer {
	t.Helper()
	code, body := s.call("POST", "/usage/", message(typ, recs...))
	if code != 200 {
		t.Fatalf("POST: %d %s", code, body)
	}
	if p := checkReply("POST", "usage/", code, []byte(body)); len(p) > 0 && typ != "Storage" {
		t.Fatalf("reply shape: %v\n%s", p, body)
	}
	var a sendAnswer
	json.Unmarshal([]byte(body), &a)
	return a
}

type statusRow struct {
	Resource          string
	LoadedRecordCount int
	FailedJobCount    int
	TotalCharge       string
	Errors            []struct {
		Error, UsageType string
		Records          []map[string]any
	}
}

func (s *testSim) status(t *testing.T, query string) []statusRow {
	t.Helper()
	code, body := s.call("GET", "/usage/status"+query, "")
	if code != 200 {
		t.Fatalf("status: %d %s", code, body)
	}
	var rows []statusRow
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestSend_ValidationFailuresAreReportedPerRecord(t *testing.T) {
	s := newTestSim(t)
	cases := map[string]map[string]any{
		"Missing Username":                                  {"Username": nil},
		"Missing EndTime":                                   {"EndTime": ""},
		"Missing Charge":                                    {"Charge": nil, "charge": "2.5"}, // keys are case-sensitive
		"Unknown LocalProjectID":                            {"LocalProjectID": "TG-NOPE"},
		"Unknown Resource":                                  {"Resource": "nowhere.example.org"},
		"EndTime is before StartTime":                       {"EndTime": "2024-05-01T10:00:00Z"},
		"Charge is not a number":                            {"Charge": "12 SU"},
		"Charge must not be negative":                       {"Charge": -1},
		"StartTime is not an ISO 8601 time":                 {"StartTime": "yesterday"},
		"Username must be a string or a number":             {"Username": true},
		"Attributes must be an object":                      {"Attributes": "1 node"},
		"Attributes.NodeCount is not a non-negative number": {"Attributes": map[string]any{"NodeCount": "one"}},
	}
	var recs []map[string]any
	var want []string
	for msg, over := range cases {
		recs = append(recs, s.compute(fmt.Sprintf("v%d", len(recs)), over))
		want = append(want, msg)
	}
	recs = append(recs, s.compute("ok", nil))
	a := s.send(t, "Compute", recs...)
	if a.Message != fmt.Sprintf("1 records validated and queued, %d failed validation", len(cases)) {
		t.Fatalf("message %q", a.Message)
	}
	for i, f := range a.ValidationFailedRecords {
		if f["Error"] != want[i] || f["LocalRecordID"] != recs[i]["LocalRecordID"] || f["UsageType"] != "Compute" {
			t.Errorf("failure %d: %v, want %q", i, f, want[i])
		}
		if _, ok := f["Attributes"].(map[string]any); !ok {
			t.Errorf("failure %d has no Attributes object: %v", i, f)
		}
	}
	adj := map[string]any{"AdjustmentType": "Refund", "Charge": "-5", "StartTime": "2024-05-01T10:00:00Z",
		"LocalProjectID": s.Projects()[0].LocalProjectID, "LocalRecordID": "adj-1", "Resource": s.Resources()[0], "Username": "x"}
	if a := s.send(t, "Adjustment", adj); len(a.ValidationFailedRecords) != 1 || !strings.HasPrefix(a.ValidationFailedRecords[0]["Error"].(string), "AdjustmentType must be one of") {
		t.Fatalf("capitalised AdjustmentType: %+v", a)
	}
}

func TestSend_ToleratesWhatRealClientsSend(t *testing.T) {
	s := newTestSim(t)
	p := s.Projects()[0]
	recs := []map[string]any{
		s.compute("1", map[string]any{"ParentRecordID": nil}),
		s.compute("2", map[string]any{"ParentRecordID": []any{"1"}, "Charge": 3, "LocalRecordID": 2}),
		s.compute("3", map[string]any{"ParentRecordID": "1", "StartTime": "2024-05-01T10:05:00+00:00", "EndTime": "2024-05-01T11:05:00.250000"}),
		s.compute("4", map[string]any{"ParentRecordID": 1, "SubmitTime": "2024-05-01T12:00:00+02:00", "Extra": "ignored",
			"Attributes": map[string]any{"NodeCount": 2, "CpuCoreCount": "8", "Memory": 1.5e3, "Unknown": []any{1}}}),
		s.compute("5", map[string]any{"ParentRecordID": []any{}, "Attributes": nil}),
	}
	a := s.send(t, "Compute", recs...)
	if a.Message != "5 records validated and queued" || len(a.ValidationFailedRecords) != 0 {
		t.Fatalf("%+v", a)
	}
	st := map[string]any{"Charge": 10.5, "CollectionTime": "2024-05-02", "LocalProjectID": p.LocalProjectID,
		"LocalRecordID": "st-1", "Resource": s.Resources()[0], "Username": p.Members[0],
		"Attributes": map[string]any{"BytesStored": 11274289152, "MediaType": "Disk"}}
	if a := s.send(t, "Storage", st); a.Message != "1 records validated and queued" {
		t.Fatalf("storage %+v", a)
	}
	s.ProcessNow()
	rows := s.status(t, "")
	if len(rows) != 1 || rows[0].LoadedRecordCount != 6 || rows[0].FailedJobCount != 0 || rows[0].TotalCharge != "23.5" {
		t.Fatalf("status %+v", rows)
	}
}

func TestSend_EnvelopeProblemsAre400(t *testing.T) {
	s := newTestSim(t)
	rec := s.compute("1", nil)
	for name, body := range map[string]string{
		"not JSON":                 `{"UsageType": "Compute", "Records": [`,
		"not an object":            `[1, 2]`,
		"empty records":            `{"UsageType": null, "Records": []}`,
		"records missing":          `{"UsageType": "Compute"}`,
		"record not an object":     `{"UsageType": "Compute", "Records": ["x"]}`,
		"missing UsageType":        message("", rec),
		"unknown UsageType":        strings.Replace(message("Compute", rec), `"Compute"`, `"Network"`, 1),
		"lower-case UsageType":     strings.Replace(message("Compute", rec), `"Compute"`, `"compute"`, 1),
		"UsageType wrong case key": strings.Replace(message("Compute", rec), `"UsageType"`, `"usagetype"`, 1),
	} {
		code, b := s.call("POST", "/usage/", body)
		if code != 400 || len(checkErrorReply([]byte(b))) > 0 {
			t.Errorf("%s: %d %s", name, code, b)
		}
	}
}

func TestSend_BodiesOverTheLimitAre413(t *testing.T) {
	s := newTestSim(t)
	rec := s.compute("1", nil)
	base := message("Compute", rec)
	pad := func(n int) string { // a body of exactly n bytes
		return strings.Replace(base, `"Charge"`, `"Pad":"`+strings.Repeat("x", n-len(base)-9)+`","Charge"`, 1)
	}
	if b := pad(DefaultMaxBody); len(b) != DefaultMaxBody {
		t.Fatalf("pad %d", len(b))
	}
	if code, b := s.call("POST", "/usage/", pad(DefaultMaxBody)); code != 200 {
		t.Fatalf("a body of exactly the limit: %d %s", code, b)
	}
	code, b := s.call("POST", "/usage/", pad(DefaultMaxBody+1))
	if code != 413 || b != "{\"error\":\"Request too large\"}\n" {
		t.Fatalf("one byte over: %d %s", code, b)
	}
	req := httptest.NewRequest("POST", BasePath+"/usage/", strings.NewReader(pad(DefaultMaxBody+1)))
	req.ContentLength = -1 // chunked: the limit is found while reading
	req.Header.Set("XA-SITE", s.Site())
	req.Header.Set("XA-API-KEY", s.APIKey())
	rec2 := httptest.NewRecorder()
	s.ServeHTTP(rec2, req)
	if rec2.Code != 413 {
		t.Fatalf("chunked over the limit: %d", rec2.Code)
	}
}

func TestSend_ResendIsNeverCountedTwice(t *testing.T) {
	s := newTestSim(t)
	recs := []map[string]any{s.compute("1", nil), s.compute("2", nil)}
	s.send(t, "Compute", recs...)
	if a := s.send(t, "Compute", recs...); a.Message != "0 records validated and queued (2 already received, not counted again)" {
		t.Fatalf("queued resend: %q", a.Message)
	}
	s.ProcessNow()
	// The same records written differently are the same records.
	same := s.compute("1", map[string]any{"ParentRecordID": nil, "StartTime": "2024-05-01T10:05:00+00:00", "LocalRecordID": 1})
	if a := s.send(t, "Compute", same); a.Message != "0 records validated and queued (1 already received, not counted again)" {
		t.Fatalf("loaded resend: %q", a.Message)
	}
	changed := s.compute("2", map[string]any{"Charge": "7.5"})
	if a := s.send(t, "Compute", changed); a.Message != "1 records validated and queued (1 replaced an earlier record)" {
		t.Fatalf("correction: %q", a.Message)
	}
	s.ProcessNow()
	rows := s.status(t, "")
	if rows[0].LoadedRecordCount != 2 || rows[0].TotalCharge != "10.0" {
		t.Fatalf("status %+v", rows)
	}
	if st, _ := s.State("Compute", s.Resources()[0], "2"); st != "loaded" {
		t.Fatalf("state %s", st)
	}
	// The same LocalRecordID on another resource, or of another type, is another record.
	other := s.compute("1", map[string]any{"Resource": s.Resources()[1]})
	if a := s.send(t, "Compute", other); a.Message != "1 records validated and queued" {
		t.Fatalf("other resource: %q", a.Message)
	}
}

func TestProcess_RulesAndDelay(t *testing.T) {
	s := newTestSim(t)
	p := s.Projects()[0]
	big := p.Allocation.String()
	s.send(t, "Compute",
		s.compute("ok", nil),
		s.compute("user", map[string]any{"Username": "nobody"}),
		s.compute("parent", map[string]any{"ParentRecordID": []any{"missing"}}),
		s.compute("child", map[string]any{"ParentRecordID": []any{"ok"}}),
		s.compute("alloc", map[string]any{"Charge": big}),
	)
	if rows := s.status(t, ""); len(rows) != 0 {
		t.Fatalf("processed before the delay: %+v", rows)
	}
	s.clk.Add(59 * time.Second)
	if st, _ := s.State("Compute", s.Resources()[0], "ok"); st != "queued" {
		t.Fatalf("state before the delay %s", st)
	}
	s.clk.Add(time.Second)
	rows := s.status(t, "")
	if len(rows) != 1 || rows[0].LoadedRecordCount != 2 || rows[0].FailedJobCount != 3 || rows[0].TotalCharge != "5.0" {
		t.Fatalf("status %+v", rows)
	}
	got := map[string]string{}
	for _, g := range rows[0].Errors {
		for _, r := range g.Records {
			got[r["LocalRecordID"].(string)] = g.Error
		}
	}
	want := map[string]string{"user": "Unknown user", "parent": "Unknown ParentRecordID", "alloc": "Insufficient allocation"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("errors %v, want %v", got, want)
	}
}

func TestFailed_ListAndClear(t *testing.T) {
	s := newTestSim(t)
	s.send(t, "Compute", s.compute("a", map[string]any{"Username": "nobody"}), s.compute("b", map[string]any{"Username": "nobody"}))
	s.ProcessNow()
	code, body := s.call("GET", "/usage/failed", "")
	var list struct{ ValidationFailedRecords []map[string]any }
	json.Unmarshal([]byte(body), &list)
	if code != 200 || len(list.ValidationFailedRecords) != 2 || len(checkReply("GET", "usage/failed", code, []byte(body))) > 0 {
		t.Fatalf("%d %s", code, body)
	}
	id := fmt.Sprint(list.ValidationFailedRecords[0]["FailedRecordID"])
	if code, body := s.call("DELETE", "/usage/failed/"+id+",424242", ""); code != 200 || !strings.Contains(body, "1 failed records cleared") {
		t.Fatalf("clear: %d %s", code, body)
	}
	_, body = s.call("GET", "/usage/failed", "")
	if strings.Contains(body, `"FailedRecordID":`+id+",") || !strings.Contains(body, `"LocalRecordID":"b"`) {
		t.Fatalf("after clear: %s", body)
	}
	if code, body := s.call("DELETE", "/usage/failed/None", ""); code != 400 || len(checkErrorReply([]byte(body))) > 0 {
		t.Fatalf("DELETE None: %d %s", code, body)
	}
	if rows := s.status(t, ""); rows[0].FailedJobCount != 1 {
		t.Fatalf("status after clear %+v", rows)
	}
}

func TestStatus_WindowIsProcessingTime(t *testing.T) {
	s := newTestSim(t)
	s.send(t, "Compute", s.compute("a", nil))
	s.clk.Add(time.Hour)
	s.send(t, "Compute", s.compute("b", nil))
	s.clk.Add(time.Hour) // a processed at 12:01, b at 13:01
	for q, want := range map[string]int{
		"":                                      2,
		"?FromTime=2024-05-03T12:01:00Z":        2,
		"?FromTime=2024-05-03T12:01:01%2B00:00": 1,
		"?ToTime=2024-05-03T13:01:00":           1,
		"?FromTime=2024-05-03T13:00:00+00:00&ToTime=2024-05-03T14:00:00": 1, // an unencoded + arrives as a space
		"?FromTime=2024-05-04T00:00:00Z":                                 0,
	} {
		rows := s.status(t, q)
		got := 0
		for _, r := range rows {
			got += r.LoadedRecordCount
		}
		if got != want {
			t.Errorf("%s: %d loaded, want %d", q, got, want)
		}
	}
	for _, q := range []string{"?FromTime=soon", "?FromTime=2024-05-02T00:00:00Z&ToTime=2024-05-01T00:00:00Z"} {
		if code, b := s.call("GET", "/usage/status"+q, ""); code != 400 || len(checkErrorReply([]byte(b))) > 0 {
			t.Errorf("%s: %d %s", q, code, b)
		}
	}
}

func TestRoutes_UnknownPathsAndMethodsAnswerJSON(t *testing.T) {
	s := newTestSim(t)
	for _, c := range []struct{ method, path string }{{"GET", "/usage/summary"}, {"PUT", "/usage/"}, {"POST", "/usage/status"}} {
		code, body := s.call(c.method, c.path, "")
		if (code != http.StatusNotFound && code != http.StatusMethodNotAllowed) || len(checkErrorReply([]byte(body))) > 0 {
			t.Errorf("%s %s: %d %s", c.method, c.path, code, body)
		}
	}
	if code, _ := s.call("POST", "/usage", message("Compute", s.compute("x", nil))); code != 200 {
		t.Errorf("POST usage without the slash: %d", code)
	}
}
