package amie

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/accounting-portal/portal/internal/portal"
)

// failedJSON is one failed compute record as the upstream lists it.
func failedJSON(id int) string {
	return fmt.Sprintf(`{"UsageType": "Compute", "Error": "Unknown user", "FailedRecordID": %d, "Username": "u%d", "LocalProjectID": "TG-X",
		"LocalRecordID": "job-%d", "Resource": "r1", "SubmitTime": "2024-05-01T10:00:00Z", "StartTime": "2024-05-01T10:00:00Z",
		"EndTime": "2024-05-01T11:00:00Z", "Charge": "%d.5", "Attributes": {"NodeCount": "1"}}`, id, id, id, id)
}

// failedAnswer is {"ValidationFailedRecords": [...]} with records 1..n,
// record bad (1-based; 0 for none) replaced by badJSON.
func failedAnswer(n, bad int, badJSON string) string {
	var b strings.Builder
	b.WriteString(`{"ValidationFailedRecords": [`)
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(", ")
		}
		if i == bad {
			b.WriteString(badJSON)
		} else {
			b.WriteString(failedJSON(i))
		}
	}
	b.WriteString("]}")
	return b.String()
}

// collector is what EachFailed hands over: the batches and the restarts.
type collector struct {
	batches  []int
	ids      []int64
	restarts int
}

func (c *collector) batch(recs []FailedRecord) error {
	c.batches = append(c.batches, len(recs))
	for _, f := range recs {
		c.ids = append(c.ids, f.FailedRecordID)
	}
	return nil
}

func (c *collector) restart() error {
	c.restarts++
	c.ids = nil
	return nil
}

func serve(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL+"/api/v1", 0)
	c.caller.Backoff = 1
	return c
}

func TestEachFailed_BatchesInOrder(t *testing.T) {
	body := failedAnswer(1234, 0, "")
	c := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
	var got collector
	if err := c.EachFailed(context.Background(), got.batch, got.restart); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.batches) != "[500 500 234]" || got.restarts != 0 || len(got.ids) != 1234 || got.ids[0] != 1 || got.ids[1233] != 1234 {
		t.Fatalf("batches %v, restarts %d, %d ids", got.batches, got.restarts, len(got.ids))
	}
	// The same records as the whole answer decoded at once.
	whole, err := decodeFailedWhole([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	all, err := c.FailedRecords(context.Background())
	if err != nil || len(all) != len(whole) {
		t.Fatalf("%d records, want %d: %v", len(all), len(whole), err)
	}
	for i := range all {
		if !reflect.DeepEqual(all[i], whole[i]) {
			t.Fatalf("record %d: %+v, want %+v", i, all[i], whole[i])
		}
	}
}

// A malformed answer is refused with where it is, however far in: the
// records handed over before it are not the list (the caller drops them,
// which the syncer's and the cache's tests check).
func TestEachFailed_MalformedInTheMiddleSaysWhere(t *testing.T) {
	cases := []struct {
		name, bad, want string
	}{
		{"unknown type", `{"UsageType": "Nope", "Attributes": {}}`, `GET usage/failed: ValidationFailedRecords[1100].UsageType: "Nope" is not Compute, Storage or Adjustment`},
		{"not an object", `17`, `GET usage/failed: ValidationFailedRecords[1100]: not a JSON object`},
		{"broken JSON", `{"UsageType": "Compute", "Charge": 1.5.0}`, `GET usage/failed: not valid JSON at byte `},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := failedAnswer(1500, 1101, tc.bad)
			c := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
			c.caller.Retries = 2
			var got collector
			err := c.EachFailed(context.Background(), got.batch, got.restart)
			if !portal.IsCode(err, portal.EUNAVAILABLE) || !strings.Contains(portal.ErrorMessage(err), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if tc.name == "broken JSON" && !strings.Contains(portal.ErrorMessage(err), ", in ValidationFailedRecords[1100]: ") {
				t.Errorf("%v does not name the record", err)
			}
			// Two batches were handed over before the problem was met.
			if fmt.Sprint(got.batches) != "[500 500]" || got.restarts != 0 {
				t.Errorf("batches %v, restarts %d", got.batches, got.restarts)
			}
		})
	}
}

// The first batch is handed over while the answer is still arriving:
// the server sends the rest only once the caller has it, which a client
// reading the whole answer first would never see (it would time out).
func TestEachFailed_HandsOverBeforeTheAnswerEnds(t *testing.T) {
	sawFirst := make(chan struct{})
	body := failedAnswer(2000, 0, "")
	half := strings.Index(body, failedJSON(700))
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, body[:half])
		w.(http.Flusher).Flush()
		select {
		case <-sawFirst:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, body[half:])
	})
	var got collector
	err := c.EachFailed(context.Background(), func(recs []FailedRecord) error {
		if len(got.batches) == 0 {
			close(sawFirst)
		}
		return got.batch(recs)
	}, got.restart)
	if err != nil || len(got.ids) != 2000 {
		t.Fatalf("%d records: %v", len(got.ids), err)
	}
}

// An answer cut off part way is read again (reads are retried), and the
// caller is told to drop what it was handed first.
func TestEachFailed_CutOffAnswerIsReadAgainFromTheStart(t *testing.T) {
	body := failedAnswer(1200, 0, "")
	var calls atomic.Int32
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			fmt.Fprint(w, body[:len(body)*2/3])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // the connection is cut
		}
		fmt.Fprint(w, body)
	})
	c.caller.Retries = 1
	var got collector
	if err := c.EachFailed(context.Background(), got.batch, got.restart); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || got.restarts != 1 || len(got.ids) != 1200 || got.ids[0] != 1 || got.ids[1199] != 1200 {
		t.Fatalf("%d calls, %d restarts, %d ids", calls.Load(), got.restarts, len(got.ids))
	}
	// Without a retry left, the cut is the error, as for any read.
	calls.Store(0)
	c.caller.Retries = 0
	got = collector{}
	if err := c.EachFailed(context.Background(), got.batch, got.restart); !portal.IsCode(err, portal.EUNAVAILABLE) || !strings.Contains(portal.ErrorMessage(err), "cut off") {
		t.Fatalf("cut off without a retry: %v", err)
	}
}

// The caller's own error stops the reading, as it is and without a retry.
func TestEachFailed_CallerErrorStopsTheRead(t *testing.T) {
	var calls atomic.Int32
	body := failedAnswer(1200, 0, "")
	c := serve(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1); fmt.Fprint(w, body) })
	c.caller.Retries = 2
	stop := portal.Errorf(portal.EUNAVAILABLE, "the store is full")
	err := c.EachFailed(context.Background(), func([]FailedRecord) error { return stop }, func() error { return nil })
	if err != stop || calls.Load() != 1 {
		t.Fatalf("error %v after %d calls", err, calls.Load())
	}
}

// A FailedRecords list before a ValidationFailedRecords one is handed
// over, then taken back; a list key given twice is refused.
func TestDecodeFailedStream_WhichListAndRestart(t *testing.T) {
	body := `{"FailedRecords": [` + failedJSON(1) + `,` + failedJSON(2) + `,` + failedJSON(3) + `,` + failedJSON(4) +
		`], "ValidationFailedRecords": [` + failedJSON(5) + `]}`
	var got collector
	if err := decodeFailedStream(strings.NewReader(body), 3, got.batch, got.restart); err != nil {
		t.Fatal(err)
	}
	if got.restarts != 1 || fmt.Sprint(got.ids) != "[5]" {
		t.Fatalf("restarts %d, ids %v", got.restarts, got.ids)
	}
	got = collector{}
	err := decodeFailedStream(strings.NewReader(`{"ValidationFailedRecords": [], "validationFailedRecords": []}`), 3, got.batch, got.restart)
	if err == nil || err.Error() != "ValidationFailedRecords: given twice" {
		t.Fatalf("a key twice: %v", err)
	}
	err = decodeFailedStream(strings.NewReader(`{"ValidationFailedRecords": []} {}`), 3, got.batch, got.restart)
	if err == nil || !strings.Contains(err.Error(), "more follows the answer's object") {
		t.Fatalf("more after the answer: %v", err)
	}
}
