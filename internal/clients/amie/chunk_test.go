package amie

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func computeRec(i int, jobName string) ComputeRecord {
	return ComputeRecord{Username: "asmith", LocalProjectID: "TG-NEU240001", LocalRecordID: fmt.Sprintf("job-%d", i),
		Resource: "lynx.north-dc.example.org", SubmitTime: t0, StartTime: t0.Add(time.Minute), EndTime: t0.Add(time.Hour),
		Charge: decimal.MustParse("12.50"), Attributes: ComputeAttributes{NodeCount: Int(1), CpuCoreCount: Int(16), JobName: jobName},
		LocalReference: fmt.Sprintf("row-%d", i)}
}

func newTestClient(t testing.TB, base string, maxBody int) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: base, Site: "SIMSITE", APIKey: "sim-amie-api-key", MaxBodyBytes: maxBody, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bodyOf is the size of the one-request body holding recs.
func bodyOf(t *testing.T, recs []ComputeRecord) int {
	t.Helper()
	c := newTestClient(t, "http://x", 1<<30)
	chunks, err := c.PlanCompute(recs)
	if err != nil || len(chunks) != 1 {
		t.Fatalf("plan: %v %d", err, len(chunks))
	}
	return len(chunks[0].Body)
}

// recordsOfSize returns n records whose one-request body is exactly size
// bytes, padding the last record's JobName.
func recordsOfSize(t *testing.T, n, size int) []ComputeRecord {
	t.Helper()
	recs := make([]ComputeRecord, n)
	for i := range recs {
		recs[i] = computeRec(i, "j")
	}
	pad := size - bodyOf(t, recs)
	if pad < 0 {
		t.Fatalf("%d records are already %d bytes over %d", n, -pad, size)
	}
	recs[n-1].Attributes.JobName += strings.Repeat("x", pad)
	if got := bodyOf(t, recs); got != size {
		t.Fatalf("padded body is %d bytes, want %d", got, size)
	}
	return recs
}

// checkChunks asserts every body is under max, is valid JSON of the right
// type, and that together they hold every record once, in order.
func checkChunks(t *testing.T, chunks []Chunk, recs []ComputeRecord, max int) {
	t.Helper()
	next := 0
	for i, ch := range chunks {
		if len(ch.Body) >= max {
			t.Errorf("chunk %d is %d bytes, not under %d", i, len(ch.Body), max)
		}
		var msg struct {
			UsageType string
			Records   []struct{ LocalRecordID string }
		}
		if err := json.Unmarshal(ch.Body, &msg); err != nil {
			t.Fatalf("chunk %d is not JSON: %v", i, err)
		}
		if msg.UsageType != "Compute" || ch.First != next || ch.Count != len(msg.Records) || ch.Index != i || ch.Chunks != len(chunks) {
			t.Fatalf("chunk %d: type %s first %d count %d (%d records) index %d/%d; want first %d",
				i, msg.UsageType, ch.First, ch.Count, len(msg.Records), ch.Index, ch.Chunks, next)
		}
		for j, r := range msg.Records {
			if r.LocalRecordID != recs[next+j].LocalRecordID {
				t.Fatalf("chunk %d record %d is %s, want %s", i, j, r.LocalRecordID, recs[next+j].LocalRecordID)
			}
		}
		next += ch.Count
	}
	if next != len(recs) {
		t.Fatalf("chunks hold %d records, want %d", next, len(recs))
	}
}

func TestPlan_Boundary(t *testing.T) {
	for _, max := range []int{4096, MaxBodyBytes} {
		n := max / 400
		c := newTestClient(t, "http://x", max)
		t.Run(fmt.Sprintf("max %d: one byte under fits one request", max), func(t *testing.T) {
			recs := recordsOfSize(t, n, max-1)
			chunks, err := c.PlanCompute(recs)
			if err != nil {
				t.Fatal(err)
			}
			if len(chunks) != 1 || len(chunks[0].Body) != max-1 {
				t.Fatalf("%d chunks, first %d bytes; want 1 of %d", len(chunks), len(chunks[0].Body), max-1)
			}
			checkChunks(t, chunks, recs, max)
		})
		t.Run(fmt.Sprintf("max %d: exactly the limit splits in two", max), func(t *testing.T) {
			recs := recordsOfSize(t, n, max)
			chunks, err := c.PlanCompute(recs)
			if err != nil {
				t.Fatal(err)
			}
			if len(chunks) != 2 || chunks[1].Count != 1 {
				t.Fatalf("%d chunks (last holds %d); want 2 with the last record alone", len(chunks), chunks[len(chunks)-1].Count)
			}
			checkChunks(t, chunks, recs, max)
		})
		t.Run(fmt.Sprintf("max %d: one byte over splits in two", max), func(t *testing.T) {
			recs := recordsOfSize(t, n, max+1)
			chunks, err := c.PlanCompute(recs)
			if err != nil {
				t.Fatal(err)
			}
			if len(chunks) != 2 {
				t.Fatalf("%d chunks, want 2", len(chunks))
			}
			checkChunks(t, chunks, recs, max)
		})
	}
}

func TestPlan_SingleRecordOverTheLimit(t *testing.T) {
	const max = 4096
	c := newTestClient(t, "http://x", max)
	fits := recordsOfSize(t, 1, max-1)
	if chunks, err := c.PlanCompute(fits); err != nil || len(chunks) != 1 {
		t.Fatalf("a record making a %d-byte body: %v, %d chunks", max-1, err, len(chunks))
	}
	for _, size := range []int{max, max + 1, 10 * max} {
		big := recordsOfSize(t, 1, size)[0]
		recs := []ComputeRecord{computeRec(100, "a"), big, computeRec(101, "b")}
		_, err := c.PlanCompute(recs)
		if !portal.IsCode(err, portal.ETOOLARGE) {
			t.Fatalf("size %d: err %v, want ETOOLARGE", size, err)
		}
		if msg := portal.ErrorMessage(err); !strings.Contains(msg, `"job-0"`) || !strings.Contains(msg, "record 2") {
			t.Fatalf("the error must name the record: %s", msg)
		}
	}
}

func TestPlan_RandomSizesNeverSplitARecordAndPackGreedily(t *testing.T) {
	const max = 8192
	c := newTestClient(t, "http://x", max)
	rng := rand.New(rand.NewPCG(1, 2))
	recs := make([]ComputeRecord, 500)
	for i := range recs {
		recs[i] = computeRec(i, strings.Repeat("n", rng.IntN(3000)))
	}
	chunks, err := c.PlanCompute(recs)
	if err != nil {
		t.Fatal(err)
	}
	checkChunks(t, chunks, recs, max)
	enc := newRecordEncoder()
	for i := 0; i+1 < len(chunks); i++ {
		next, err := recs[chunks[i+1].First].encodeJSON(enc)
		if err != nil {
			t.Fatal(err)
		}
		if extra := len(next) + 1; len(chunks[i].Body)+extra < max {
			t.Fatalf("chunk %d (%d bytes) had room for the next record (%d bytes)", i, len(chunks[i].Body), extra)
		}
	}
}

func TestPlan_RefusesInvalidRecordsNamingThem(t *testing.T) {
	c := newTestClient(t, "http://x", 0)
	bad := computeRec(7, "x")
	bad.EndTime = bad.StartTime.Add(-time.Second)
	dup := []ComputeRecord{computeRec(1, "a"), computeRec(1, "b")}
	for name, tc := range map[string]struct {
		recs []ComputeRecord
		want string
	}{
		"end before start": {[]ComputeRecord{computeRec(0, "a"), bad}, `record 2 (LocalRecordID "job-7"): EndTime is before StartTime`},
		"duplicate key":    {dup, `records 1 and 2 have the same Resource`},
		"empty":            {nil, "no Compute records"},
	} {
		_, err := c.PlanCompute(tc.recs)
		if !portal.IsCode(err, portal.EINVALID) || !strings.Contains(portal.ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v, want EINVALID containing %q", name, err, tc.want)
		}
	}
	_, err := c.PlanAdjustments([]AdjustmentRecord{{AdjustmentType: "Refund", Charge: decimal.MustParse("-5"), StartTime: t0,
		LocalProjectID: "p", LocalRecordID: "a", Resource: "r", Username: "u"}})
	if !portal.IsCode(err, portal.EINVALID) {
		t.Fatalf("capitalised adjustment type: %v", err)
	}
}
