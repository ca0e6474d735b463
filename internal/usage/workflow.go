package usage

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
)

// The state machines of uploads and clear requests, as pure functions:
// the cache's settlers load what they need, ask these, and write the
// answer in the transaction that records the outbox item's new state.

// UploadState derives an upload's state from how many of its requests'
// outbox items are in each outbox state: delivered when all are; queued
// while none has been tried; sending while some are on their way; once
// all are settled, failed when one was refused or given up, else
// uncertain when one waits for an admin.
func UploadState(states map[string]int) string {
	inFlight := states[portal.OutboxQueued] + states[portal.OutboxSending] + states[portal.OutboxVerify]
	total := 0
	for _, n := range states {
		total += n
	}
	switch {
	case total > 0 && states[portal.OutboxDelivered] == total:
		return UploadDelivered
	case inFlight > 0 && inFlight == states[portal.OutboxQueued] && total == inFlight:
		return UploadQueued
	case inFlight > 0:
		return UploadSending
	case states[portal.OutboxFailed]+states[portal.OutboxDead] > 0:
		return UploadFailed
	case states[portal.OutboxUncertain] > 0:
		return UploadUncertain
	}
	return UploadQueued
}

// UploadStateText explains an upload state to people.
func UploadStateText(state string) string {
	return map[string]string{
		UploadQueued:    "waiting to be sent",
		UploadSending:   "being sent",
		UploadDelivered: "every request delivered",
		UploadFailed:    "some requests were refused or given up",
		UploadUncertain: "some requests may or may not have arrived; an admin decides",
	}[state]
}

// OpenOutcomes are the outcomes of records that take their request's
// next outcome: not settled yet, or settled as not sent by an attempt an
// admin has since sent again. Accepted, refused and sent records keep
// theirs.
var OpenOutcomes = []string{RecordPending, RecordNotSent}

// RecordChange is what an outbox outcome of one request does to its open
// records (OpenOutcomes).
type RecordChange struct {
	// Refused are the records the upstream refused in validation: they
	// become RecordRefused with their error, before the others change.
	Refused []RefusedRecord
	// To is what the request's other open records become, with Error;
	// "" leaves them as they are (the request is not settled yet).
	To, Error string
	// Detail is what the upload's history says of the outcome.
	Detail string
}

// RecordsAfter is what the records of a request become when its outbox
// item reaches outcome o: delivered with the upstream's answer (o.Result,
// a ChunkResult), the records it refused are refused and the rest
// accepted; delivered on an admin's word (no result), they were sent, with
// no answer per record; failed or dead, they were not sent, for o.Error.
// Any other state (queued, sending, verify, uncertain) changes no record.
func RecordsAfter(o portal.OutboxOutcome) (RecordChange, error) {
	switch o.State {
	case portal.OutboxDelivered:
		if o.Result == "" {
			return RecordChange{To: RecordSent, Detail: o.Reason}, nil
		}
		var res ChunkResult
		if err := json.Unmarshal([]byte(o.Result), &res); err != nil {
			return RecordChange{}, fmt.Errorf("result: %w", err)
		}
		c := RecordChange{Refused: res.Refused, To: RecordAccepted, Detail: res.Message}
		if n := len(res.Refused); n > 0 {
			c.Detail += fmt.Sprintf(" (%d refused)", n)
		}
		return c, nil
	case portal.OutboxFailed, portal.OutboxDead:
		return RecordChange{To: RecordNotSent, Error: o.Error, Detail: o.Error}, nil
	}
	return RecordChange{Detail: o.Error}, nil
}

// UploadCounts returns an upload's counters from how many of its records
// have each outcome: records sent on an admin's word count as accepted.
func UploadCounts(outcomes map[string]int) (accepted, refused, notSent int) {
	return outcomes[RecordAccepted] + outcomes[RecordSent], outcomes[RecordRefused], outcomes[RecordNotSent]
}

// ChunkReason is the line an upload's history gives for request p (of
// chunks) reaching outbox state, with the outcome's detail.
func ChunkReason(p ChunkPayload, chunks int, state, detail string) string {
	reason := fmt.Sprintf("request %d of %d (records %d–%d) %s", p.Chunk+1, chunks, p.First+1, p.First+p.Count, state)
	if detail != "" {
		reason += ": " + detail
	}
	return reason
}

// ClearIDs checks the failed records a clear request names and returns
// them once each, in the order given: at least one, at most MaxClearIDs.
func ClearIDs(ids []int64) ([]int64, error) {
	seen := map[int64]bool{}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	switch {
	case len(out) == 0:
		return nil, portal.Errorf(portal.EINVALID, "Select at least one failed record to clear.")
	case len(out) > MaxClearIDs:
		return nil, portal.Errorf(portal.EINVALID, "Select at most %d failed records at a time (you selected %d).", MaxClearIDs, len(out))
	}
	return out, nil
}

// ClearSummary describes a clear request of n records in one line.
func ClearSummary(n int) string { return fmt.Sprintf("Clear %d failed AMIE records", n) }

// NotListed refuses a clear request naming records the portal no longer
// lists as failed (missing), naming the first ten.
func NotListed(missing []int64) error {
	shown := make([]string, 0, 10)
	for _, id := range missing[:min(len(missing), 10)] {
		shown = append(shown, strconv.FormatInt(id, 10))
	}
	return portal.Errorf(portal.ECONFLICT, "%d of the selected records (%s) are no longer listed as failed; reload the page and select again.",
		len(missing), strings.Join(shown, ","))
}

// ClearAfter is the state a clear request takes when its outbox item
// reaches outcome o: the item's state. confirmed is set when that is
// delivered: AMIE no longer lists the records (the deliverer read them
// back), so they leave the cache and the status of past days must be read
// again.
func ClearAfter(o portal.OutboxOutcome) (state string, confirmed bool) {
	return o.State, o.State == portal.OutboxDelivered
}

// ClearReason is the reason a clear request's history gives for outcome
// o: the admin's reason, else the upstream's error.
func ClearReason(o portal.OutboxOutcome) string {
	if o.Reason != "" {
		return o.Reason
	}
	return o.Error
}
