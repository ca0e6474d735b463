package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/amie"
	"github.com/accounting-portal/portal/internal/portal"
	simamie "github.com/accounting-portal/portal/internal/sim/amie"
	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
	"github.com/accounting-portal/portal/internal/usage"
)

// amieSetup is a simulator without history (so its counts are exactly
// what the tests send), a client with small requests (so a few records
// make several), a cache and a dispatcher on one clock.
type amieSetup struct {
	sim    *simamie.Server
	client *amie.Client
	reader *amie.Client // with a long timeout, for the tests' own look-ups
	db     *cache.DB
	d      *Dispatcher
	clock  *amieTestClock
	synced int
}

// amieTestClock is a clock the tests move while the simulator's handlers
// (some still running after a client gave up) read it.
type amieTestClock struct{ ns atomic.Int64 }

func (c *amieTestClock) Now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *amieTestClock) Add(d time.Duration) { c.ns.Add(int64(d)) }
func newAMIETestClock(t time.Time) *amieTestClock {
	c := &amieTestClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func newAMIESetup(t *testing.T, timeout time.Duration) *amieSetup {
	t.Helper()
	tc := newAMIETestClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC))
	clock := tc.Now
	sim := simamie.New(simamie.Options{World: world.New(1, 1), HistoryDays: -1, ProcessDelay: -1, Now: clock})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := amie.New(amie.Config{BaseURL: srv.URL + simamie.BasePath, Site: sim.Site(), APIKey: sim.APIKey(), Timeout: timeout, MaxBodyBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	reader, err := amie.New(amie.Config{BaseURL: srv.URL + simamie.BasePath, Site: sim.Site(), APIKey: sim.APIKey(), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = clock
	s := &amieSetup{sim: sim, client: c, reader: reader, db: db, clock: tc}
	s.d = newDispatcher(t, db)
	s.d.Now = clock
	s.d.register(portal.KindAMIEUsage, &AMIEUsage{Client: c, Store: db, AfterDelivery: func() { s.synced++ }})
	s.d.register(portal.KindAMIEClear, &AMIEClear{Client: c, AfterDelivery: func() { s.synced++ }})
	return s
}

// records returns n compute records of the simulator's first project by
// one of its members; with bad set, every third names an unknown project.
func (s *amieSetup) records(n int, bad bool) []usage.Record {
	p := s.sim.Projects()[0]
	res := s.sim.Resources()[0]
	start := s.clock.Now().Add(-2 * time.Hour)
	out := make([]usage.Record, n)
	for i := range out {
		proj := p.LocalProjectID
		if bad && i%3 == 2 {
			proj = "TG-NOSUCH"
		}
		out[i] = usage.Record{Seq: i, Line: i + 2, LocalRecordID: fmt.Sprintf("job-%d", i), Resource: res, LocalProjectID: proj,
			Username: p.Members[0], SubmitTime: start, StartTime: start, EndTime: start.Add(time.Hour), Charge: "1.25"}
	}
	return out
}

// upload plans recs with the client and stores them as an upload.
func (s *amieSetup) upload(t *testing.T, recs []usage.Record) int64 {
	t.Helper()
	chunks, err := AMIEPlanner{Client: s.client}.PlanUsage("Compute", recs)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.db.CreateUsageUpload(context.Background(), usage.Upload{UsageType: "Compute", Filename: "jobs.csv", Records: len(recs),
		TotalCharge: "0", CreatedBy: "sub"}, func(w usage.Writer) error {
		for _, ch := range chunks {
			if err := w.Add(ch, recs[ch.First:ch.First+ch.Count]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// loaded is the simulator's own count of loaded records, all time.
func (s *amieSetup) loaded(t *testing.T) int64 {
	t.Helper()
	s.sim.ProcessNow()
	st, err := s.reader.Status(context.Background(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range st {
		n += r.LoadedRecordCount
	}
	return n
}

func TestAMIEUsage_PlannedRequestsStoredAndDelivered(t *testing.T) {
	s := newAMIESetup(t, 5*time.Second)
	ctx := context.Background()
	recs := s.records(40, true)
	id := s.upload(t, recs)
	up, _ := s.db.UsageUploadByID(ctx, id)
	if up.Chunks < 3 {
		t.Fatalf("40 records made %d requests under 4 KiB", up.Chunks)
	}
	// Every stored request is under the client's bound and holds whole records.
	seq := 0
	for i := range up.Chunks {
		ch, err := s.db.UsageChunk(ctx, id, i)
		if err != nil {
			t.Fatal(err)
		}
		var msg struct{ Records []json.RawMessage }
		if len(ch.Body) >= 4096 || json.Unmarshal(ch.Body, &msg) != nil || len(msg.Records) != ch.Count || ch.First != seq {
			t.Fatalf("request %d: %d bytes, %d records, first %d", i, len(ch.Body), ch.Count, ch.First)
		}
		seq += ch.Count
	}
	if n, err := s.d.DispatchDue(ctx); err != nil || n != up.Chunks {
		t.Fatalf("dispatched %d of %d: %v", n, up.Chunks, err)
	}
	up, _ = s.db.UsageUploadByID(ctx, id)
	refused := 40 / 3
	if up.State != usage.UploadDelivered || up.Refused != refused || up.Accepted != 40-refused || s.synced != up.Chunks {
		t.Fatalf("upload after delivery: %+v (syncs %d)", up, s.synced)
	}
	bad, _, _ := s.db.ListUploadRecords(ctx, usage.UploadRecordFilter{Upload: id, UsageType: "Compute", Outcome: usage.RecordRefused})
	if len(bad) != refused || bad[0].LocalRecordID != "job-2" || !strings.Contains(bad[0].Error, "LocalProjectID") {
		t.Errorf("refused records %+v", bad)
	}
	if got := s.loaded(t); got != int64(40-refused) {
		t.Errorf("the simulator loaded %d records, want %d", got, 40-refused)
	}
}

// TestAMIEUsage_UnansweredSendIsSentAgainAndCountedOnce: the upstream
// takes the request but its answer never comes; the outbox looks it up
// (verify), sends the same request again, and the upstream, which keys
// records by LocalRecordID, does not count them twice.
func TestAMIEUsage_UnansweredSendIsSentAgainAndCountedOnce(t *testing.T) {
	s := newAMIESetup(t, 300*time.Millisecond)
	ctx := context.Background()
	id := s.upload(t, s.records(5, false))
	s.sim.Faults().Set(fault.Fault{Mode: fault.Timeout, Method: "POST", PathPrefix: "/api/v1/usage", Count: 1, Delay: 2 * time.Second})
	if _, err := s.d.DispatchDue(ctx); err != nil {
		t.Fatal(err)
	}
	items, _ := s.db.OutboxByRef(ctx, "usage_upload:"+fmt.Sprint(id))
	if len(items) != 1 || items[0].State != portal.OutboxVerify {
		t.Fatalf("after no answer: %+v", items)
	}
	if got := s.loaded(t); got != 5 {
		t.Fatalf("the unanswered request was not applied upstream (%d loaded)", got)
	}
	s.clock.Add(s.d.VerifyDelay + time.Second)
	if _, err := s.d.DispatchDue(ctx); err != nil { // look-up: not confirmed, so queued again
		t.Fatal(err)
	}
	if _, err := s.d.DispatchDue(ctx); err != nil { // sent again
		t.Fatal(err)
	}
	items, _ = s.db.OutboxByRef(ctx, "usage_upload:"+fmt.Sprint(id))
	if items[0].State != portal.OutboxDelivered || items[0].Attempts != 2 || !strings.Contains(items[0].Result, "already received") {
		t.Fatalf("after sending again: %+v", items[0])
	}
	if got := s.loaded(t); got != 5 {
		t.Errorf("the simulator counts %d records, want 5: a resend was counted twice", got)
	}
	up, _ := s.db.UsageUploadByID(ctx, id)
	if up.State != usage.UploadDelivered || up.Accepted != 5 {
		t.Errorf("upload %+v", up)
	}
}

func TestAMIEUsage_RefusedRequestFails(t *testing.T) {
	s := newAMIESetup(t, 5*time.Second)
	ctx := context.Background()
	id := s.upload(t, s.records(2, false))
	s.sim.Faults().Set(fault.Fault{Mode: fault.RateLimit, Method: "POST", Count: 1})
	s.d.DispatchDue(ctx)
	items, _ := s.db.OutboxByRef(ctx, "usage_upload:"+fmt.Sprint(id))
	if items[0].State != portal.OutboxQueued {
		t.Fatalf("after a 429: %s", items[0].State)
	}
	// A request the upstream refuses as a whole (here: its body was
	// tampered with) fails, and its records are not sent.
	if _, err := s.db.SettleOutbox(ctx, items[0].ID, []string{portal.OutboxQueued}, portal.OutboxOutcome{State: portal.OutboxFailed, Error: "AMIE answered 400: Records must not be empty"}); err != nil {
		t.Fatal(err)
	}
	up, _ := s.db.UsageUploadByID(ctx, id)
	if up.State != usage.UploadFailed || up.NotSent != 2 {
		t.Errorf("upload %+v", up)
	}
}

// A request AMIE took before a 502, whose records all failed processing,
// is confirmed by the look-up (usage/failed names them) and not sent again.
func TestAMIEUsage_ArrivalConfirmedBeforeResending(t *testing.T) {
	s := newAMIESetup(t, 2*time.Second)
	ctx := context.Background()
	recs := s.records(3, false)
	for i := range recs {
		recs[i].Username = "nobody" // fails processing: "Unknown user"
	}
	id := s.upload(t, recs)
	s.sim.Faults().Set(fault.Fault{Mode: fault.ApplyThen502, Method: "POST", Count: 1})
	s.d.DispatchDue(ctx)
	s.clock.Add(s.d.VerifyDelay + time.Second)
	s.d.DispatchDue(ctx)
	items, _ := s.db.OutboxByRef(ctx, "usage_upload:"+fmt.Sprint(id))
	if items[0].State != portal.OutboxDelivered || items[0].Attempts != 1 || !strings.Contains(items[0].Result, "confirmed by a look-up") {
		t.Fatalf("after the look-up: %+v", items[0])
	}
	up, _ := s.db.UsageUploadByID(ctx, id)
	if up.State != usage.UploadDelivered || up.Accepted != 3 {
		t.Errorf("upload %+v", up)
	}
}

func TestAMIEClear_ConfirmedByReRead(t *testing.T) {
	s := newAMIESetup(t, 300*time.Millisecond)
	ctx := context.Background()
	// Records of a non-member fail processing ("Unknown user").
	recs := s.records(3, false)
	for i := range recs {
		recs[i].Username = "nobody"
	}
	s.upload(t, recs)
	s.d.DispatchDue(ctx)
	s.sim.ProcessNow()
	failed, err := s.reader.FailedRecords(ctx)
	if err != nil || len(failed) != 3 {
		t.Fatalf("failed records %d %v", len(failed), err)
	}
	rows := make([]usage.FailedRecord, len(failed))
	for i, f := range failed {
		rows[i] = usage.FailedRecord{FailedID: f.FailedRecordID, UsageType: "Compute", Error: f.Error, Raw: "{}"}
	}
	if _, err := s.db.ReplaceAMIEFailed(ctx, rows); err != nil {
		t.Fatal(err)
	}
	// The DELETE takes effect but its answer is lost: the look-up sees the
	// records gone and settles the clear without sending it again.
	s.sim.Faults().Set(fault.Fault{Mode: fault.Timeout, Method: "DELETE", Count: 1, Delay: 2 * time.Second})
	clearID, err := s.db.CreateUsageClear(ctx, []int64{failed[0].FailedRecordID, failed[1].FailedRecordID}, "admin", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	s.synced = 0
	s.d.DispatchDue(ctx)
	c, _ := s.db.UsageClearByID(ctx, clearID)
	if c.State != portal.OutboxVerify {
		t.Fatalf("after no answer: %s", c.State)
	}
	s.clock.Add(s.d.VerifyDelay + time.Second)
	s.d.DispatchDue(ctx)
	c, _ = s.db.UsageClearByID(ctx, clearID)
	items, _ := s.db.OutboxByRef(ctx, "usage_clear:"+fmt.Sprint(clearID))
	if c.State != portal.OutboxDelivered || items[0].Attempts != 1 || s.synced != 1 {
		t.Fatalf("clear %+v, attempts %d, syncs %d", c, items[0].Attempts, s.synced)
	}
	left, _ := s.reader.FailedRecords(ctx)
	cached, _, _ := s.db.ListFailed(ctx, usage.FailedFilter{Scope: portal.Scope{All: true}})
	if len(left) != 1 || len(cached) != 1 || cached[0].FailedID != failed[2].FailedRecordID {
		t.Errorf("left upstream %d, cached %+v", len(left), cached)
	}
}

// lyingClearer accepts every clear and clears nothing.
type lyingClearer struct{ failed []amie.FailedRecord }

func (l *lyingClearer) ClearFailed(ctx context.Context, ids []int64) (int, error) {
	return len(ids), nil
}
func (l *lyingClearer) EachFailed(ctx context.Context, batch func([]amie.FailedRecord) error, _ func() error) error {
	return batch(l.failed)
}

func TestAMIEClear_NotDeliveredWhileStillListed(t *testing.T) {
	del := &AMIEClear{Client: &lyingClearer{failed: []amie.FailedRecord{{FailedRecordID: 7}, {FailedRecordID: 8}}}}
	_, err := del.Deliver(context.Background(), portal.OutboxItem{Payload: `{"clear":1,"failed_record_ids":[7,9]}`})
	if portal.ErrorCode(err) != portal.EUNCERTAIN || !strings.Contains(portal.ErrorMessage(err), "still lists 1 of the records as failed (7)") {
		t.Fatalf("deliver: %v", err)
	}
	if present, _, err := del.Check(context.Background(), portal.OutboxItem{Payload: `{"clear":1,"failed_record_ids":[7,9]}`}); present || err != nil {
		t.Fatalf("check: %v %v", present, err)
	}
	if present, res, err := del.Check(context.Background(), portal.OutboxItem{Payload: `{"clear":1,"failed_record_ids":[9]}`}); !present || err != nil || res != `{"cleared":1}` {
		t.Fatalf("check of a cleared record: %v %q %v", present, res, err)
	}
}
