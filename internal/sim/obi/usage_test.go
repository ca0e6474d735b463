package obi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// reportItems returns the items of a project report.
func reportItems(t *testing.T, f *fixture, proj string) []map[string]any {
	t.Helper()
	var rep struct {
		Data struct {
			Items []map[string]any `json:"items"`
		} `json:"data"`
	}
	if err := json.Unmarshal(f.must(200, "GET", "/report/project/"+proj, ""), &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Data.Items
}

func stamp(d time.Duration) int64 { return testT0.Add(d).Unix() }

func usageLongrun(f *fixture, job, status string, at time.Duration) {
	f.t.Helper()
	f.must(201, "POST", "/usage/longrun", fmt.Sprintf(`{"type":"longrun","subtype":"single-cell-sim","proj_id":%q,"job_id":%q,"status":%q,"instances":"2","timestamp":"%d"}`,
		projID, job, status, stamp(at)))
}

func TestOneshot_ReserveUseCharge(t *testing.T) {
	f := newFixture(t)
	setupFunded(f)
	job := jobID(t, f.must(201, "POST", "/reservation/oneshot", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"oneshot","subtype":"ml-llm","count":1000}`))
	body := fmt.Sprintf(`{"type":"oneshot","subtype":"ml-llm","proj_id":%q,"job_id":%q,"count":"500","timestamp":%d}`, projID, job, stamp(5*time.Second))
	f.must(201, "POST", "/usage/oneshot", body)
	if items := reportItems(t, f, projID); len(items) != 0 {
		t.Fatalf("reported before the charger ran: %v", items)
	}
	f.sim.RunChargers()
	items := reportItems(t, f, projID)
	if len(items) != 1 || items[0]["amount"] != "0.00500" || items[0]["reserved_amount"] != "0.01000" || items[0]["count"] != 500.0 {
		t.Fatalf("report %v", items)
	}
	bal, res, _ := f.sim.ProjectBalance(projID)
	if !bal.Equal(dec("99.995")) || !res.IsZero() {
		t.Fatalf("balance %s reservation %s", bal, res)
	}
	// The same event again within five minutes is dropped by the queue;
	// later it reaches the consumer, which refuses a finished job.
	f.must(201, "POST", "/usage/oneshot", strings.Replace(body, `"count":"500"`, `"count":500`, 1))
	if fe := f.sim.FailedEvents(); len(fe) != 0 {
		t.Fatalf("duplicate not dropped: %+v", fe)
	}
	f.set(5 * time.Minute)
	f.must(201, "POST", "/usage/oneshot", body)
	if fe := f.sim.FailedEvents(); len(fe) != 1 || fe[0].Reason != "job is finished" {
		t.Fatalf("failed events %+v", fe)
	}
}

func TestOneshot_ConsumerRules(t *testing.T) {
	f := newFixture(t)
	setupFunded(f)
	job := jobID(t, f.must(201, "POST", "/reservation/oneshot", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"oneshot","subtype":"ml-llm","count":1000}`))
	bad := []string{
		fmt.Sprintf(`{"type":"oneshot","subtype":"notebook","proj_id":%q,"job_id":%q,"count":1,"timestamp":%d}`, projID, job, stamp(0)),
		fmt.Sprintf(`{"type":"oneshot","subtype":"ml-llm","proj_id":%q,"job_id":%q,"count":1,"timestamp":%d}`, vlabID, job, stamp(0)),
		fmt.Sprintf(`{"type":"oneshot","subtype":"ml-llm","proj_id":%q,"job_id":%q,"count":1,"timestamp":%d}`, projID, userID, stamp(0)),
	}
	for _, b := range bad {
		f.must(201, "POST", "/usage/oneshot", b)
	}
	if fe := f.sim.FailedEvents(); len(fe) != 3 {
		t.Fatalf("failed events %+v", fe)
	}
	f.must(200, "DELETE", "/reservation/oneshot/"+job, "")
	code, b := f.do("DELETE", "/reservation/oneshot/"+job, "")
	if code != 400 || !strings.Contains(string(b), `"error_code":"JOB_ALREADY_CANCELLED","message":"The reservation cannot be released because already cancelled"`) {
		t.Fatalf("second release: %d %s", code, b)
	}
	code, b = f.do("DELETE", "/reservation/longrun/"+job, "")
	if code != 404 || !strings.Contains(string(b), `"The specified job cannot be found"`) {
		t.Fatalf("release of the other type: %d %s", code, b)
	}
	if bal, res, _ := f.sim.ProjectBalance(projID); !bal.Equal(dec("100")) || !res.IsZero() {
		t.Fatalf("after release: %s %s", bal, res)
	}
}

// TestLongrun_IncrementalChargesAndFinish follows §7: increments at least
// 60 s apart, from the reservation first, then the last increment and the
// release when the job finishes.
func TestLongrun_IncrementalChargesAndFinish(t *testing.T) {
	f := newFixture(t, "11111111-0000-4000-8000-000000000001")
	setupFunded(f) // single-cell-sim: fixed 1.5 + 0.01 per instance-second
	job := jobID(t, f.must(201, "POST", "/reservation/longrun", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"longrun","subtype":"single-cell-sim","duration":3600,"instances":2}`))
	usageLongrun(f, job, "started", 0)
	code, b := f.do("DELETE", "/reservation/longrun/"+job, "")
	if code != 400 || !strings.Contains(string(b), "JOB_ALREADY_STARTED") {
		t.Fatalf("release after start: %d %s", code, b)
	}
	charged := func() string {
		t.Helper()
		_, res, _ := f.sim.ProjectBalance(projID)
		return dec("73.50").Sub(res).String()
	}
	f.set(30 * time.Second)
	f.sim.RunChargers()
	if got := charged(); got != "2.10" { // 1.5 + 0.01 * 60
		t.Fatalf("first charge %s", got)
	}
	f.set(60 * time.Second)
	f.sim.RunChargers()
	if got := charged(); got != "2.10" {
		t.Fatalf("charged again within 60 s: %s", got)
	}
	f.set(100 * time.Second)
	usageLongrun(f, job, "running", 90*time.Second)
	f.sim.RunChargers()
	if got := charged(); got != "3.50" { // + 0.01 * 140
		t.Fatalf("second charge %s", got)
	}
	usageLongrun(f, job, "finished", 150*time.Second)
	f.set(200 * time.Second)
	f.sim.RunChargers()
	items := reportItems(t, f, projID)
	if len(items) != 1 || items[0]["amount"] != "4.50" || items[0]["duration"] != 150.0 || items[0]["cancelled_at"] != nil || items[0]["reserved_amount"] != "73.50" {
		t.Fatalf("report %v", items)
	}
	if bal, res, _ := f.sim.ProjectBalance(projID); !bal.Equal(dec("95.50")) || !res.IsZero() {
		t.Fatalf("balance %s reservation %s", bal, res)
	}
}

// TestLongrun_RefundAndExpiry: a finish earlier than the last charge is
// refunded; a job silent for an hour is expired and cancelled.
func TestLongrun_RefundAndExpiry(t *testing.T) {
	f := newFixture(t)
	setupFunded(f)
	reserve := func() string {
		return jobID(t, f.must(201, "POST", "/reservation/longrun", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"longrun","subtype":"single-cell-sim","duration":600,"instances":2}`))
	}
	late := reserve()
	usageLongrun(f, late, "started", 0)
	f.set(200 * time.Second)
	f.sim.RunChargers() // charged up to usage 400: 5.50
	usageLongrun(f, late, "finished", 150*time.Second)
	f.sim.RunChargers()
	silent := reserve()
	usageLongrun(f, silent, "started", 200*time.Second)
	f.set(200*time.Second + time.Hour)
	f.sim.RunChargers()
	if open := f.must(200, "GET", "/job/longrun/open", ""); !strings.Contains(string(open), `"items":[]`) {
		t.Fatalf("expired job still open: %s", open)
	}
	f.set(200*time.Second + time.Hour + time.Second + time.Millisecond)
	f.sim.RunChargers()
	items := reportItems(t, f, projID)
	if len(items) != 2 {
		t.Fatalf("report %v", items)
	}
	byID := map[string]map[string]any{items[0]["job_id"].(string): items[0], items[1]["job_id"].(string): items[1]}
	if it := byID[late]; it["amount"] != "4.50" || it["duration"] != 150.0 {
		t.Fatalf("refunded job %v", it)
	}
	// Expired at now: 1.5 + 0.01 * 2 * 3600 (whole seconds since the start).
	if it := byID[silent]; it["cancelled_at"] == nil || it["cancelled_at"] != it["finished_at"] || it["amount"] != "73.50" {
		t.Fatalf("expired job %v", it)
	}
	var refunds int
	for _, e := range f.sim.Journal() {
		if e.Type == TxRefund {
			refunds++
			if e.Amount.String() != "1.00" {
				t.Fatalf("refund %s", e.Amount)
			}
		}
	}
	if refunds != 1 {
		t.Fatalf("%d refunds", refunds)
	}
}

func TestStorage_Charging(t *testing.T) {
	f := newFixture(t)
	setupFunded(f)
	addPrice(f, "storage", "storage", "0", "0.000000001")
	f.must(201, "POST", "/usage/storage", fmt.Sprintf(`{"type":"storage","proj_id":%q,"size":"1000","timestamp":%d}`, projID, stamp(0)))
	f.set(30 * time.Minute)
	f.sim.RunChargers()
	f.set(50 * time.Minute)
	f.sim.RunChargers() // under an hour since the last charge: nothing
	if bal, _, _ := f.sim.ProjectBalance(projID); bal.String() != "99.998200000" {
		t.Fatalf("after 30 min: %s", bal)
	}
	f.set(time.Hour)
	f.must(201, "POST", "/usage/storage", fmt.Sprintf(`{"type":"storage","subtype":"storage","proj_id":%q,"size":0,"timestamp":%d}`, projID, stamp(time.Hour)))
	f.sim.RunChargers()
	items := reportItems(t, f, projID)
	if len(items) != 1 || items[0]["amount"] != "0.003600000" || items[0]["duration"] != 3600.0 || items[0]["size"] != 1000.0 {
		t.Fatalf("report %v", items)
	}
}

// TestChargers_RunByThemselves: with the default interval the chargers
// run as simulated time passes, without RunChargers.
func TestChargers_RunByThemselves(t *testing.T) {
	f := newFixtureWith(t, func(*Options) {})
	setupFunded(f)
	job := jobID(t, f.must(201, "POST", "/reservation/oneshot", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"oneshot","subtype":"ml-llm","count":1000}`))
	f.must(201, "POST", "/usage/oneshot", fmt.Sprintf(`{"type":"oneshot","subtype":"ml-llm","proj_id":%q,"job_id":%q,"count":1000,"timestamp":%d}`, projID, job, stamp(0)))
	f.sim.Advance(9 * time.Minute)
	if items := reportItems(t, f, projID); len(items) != 0 {
		t.Fatal("charged before 600 s")
	}
	f.sim.Advance(time.Minute)
	if items := reportItems(t, f, projID); len(items) != 1 {
		t.Fatal("not charged after 600 s")
	}
	if got := f.sim.Now(); !got.Equal(testT0.Add(10 * time.Minute)) {
		t.Fatalf("clock %s", got)
	}
}
