package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

func amieTestCatalog(t *testing.T, db *DB) {
	t.Helper()
	err := db.ReplaceCatalog(amieCtx, &portal.Catalog{Projects: []portal.CatalogProject{
		{Key: "neuro-sim", Name: "Neural Circuit Simulation", AMIEID: "TG-NEU1"},
		{Key: "climate-ml", Name: "Climate Model Learning", AMIEID: "TG-CLI3"},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func amieTestFailed(id int64, project, errText string) usage.FailedRecord {
	return usage.FailedRecord{FailedID: id, UsageType: "Compute", Error: errText, Resource: "lynx", LocalProjectID: project,
		LocalRecordID: fmt.Sprint(id * 10), Username: "u", Start: amieDay(3), End: amieDay(3).Add(3600e9), Charge: "1.5", Raw: "{}"}
}

func TestReplaceAMIEFailed_ReplacesTheSetAndScopes(t *testing.T) {
	db, _ := MustOpen(t)
	amieTestCatalog(t, db)
	first := []usage.FailedRecord{amieTestFailed(1, "TG-NEU1", "Unknown user"), amieTestFailed(2, "TG-CLI3", "Unknown user"),
		amieTestFailed(3, "TG-NEU1", "Insufficient allocation"), amieTestFailed(3, "TG-NEU1", "listed twice")}
	if n, err := db.ReplaceAMIEFailed(amieCtx, first); err != nil || n != 3 {
		t.Fatalf("first replace: %d rows, %v", n, err)
	}
	// The same list again writes nothing.
	if n, err := db.ReplaceAMIEFailed(amieCtx, first); err != nil || n != 0 {
		t.Fatalf("same list: %d rows written, %v", n, err)
	}
	// The upstream cleared 2: the next sync's list no longer has it.
	changed := amieTestFailed(3, "TG-NEU1", "Insufficient allocation")
	changed.Charge = "2.5"
	if n, err := db.ReplaceAMIEFailed(amieCtx, []usage.FailedRecord{amieTestFailed(1, "TG-NEU1", "Unknown user"), changed,
		amieTestFailed(4, "TG-OTHER", "Unknown user")}); err != nil || n != 4 { // 2 gone, 3 changed (delete and insert), 4 new
		t.Fatalf("second list: %d rows written, %v", n, err)
	}
	ids := func(scope portal.Scope) string {
		recs, total, err := db.ListFailed(amieCtx, usage.FailedFilter{Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range recs {
			out = append(out, fmt.Sprint(r.FailedID))
		}
		if int(total) != len(recs) {
			t.Fatalf("total %d for %d rows", total, len(recs))
		}
		return strings.Join(out, ",")
	}
	// Grouped by error (Insufficient allocation < Unknown user), then by id.
	if got := ids(portal.Scope{All: true}); got != "3,1,4" {
		t.Errorf("admin sees %s", got)
	}
	if got := ids(portal.Scope{Projects: []string{"neuro-sim"}}); got != "3,1" {
		t.Errorf("neuro-sim manager sees %s", got)
	}
	if got := ids(portal.Scope{Projects: []string{"climate-ml"}}); got != "" {
		t.Errorf("climate-ml member sees %s", got)
	}
	if got := ids(portal.Scope{}); got != "" {
		t.Errorf("no projects sees %s", got)
	}
	groups, _ := db.FailedGroups(amieCtx, usage.FailedFilter{Scope: portal.Scope{All: true}})
	if len(groups) != 2 || groups[1].Error != "Unknown user" || groups[1].Records != 2 || groups[1].Charge != "3.0" || groups[0].Charge != "2.5" {
		t.Errorf("groups %+v", groups)
	}
	opts, _ := db.FailedOptions(amieCtx, portal.Scope{Projects: []string{"neuro-sim"}})
	if len(opts.Projects) != 1 || opts.Projects[0].Name != "Neural Circuit Simulation" || len(opts.Errors) != 2 {
		t.Errorf("options %+v", opts)
	}
}

// amieTestUpload stores an upload of n records in requests of per records.
func amieTestUpload(t *testing.T, db *DB, n, per int) int64 {
	t.Helper()
	id, err := db.CreateUsageUpload(amieCtx, usage.Upload{UsageType: "Compute", Filename: "jobs.csv", Records: n, TotalCharge: "1",
		Projects: []string{"TG-NEU1"}, CreatedBy: "sub-m", CreatedByName: "Max"}, func(w usage.Writer) error {
		for c := 0; c*per < n; c++ {
			var recs []usage.Record
			for s := c * per; s < min(n, (c+1)*per); s++ {
				recs = append(recs, usage.Record{Seq: s, Line: s + 2, LocalRecordID: fmt.Sprint("job-", s), Resource: "lynx",
					LocalProjectID: "TG-NEU1", Username: "u", StartTime: amieDay(3), EndTime: amieDay(4), Charge: "0.5"})
			}
			if err := w.Add(usage.Chunk{Index: c, First: c * per, Count: len(recs), Body: []byte(fmt.Sprintf(`{"chunk":%d}`, c))}, recs); err != nil {
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

func TestCreateUsageUpload_StoresRequestsAsOutboxItems(t *testing.T) {
	db, _ := MustOpen(t)
	id := amieTestUpload(t, db, 5, 2)
	items, err := db.OutboxByRef(amieCtx, "usage_upload:"+fmt.Sprint(id))
	if err != nil || len(items) != 3 {
		t.Fatalf("outbox items %d %v", len(items), err)
	}
	var p usage.ChunkPayload
	json.Unmarshal([]byte(items[2].Payload), &p)
	if items[2].Kind != portal.KindAMIEUsage || p.Chunk != 2 || p.First != 4 || p.Count != 1 || p.Upload != id {
		t.Errorf("last item %+v payload %+v", items[2], p)
	}
	ch, err := db.UsageChunk(amieCtx, id, 1)
	if err != nil || string(ch.Body) != `{"chunk":1}` || ch.Chunks != 3 || ch.First != 2 || ch.Count != 2 || ch.UsageType != "Compute" {
		t.Fatalf("stored request %+v %v", ch, err)
	}
	up, _ := db.UsageUploadByID(amieCtx, id)
	if up.State != usage.UploadQueued || up.Chunks != 3 || up.Records != 5 {
		t.Errorf("upload %+v", up)
	}
}

func TestCreateUsageUpload_NothingStoredWhenFillFails(t *testing.T) {
	db, _ := MustOpen(t)
	_, err := db.CreateUsageUpload(amieCtx, usage.Upload{UsageType: "Compute", Filename: "x.csv", Records: 2, CreatedBy: "s"}, func(w usage.Writer) error {
		if err := w.Add(usage.Chunk{First: 0, Count: 1, Body: []byte("{}")}, []usage.Record{{Seq: 0, Charge: "1"}}); err != nil {
			return err
		}
		return errors.New("the planning failed")
	})
	if err == nil {
		t.Fatal("no error")
	}
	// A request out of order is refused too.
	_, err = db.CreateUsageUpload(amieCtx, usage.Upload{UsageType: "Compute", Filename: "x.csv", Records: 2, CreatedBy: "s"}, func(w usage.Writer) error {
		return w.Add(usage.Chunk{First: 1, Count: 1, Body: []byte("{}")}, []usage.Record{{Seq: 1, Charge: "1"}})
	})
	if err == nil {
		t.Fatal("a gap was accepted")
	}
	for _, table := range []string{"usage_uploads", "usage_upload_records", "usage_upload_chunks", "outbox", "audit"} {
		var n int
		db.r.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n)
		if n != 0 {
			t.Errorf("%s has %d rows after a failed upload", table, n)
		}
	}
}

func amieTestSettle(t *testing.T, db *DB, id int64, o portal.OutboxOutcome) {
	t.Helper()
	it, err := db.OutboxItemByID(amieCtx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SettleOutbox(amieCtx, id, []string{it.State}, o); err != nil {
		t.Fatal(err)
	}
}

func TestSettleUsageChunk_RecordsOutcomesAndUploadState(t *testing.T) {
	db, _ := MustOpen(t)
	id := amieTestUpload(t, db, 5, 2)
	items, _ := db.OutboxByRef(amieCtx, "usage_upload:"+fmt.Sprint(id))
	res, _ := json.Marshal(usage.ChunkResult{Message: "2 records validated and queued, 1 failed validation",
		Refused: []usage.RefusedRecord{{Resource: "lynx", LocalRecordID: "job-1", Error: "Unknown LocalProjectID"}}})
	amieTestSettle(t, db, items[0].ID, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: string(res)})
	up, _ := db.UsageUploadByID(amieCtx, id)
	if up.State != usage.UploadSending || up.ChunksDelivered != 1 || up.Accepted != 1 || up.Refused != 1 {
		t.Fatalf("after the first request: %+v", up)
	}
	amieTestSettle(t, db, items[1].ID, portal.OutboxOutcome{State: portal.OutboxFailed, Error: "AMIE answered 400: bad envelope"})
	amieTestSettle(t, db, items[2].ID, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: `{"message":"1 records validated and queued"}`})
	up, _ = db.UsageUploadByID(amieCtx, id)
	if up.State != usage.UploadFailed || up.Accepted != 2 || up.Refused != 1 || up.NotSent != 2 || up.ChunksDelivered != 2 {
		t.Fatalf("after all: %+v", up)
	}
	recs, _, _ := db.ListUploadRecords(amieCtx, usage.UploadRecordFilter{Upload: id, UsageType: "Compute"})
	var got []string
	for _, r := range recs {
		got = append(got, r.Outcome+":"+r.Error)
	}
	want := "accepted:,refused:Unknown LocalProjectID,not sent:AMIE answered 400: bad envelope,not sent:AMIE answered 400: bad envelope,accepted:"
	if strings.Join(got, ",") != want {
		t.Errorf("outcomes\n got %s\nwant %s", strings.Join(got, ","), want)
	}
	// An admin sends the failed request again; it is delivered this time.
	if err := db.RequeueOutbox(amieCtx, items[1].ID, "admin", "Ada"); err != nil {
		t.Fatal(err)
	}
	amieTestSettle(t, db, items[1].ID, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: `{"message":"2 records validated and queued"}`})
	up, _ = db.UsageUploadByID(amieCtx, id)
	if up.State != usage.UploadDelivered || up.Accepted != 4 || up.NotSent != 0 {
		t.Fatalf("after sending again: %+v", up)
	}
	trail, _ := db.AuditTrail(amieCtx, "usage_upload:"+fmt.Sprint(id))
	if len(trail) != 6 || trail[len(trail)-1].To != usage.UploadDelivered || !strings.Contains(trail[1].Reason, "request 1 of 3 (records 1–2) delivered: 2 records validated") {
		t.Errorf("history %+v", trail)
	}
	// The re-send itself is in the history, by the admin who asked for it.
	if re := trail[4]; re.ActorName != "Ada" || re.From != usage.UploadFailed || !strings.Contains(re.Reason, "queued") {
		t.Errorf("re-send in the history: %+v", re)
	}
	// A record accepted and later failing processing shows as such.
	if _, err := db.ReplaceAMIEFailed(amieCtx, []usage.FailedRecord{{FailedID: 9, UsageType: "Compute", Error: "Unknown user", Resource: "lynx",
		LocalProjectID: "TG-NEU1", LocalRecordID: "job-4", Charge: "0.5", Raw: "{}"}}); err != nil {
		t.Fatal(err)
	}
	fp, _, _ := db.ListUploadRecords(amieCtx, usage.UploadRecordFilter{Upload: id, UsageType: "Compute", Outcome: usage.RecordOutcomeFailedProcessing})
	if n, _ := db.UploadProcessingFailures(amieCtx, id, "Compute"); n != 1 || len(fp) != 1 || fp[0].Processing != "Unknown user" {
		t.Errorf("processing failures %d %+v", n, fp)
	}
}

func TestUsageClear_RequestThenConfirmedClearLeavesCache(t *testing.T) {
	db, now := MustOpen(t)
	if _, err := db.ReplaceAMIEFailed(amieCtx, []usage.FailedRecord{amieTestFailed(1, "TG-NEU1", "e"), amieTestFailed(2, "TG-NEU1", "e"), amieTestFailed(3, "TG-NEU1", "e")}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUsageClear(amieCtx, []int64{1, 99}, "admin", "Ada"); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("clearing an unknown record: %v", err)
	}
	if _, err := db.CreateUsageClear(amieCtx, nil, "admin", "Ada"); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("clearing nothing: %v", err)
	}
	id, err := db.CreateUsageClear(amieCtx, []int64{1, 2, 2}, "admin", "Ada")
	if err != nil {
		t.Fatal(err)
	}
	items, _ := db.OutboxByRef(amieCtx, "usage_clear:"+fmt.Sprint(id))
	if len(items) != 1 || items[0].Kind != portal.KindAMIEClear || !strings.Contains(items[0].Payload, `"failed_record_ids":[1,2]`) {
		t.Fatalf("outbox %+v", items)
	}
	before, _ := db.AMIESyncState(amieCtx)
	*now = now.Add(time.Second)
	amieTestSettle(t, db, items[0].ID, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: `{"cleared":2}`})
	c, _ := db.UsageClearByID(amieCtx, id)
	if c.State != portal.OutboxDelivered || c.Result != `{"cleared":2}` || len(c.FailedIDs) != 2 {
		t.Errorf("clear %+v", c)
	}
	left, _, _ := db.ListFailed(amieCtx, usage.FailedFilter{Scope: portal.Scope{All: true}})
	if len(left) != 1 || left[0].FailedID != 3 {
		t.Errorf("left %+v", left)
	}
	after, _ := db.AMIESyncState(amieCtx)
	if !after.FullRequested.After(before.FullRequested) {
		t.Errorf("no full re-read requested: %+v", after)
	}
	trail, _ := db.AuditTrail(amieCtx, "usage_clear:"+fmt.Sprint(id))
	if len(trail) != 2 || trail[1].From != portal.OutboxQueued || trail[1].To != portal.OutboxDelivered {
		t.Errorf("history %+v", trail)
	}
}

func TestAMIEProjectIDs(t *testing.T) {
	db, _ := MustOpen(t)
	amieTestCatalog(t, db)
	ids, all, err := db.AMIEProjectIDs(amieCtx, portal.Scope{Projects: []string{"neuro-sim"}})
	if err != nil || all || ids["TG-NEU1"] != "neuro-sim" || ids["neuro-sim"] != "neuro-sim" || len(ids) != 2 {
		t.Fatalf("manager: %v %v %v", ids, all, err)
	}
	ids, all, _ = db.AMIEProjectIDs(amieCtx, portal.Scope{All: true})
	if !all || len(ids) != 2 {
		t.Fatalf("admin: %v %v", ids, all)
	}
}
