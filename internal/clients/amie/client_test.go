package amie

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	amiesim "github.com/accounting-portal/portal/internal/sim/amie"
	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// clock is a settable clock for the simulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a simulator without history behind a real HTTP server, and a client of it.
type fixture struct {
	sim  *amiesim.Server
	srv  *httptest.Server
	c    *Client
	clk  *clock
	proj amiesim.Project
	res  string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{clk: &clock{t: time.Date(2024, 5, 3, 12, 0, 0, 0, time.UTC)}}
	f.sim = amiesim.New(amiesim.Options{World: world.New(1, 1), Now: f.clk.Now, ProcessDelay: time.Minute, HistoryDays: -1})
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(f.srv.Close)
	f.c = newTestClient(t, f.srv.URL+amiesim.BasePath, 0)
	f.c.caller.Backoff = time.Millisecond
	f.proj = f.sim.Projects()[0]
	f.res = f.sim.Resources()[0]
	return f
}

// jobs returns n valid compute records of the fixture's first project, charges 1..n.
func (f *fixture) jobs(prefix string, n int) []ComputeRecord {
	recs := make([]ComputeRecord, n)
	for i := range recs {
		recs[i] = ComputeRecord{Username: f.proj.Members[i%len(f.proj.Members)], LocalProjectID: f.proj.LocalProjectID,
			LocalRecordID: fmt.Sprintf("%s%d", prefix, i), Resource: f.res,
			SubmitTime: t0, StartTime: t0.Add(time.Minute), EndTime: t0.Add(2 * time.Hour),
			Charge: decimal.NewFromInt(int64(i + 1)), Attributes: ComputeAttributes{NodeCount: Int(1), Queue: "normal"},
			LocalReference: fmt.Sprintf("row-%d", i)}
	}
	return recs
}

// statusOf returns the all-time status of the fixture's resource.
func (f *fixture) statusOf(t *testing.T) ResourceStatus {
	t.Helper()
	st, err := f.c.Status(context.Background(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range st {
		if rs.Resource == f.res {
			return rs
		}
	}
	return ResourceStatus{Resource: f.res, TotalCharge: decimal.Zero}
}

func TestClient_SendThenStatusFailedAndClear(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	recs := f.jobs("a", 5)
	recs[3].Username = "nobody"        // fails processing
	recs[4].LocalProjectID = "TG-NOPE" // fails validation
	res, err := f.c.SendCompute(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || len(res[0].Failed) != 1 {
		t.Fatalf("results %+v", res)
	}
	vf := res[0].Failed[0]
	if vf.Index != 4 || vf.Error != "Unknown LocalProjectID" || vf.Compute == nil || vf.Compute.LocalReference != "row-4" {
		t.Fatalf("validation failure %+v", vf)
	}
	if rs := f.statusOf(t); rs.LoadedRecordCount != 0 {
		t.Fatalf("loaded before the processing delay: %+v", rs)
	}
	f.clk.Add(2 * time.Minute)
	rs := f.statusOf(t)
	if rs.LoadedRecordCount != 3 || rs.FailedJobCount != 1 || !rs.TotalCharge.Equal(decimal.NewFromInt(1+2+3)) {
		t.Fatalf("status %+v", rs)
	}
	if len(rs.Errors) != 1 || rs.Errors[0].Error != "Unknown user" || rs.Errors[0].Records[0].Compute.LocalRecordID != "a3" {
		t.Fatalf("errors %+v", rs.Errors)
	}
	failed, err := f.c.FailedRecords(ctx)
	if err != nil || len(failed) != 1 || failed[0].FailedRecordID <= 0 || failed[0].Key() != recs[3].Key() {
		t.Fatalf("failed %+v %v", failed, err)
	}
	if n, err := f.c.ClearFailed(ctx, []int64{failed[0].FailedRecordID, 999999}); err != nil || n != 2 {
		t.Fatalf("clear: %d %v", n, err)
	}
	if failed, err := f.c.FailedRecords(ctx); err != nil || len(failed) != 0 {
		t.Fatalf("after clear: %+v %v", failed, err)
	}
	if rs := f.statusOf(t); rs.FailedJobCount != 0 || rs.LoadedRecordCount != 3 {
		t.Fatalf("status after clear %+v", rs)
	}
}

func TestClient_ResendIsNotCountedTwice(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	recs := f.jobs("r", 10)
	if _, err := f.c.SendCompute(ctx, recs); err != nil {
		t.Fatal(err)
	}
	res, err := f.c.SendCompute(ctx, recs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res[0].Message, "10 already received") {
		t.Fatalf("resend message %q", res[0].Message)
	}
	f.sim.ProcessNow()
	if _, err := f.c.SendCompute(ctx, recs); err != nil { // after processing too
		t.Fatal(err)
	}
	f.sim.ProcessNow()
	if rs := f.statusOf(t); rs.LoadedRecordCount != 10 || !rs.TotalCharge.Equal(decimal.NewFromInt(55)) {
		t.Fatalf("status after resends %+v", rs)
	}
	// A corrected record with the same key replaces the earlier one.
	recs[0].Charge = decimal.MustParse("100.5")
	if _, err := f.c.SendCompute(ctx, recs[:1]); err != nil {
		t.Fatal(err)
	}
	f.sim.ProcessNow()
	if rs := f.statusOf(t); rs.LoadedRecordCount != 10 || !rs.TotalCharge.Equal(decimal.MustParse("154.5")) {
		t.Fatalf("status after a correction %+v", rs)
	}
}

func TestClient_UncertainSendIsConfirmedByResend(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.c.caller.Timeout = 300 * time.Millisecond
	// The simulator takes the records in, then never answers.
	f.sim.Faults().Set(fault.Fault{Mode: fault.Timeout, Method: "POST", Count: 1, Delay: 2 * time.Second})
	recs := f.jobs("u", 4)
	recs[2].Username = "nobody"
	_, err := f.c.SendCompute(ctx, recs)
	var ce *ChunkError
	if !portal.IsCode(err, portal.EUNCERTAIN) || !errors.As(err, &ce) || ce.First != 0 || ce.Count != 4 {
		t.Fatalf("err %v, want EUNCERTAIN with a ChunkError", err)
	}
	f.sim.ProcessNow()
	chunks, _ := f.c.PlanCompute(recs)
	found, err := f.c.LookupFailed(ctx, chunks[0].Keys())
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || len(found[recs[2].Key()]) != 1 {
		t.Fatalf("lookup %+v: the failed record proves receipt", found)
	}
	res, err := f.c.SendChunk(ctx, &chunks[0])
	if err != nil || !strings.Contains(res.Message, "4 already received") {
		t.Fatalf("resend: %+v %v", res, err)
	}
	f.sim.ProcessNow()
	if rs := f.statusOf(t); rs.LoadedRecordCount != 3 || rs.FailedJobCount != 1 {
		t.Fatalf("status %+v: counted once", rs)
	}
}

func TestClient_ReadsAreRetriedWritesAreNot(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.c.caller.Retries = 2
	f.sim.Faults().Set(fault.Fault{Mode: fault.Outage, Method: "GET", Count: 1})
	if _, err := f.c.Status(ctx, time.Time{}, time.Time{}); err != nil {
		t.Fatalf("a read after one outage: %v", err)
	}
	f.sim.Faults().Set(fault.Fault{Mode: fault.Outage, Method: "POST", Count: 1})
	recs := f.jobs("w", 1)
	// A 503 does not prove the records were not queued; the send is not retried.
	if _, err := f.c.SendCompute(ctx, recs); !portal.IsCode(err, portal.EUNCERTAIN) {
		t.Fatalf("send during an outage: %v", err)
	}
	if f.sim.Faults().Hits(fault.Outage) != 2 {
		t.Fatalf("outage hits %d: the write was retried", f.sim.Faults().Hits(fault.Outage))
	}
	if _, ok := f.sim.State("Compute", f.res, recs[0].LocalRecordID); ok {
		t.Fatal("the record arrived although the upstream was down")
	}
}

func TestClient_ErrorAnswersMapToCodes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bad, err := New(Config{BaseURL: f.srv.URL + amiesim.BasePath, Site: "SIMSITE", APIKey: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Status(ctx, time.Time{}, time.Time{})
	if !portal.IsCode(err, portal.EUNAUTHORIZED) || !strings.Contains(portal.ErrorMessage(err), "Invalid XA-API-KEY for site SIMSITE") {
		t.Fatalf("wrong key: %v", err)
	}
	f.sim.Faults().Set(fault.Fault{Mode: fault.Garbage, Method: "POST", Count: 1})
	if _, err := f.c.SendCompute(ctx, f.jobs("g", 1)); !portal.IsCode(err, portal.EUNCERTAIN) {
		t.Fatalf("garbage send reply: %v", err)
	}
	f.sim.Faults().Set(fault.Fault{Mode: fault.Garbage, Method: "GET", Count: 1})
	if _, err := f.c.FailedRecords(ctx); !portal.IsCode(err, portal.EUNAVAILABLE) || !strings.Contains(portal.ErrorMessage(err), "GET usage/failed: not valid JSON") {
		t.Fatalf("garbage read: %v", err)
	}
	f.c.caller.Timeout = 200 * time.Millisecond
	f.sim.Faults().Set(fault.Fault{Mode: fault.Hang, Method: "GET", Count: 1, Delay: 2 * time.Second})
	start := time.Now()
	if _, err := f.c.Status(ctx, time.Time{}, time.Time{}); err == nil || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("hang: %v after %v", err, time.Since(start))
	}
}

func TestClient_StorageAndAdjustmentRecords(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	st := []StorageRecord{{Charge: decimal.MustParse("10.5"), CollectionTime: t0, LocalProjectID: f.proj.LocalProjectID,
		LocalRecordID: "st-1", Resource: f.res, Username: "nobody",
		Attributes: StorageAttributes{BytesStored: Int(11274289152), CollectionInterval: Int(1), MediaType: "Disk"}}}
	adj := []AdjustmentRecord{{AdjustmentType: Refund, Charge: decimal.MustParse("-5"), StartTime: t0,
		LocalProjectID: f.proj.LocalProjectID, LocalRecordID: "adj-1", Resource: f.res, Username: f.proj.Members[0], Comment: "job failed"}}
	if _, err := f.c.SendStorage(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.SendAdjustments(ctx, adj); err != nil {
		t.Fatal(err)
	}
	f.sim.ProcessNow()
	failed, err := f.c.FailedRecords(ctx)
	if err != nil || len(failed) != 1 || failed[0].Storage == nil {
		t.Fatalf("failed %+v %v", failed, err)
	}
	got := failed[0].Storage
	if got.Attributes.BytesStored == nil || *got.Attributes.BytesStored != 11274289152 || got.Attributes.MediaType != "Disk" || !got.CollectionTime.Equal(t0) {
		t.Fatalf("storage failure decoded as %+v", got)
	}
	if rs := f.statusOf(t); rs.LoadedRecordCount != 1 || !rs.TotalCharge.Equal(decimal.MustParse("-5")) || rs.Errors[0].UsageType != Storage {
		t.Fatalf("status %+v", rs)
	}
}
