package amie

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

const upstreamDir = "testdata/upstream/"

type example struct {
	Name, Method, Path string
	Status             int
	Body               json.RawMessage
}

func loadExamples(t testing.TB) []example {
	t.Helper()
	b, err := os.ReadFile(upstreamDir + "amieclient-parseable-responses.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Responses []example }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Responses
}

// TestFixtures_ParseableResponses serves every reply amieclient was shown
// to parse and reads it with the method that calls that endpoint.
func TestFixtures_ParseableResponses(t *testing.T) {
	ctx := context.Background()
	seen := 0
	for _, ex := range loadExamples(t) {
		rc, c, _ := newRecorder(t, ex.Status, string(ex.Body))
		var err error
		switch {
		case ex.Status >= 400:
			_, err = c.SendCompute(ctx, []ComputeRecord{computeRec(1, "a")})
			var want map[string]string
			json.Unmarshal(ex.Body, &want)
			if err == nil || !strings.Contains(portal.ErrorMessage(err), want["error"]) {
				t.Errorf("%s: %v must carry %q", ex.Name, err, want["error"])
			}
			err = nil
		case ex.Method == "POST":
			err = checkSendExample(ctx, c, ex)
		case ex.Method == "DELETE":
			_, err = c.ClearFailed(ctx, []int64{101, 102})
			if err == nil && rc.reqs[0].uri != "/api/v1/usage/failed/101,102" {
				t.Errorf("%s: sent %s", ex.Name, rc.reqs[0].uri)
			}
		case strings.HasPrefix(ex.Path, "usage/failed"):
			err = checkFailedExample(ctx, c, ex)
		case strings.HasPrefix(ex.Path, "usage/status"):
			err = checkStatusExample(ctx, c, ex)
		default:
			t.Fatalf("%s: no reader for %s %s", ex.Name, ex.Method, ex.Path)
		}
		if err != nil {
			t.Errorf("%s: %v", ex.Name, err)
		}
		seen++
	}
	if seen < 9 {
		t.Fatalf("only %d examples", seen)
	}
}

func checkSendExample(ctx context.Context, c *Client, ex example) error {
	// The record with the failed key, so its failure maps back to index 0.
	rec := computeRec(0, "a")
	rec.Resource, rec.LocalRecordID = "bridges2.psc.access-ci.org", "1"
	res, err := c.SendCompute(ctx, []ComputeRecord{rec})
	if err != nil {
		return err
	}
	var want struct {
		Message                 string
		ValidationFailedRecords []map[string]any
	}
	json.Unmarshal(ex.Body, &want)
	got := res[0]
	if got.Message != want.Message || len(got.Failed) != len(want.ValidationFailedRecords) {
		return errorf("message %q, %d failures", got.Message, len(got.Failed))
	}
	if len(got.Failed) == 2 {
		f0, f1 := got.Failed[0], got.Failed[1]
		if f0.Index != 0 || f0.FailedRecordID != 101 || f0.Error != "Unknown LocalProjectID" || f0.Compute.LocalReference != "db-42" ||
			*f0.Compute.Attributes.NodeCount != 1 || !f0.Compute.EndTime.Equal(time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC)) {
			return errorf("compute failure %+v %+v", f0, f0.Compute)
		}
		if f1.Index != -1 || f1.Adjustment == nil || f1.Adjustment.AdjustmentType != Refund || !f1.Adjustment.Charge.Equal(decimal.MustParse("-5")) ||
			f1.Adjustment.Comment != "job failed" || len(f1.Problems) != 0 {
			return errorf("adjustment failure %+v %+v", f1, f1.Adjustment)
		}
	}
	return nil
}

func checkFailedExample(ctx context.Context, c *Client, ex example) error {
	failed, err := c.FailedRecords(ctx)
	if err != nil {
		return err
	}
	if bytes.Contains(ex.Body, []byte(`"FailedRecordID"`)) {
		if len(failed) != 1 || failed[0].FailedRecordID != 101 || failed[0].Key() != (RecordKey{Compute, "bridges2.psc.access-ci.org", "1"}) {
			return errorf("failed %+v", failed)
		}
	} else if len(failed) != 0 {
		return errorf("failed %+v, want none", failed)
	}
	return nil
}

func checkStatusExample(ctx context.Context, c *Client, ex example) error {
	st, err := c.Status(ctx, time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	if string(ex.Body) == "[]" {
		if len(st) != 0 {
			return errorf("status %+v, want none", st)
		}
		return nil
	}
	if len(st) != 2 || st[0].LoadedRecordCount != 10 || st[0].FailedJobCount != 1 || st[0].TotalCharge.String() != "100.5" ||
		len(st[0].Errors) != 1 || st[0].Errors[0].Records[0].Compute.Charge.String() != "1" || st[1].Errors != nil {
		return errorf("status %+v", st)
	}
	return nil
}

func errorf(format string, args ...any) error {
	return portal.Errorf(portal.EINTERNAL, format, args...)
}

// TestFixtures_EncodingMatchesTheCapture encodes the records amieclient sent
// in the capture and compares them field by field with what it sent; the
// only intended difference is ParentRecordID, a plain string (or left out)
// instead of amieclient's one-element array.
func TestFixtures_EncodingMatchesTheCapture(t *testing.T) {
	b, err := os.ReadFile(upstreamDir + "amieclient-0.6.1-wire-capture.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var c struct {
			Method  string
			BodyRaw string `json:"body_raw"`
		}
		json.Unmarshal(line, &c)
		if c.Method != "POST" {
			continue
		}
		body := reencode(t, []byte(c.BodyRaw))
		if got, want := normalise(t, body), normalise(t, []byte(c.BodyRaw)); !reflect.DeepEqual(got, want) {
			t.Errorf("ours:  %s\ntheirs: %s", body, c.BodyRaw)
		}
		checked++
	}
	if checked != 4 {
		t.Fatalf("checked %d POST bodies, want 4", checked)
	}
}

// reencode decodes a captured message with the client's own decoder and
// encodes it again with the client's planner.
func reencode(t *testing.T, raw []byte) []byte {
	t.Helper()
	var env struct {
		UsageType string
		Records   []json.RawMessage
	}
	json.Unmarshal(raw, &env)
	c := newTestClient(t, "http://x", 0)
	var chunks []Chunk
	var err error
	switch UsageType(env.UsageType) {
	case Compute:
		var recs []ComputeRecord
		for i, r := range env.Records {
			f, _ := decodeRecord(t, r, Compute)
			recs = append(recs, *f.Compute)
			if len(f.Problems) > 0 {
				t.Fatalf("record %d: %v", i, f.Problems)
			}
		}
		chunks, err = c.PlanCompute(recs)
	case Storage:
		f, _ := decodeRecord(t, env.Records[0], Storage)
		chunks, err = c.PlanStorage([]StorageRecord{*f.Storage})
	case Adjustment:
		f, _ := decodeRecord(t, env.Records[0], Adjustment)
		chunks, err = c.PlanAdjustments([]AdjustmentRecord{*f.Adjustment})
	}
	if err != nil || len(chunks) != 1 {
		t.Fatalf("plan: %v", err)
	}
	return chunks[0].Body
}

// decodeRecord reads a record as the client reads a failed one.
func decodeRecord(t *testing.T, raw json.RawMessage, ut UsageType) (FailedRecord, error) {
	t.Helper()
	var w failedWire
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	return w.record(ut, "")
}

// normalise decodes a message, turning amieclient's ParentRecordID array
// into the plain value it stands for.
func normalise(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for _, r := range m["Records"].([]any) {
		rec := r.(map[string]any)
		if list, ok := rec["ParentRecordID"].([]any); ok {
			if len(list) == 0 || list[0] == nil {
				delete(rec, "ParentRecordID")
			} else {
				rec["ParentRecordID"] = list[0]
			}
		}
	}
	return m
}
