package usage

import (
	"slices"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/portal"
)

// TestUploadState derives the upload's state from its requests in every
// outbox state: all of them in one state, and one of them next to a
// delivered one.
func TestUploadState(t *testing.T) {
	alone := map[string]string{
		portal.OutboxQueued: UploadQueued, portal.OutboxSending: UploadSending, portal.OutboxVerify: UploadSending,
		portal.OutboxDelivered: UploadDelivered, portal.OutboxFailed: UploadFailed, portal.OutboxUncertain: UploadUncertain,
		portal.OutboxDead: UploadFailed,
	}
	besideDelivered := map[string]string{
		portal.OutboxQueued: UploadSending, portal.OutboxSending: UploadSending, portal.OutboxVerify: UploadSending,
		portal.OutboxDelivered: UploadDelivered, portal.OutboxFailed: UploadFailed, portal.OutboxUncertain: UploadUncertain,
		portal.OutboxDead: UploadFailed,
	}
	for _, s := range portal.OutboxStates {
		if got := UploadState(map[string]int{s: 3}); got != alone[s] {
			t.Errorf("every request %s: %s, want %s", s, got, alone[s])
		}
		if got := UploadState(map[string]int{portal.OutboxDelivered: 2, s: 1}); got != besideDelivered[s] {
			t.Errorf("one request %s, two delivered: %s, want %s", s, got, besideDelivered[s])
		}
	}
	for _, c := range []struct {
		states map[string]int
		want   string
	}{
		{nil, UploadQueued},
		{map[string]int{portal.OutboxQueued: 1, portal.OutboxSending: 1}, UploadSending},
		// A refusal outweighs a request waiting for an admin.
		{map[string]int{portal.OutboxFailed: 1, portal.OutboxUncertain: 1, portal.OutboxDelivered: 1}, UploadFailed},
		// An admin sent the failed request again: the upload is on its way.
		{map[string]int{portal.OutboxQueued: 1, portal.OutboxDelivered: 1, portal.OutboxUncertain: 1}, UploadSending},
	} {
		if got := UploadState(c.states); got != c.want {
			t.Errorf("%v: %s, want %s", c.states, got, c.want)
		}
	}
	for _, s := range UploadStates {
		if UploadStateText(s) == "" {
			t.Errorf("state %s has no text", s)
		}
	}
}

// nextOutcome is what the cache's settler does to one record of a
// request: an open record the upstream refused is refused, another open
// record takes c.To (if any), and a settled one keeps its outcome.
func nextOutcome(from string, refusedHere bool, c RecordChange) string {
	switch {
	case !slices.Contains(OpenOutcomes, from):
		return from
	case refusedHere && len(c.Refused) > 0:
		return RecordRefused
	case c.To != "":
		return c.To
	}
	return from
}

// TestRecordsAfter walks every record outcome through every outbox state.
func TestRecordsAfter(t *testing.T) {
	const answer = `{"message":"2 records validated and queued, 1 failed validation","refused":[{"resource":"lynx","local_record_id":"job-1","error":"Unknown user"}]}`
	outcomes := map[string]portal.OutboxOutcome{
		"queued":              {State: portal.OutboxQueued, Error: "AMIE answered 503"},
		"sending":             {State: portal.OutboxSending},
		"verify":              {State: portal.OutboxVerify, Error: "connection reset"},
		"uncertain":           {State: portal.OutboxUncertain, Error: "connection reset"},
		"delivered":           {State: portal.OutboxDelivered, Result: answer},
		"delivered, by admin": {State: portal.OutboxDelivered, Actor: "ada", Reason: "AMIE lists them"},
		"failed":              {State: portal.OutboxFailed, Error: "AMIE answered 400: bad envelope"},
		"dead":                {State: portal.OutboxDead, Error: "AMIE unreachable"},
	}
	// want[outbox outcome][record outcome] is the record's next outcome,
	// for a record the upstream accepted and (after "/") one it refused.
	want := map[string]map[string]string{
		"queued":              {RecordPending: "pending/pending", RecordNotSent: "not sent/not sent"},
		"sending":             {RecordPending: "pending/pending", RecordNotSent: "not sent/not sent"},
		"verify":              {RecordPending: "pending/pending", RecordNotSent: "not sent/not sent"},
		"uncertain":           {RecordPending: "pending/pending", RecordNotSent: "not sent/not sent"},
		"delivered":           {RecordPending: "accepted/refused", RecordNotSent: "accepted/refused"},
		"delivered, by admin": {RecordPending: "sent/sent", RecordNotSent: "sent/sent"},
		"failed":              {RecordPending: "not sent/not sent", RecordNotSent: "not sent/not sent"},
		"dead":                {RecordPending: "not sent/not sent", RecordNotSent: "not sent/not sent"},
	}
	for name, o := range outcomes {
		c, err := RecordsAfter(o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, from := range RecordOutcomes {
			w, ok := want[name][from]
			if !ok {
				w = from + "/" + from // accepted, refused and sent records keep their outcome
			}
			if got := nextOutcome(from, false, c) + "/" + nextOutcome(from, true, c); got != w {
				t.Errorf("a %s record on %s: %s, want %s", from, name, got, w)
			}
		}
	}
	c, _ := RecordsAfter(outcomes["delivered"])
	if c.Error != "" || c.Detail != "2 records validated and queued, 1 failed validation (1 refused)" ||
		len(c.Refused) != 1 || c.Refused[0] != (RefusedRecord{Resource: "lynx", LocalRecordID: "job-1", Error: "Unknown user"}) {
		t.Errorf("delivered: %+v", c)
	}
	if c, _ := RecordsAfter(outcomes["failed"]); c.Error != "AMIE answered 400: bad envelope" || c.Detail != c.Error {
		t.Errorf("failed: %+v", c)
	}
	if c, _ := RecordsAfter(outcomes["delivered, by admin"]); c.Error != "" || c.Detail != "AMIE lists them" {
		t.Errorf("delivered by an admin: %+v", c)
	}
	if c, _ := RecordsAfter(outcomes["verify"]); c.Detail != "connection reset" {
		t.Errorf("verify: %+v", c)
	}
	if _, err := RecordsAfter(portal.OutboxOutcome{State: portal.OutboxDelivered, Result: "{not json"}); err == nil || !strings.HasPrefix(err.Error(), "result: ") {
		t.Errorf("an unreadable answer: %v", err)
	}
}

func TestUploadCountsAndChunkReason(t *testing.T) {
	a, r, n := UploadCounts(map[string]int{RecordAccepted: 3, RecordSent: 2, RecordRefused: 1, RecordNotSent: 4, RecordPending: 5})
	if a != 5 || r != 1 || n != 4 {
		t.Errorf("counts %d %d %d", a, r, n)
	}
	p := ChunkPayload{Upload: 7, Chunk: 1, First: 2, Count: 2}
	if got := ChunkReason(p, 3, portal.OutboxDelivered, "2 records validated"); got != "request 2 of 3 (records 3–4) delivered: 2 records validated" {
		t.Errorf("reason %q", got)
	}
	if got := ChunkReason(p, 3, portal.OutboxQueued, ""); got != "request 2 of 3 (records 3–4) queued" {
		t.Errorf("reason without detail %q", got)
	}
	if UploadRef(12) != "usage_upload:12" || ClearRef(12) != "usage_clear:12" {
		t.Error(UploadRef(12), ClearRef(12))
	}
}

func TestClearIDs(t *testing.T) {
	got, err := ClearIDs([]int64{3, 1, 3, 2, 1})
	if err != nil || !slices.Equal(got, []int64{3, 1, 2}) {
		t.Fatalf("%v %v", got, err)
	}
	if _, err := ClearIDs(nil); portal.ErrorCode(err) != portal.EINVALID || portal.ErrorMessage(err) != "Select at least one failed record to clear." {
		t.Errorf("none: %v", err)
	}
	many := make([]int64, MaxClearIDs+1)
	for i := range many {
		many[i] = int64(i + 1)
	}
	if _, err := ClearIDs(many); portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(portal.ErrorMessage(err), "at most 10000 failed records at a time (you selected 10001)") {
		t.Errorf("too many: %v", err)
	}
	// Duplicates count once.
	if got, err := ClearIDs(append(many[:MaxClearIDs:MaxClearIDs], 1)); err != nil || len(got) != MaxClearIDs {
		t.Errorf("the most: %d %v", len(got), err)
	}
	if ClearSummary(2) != "Clear 2 failed AMIE records" {
		t.Error(ClearSummary(2))
	}
	err = NotListed([]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	if portal.ErrorCode(err) != portal.ECONFLICT ||
		portal.ErrorMessage(err) != "12 of the selected records (1,2,3,4,5,6,7,8,9,10) are no longer listed as failed; reload the page and select again." {
		t.Errorf("not listed: %v", err)
	}
}

// TestClearAfter walks a clear request through every outbox state: it
// takes the item's state, and only a delivery confirms the clear.
func TestClearAfter(t *testing.T) {
	for _, s := range portal.OutboxStates {
		state, confirmed := ClearAfter(portal.OutboxOutcome{State: s, Error: "e"})
		if state != s || confirmed != (s == portal.OutboxDelivered) {
			t.Errorf("%s: %s confirmed %v", s, state, confirmed)
		}
	}
	if got := ClearReason(portal.OutboxOutcome{Error: "AMIE still lists 2", Reason: "checked by hand"}); got != "checked by hand" {
		t.Errorf("an admin's reason: %q", got)
	}
	if got := ClearReason(portal.OutboxOutcome{State: portal.OutboxFailed, Error: "AMIE still lists 2"}); got != "AMIE still lists 2" {
		t.Errorf("the upstream's error: %q", got)
	}
}
