package amie

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// Status returns the processing status per resource for records processed
// between from and to (the upstream's window; the simulator takes it as
// [from, to)). A zero time leaves that end open. Times are sent in UTC,
// whole seconds.
func (c *Client) Status(ctx context.Context, from, to time.Time) ([]ResourceStatus, error) {
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return nil, portal.Errorf(portal.EINVALID, "AMIE: status window ends (%s) before it starts (%s)", to.UTC().Format(TimeLayout), from.UTC().Format(TimeLayout))
	}
	q := url.Values{}
	if !from.IsZero() {
		q.Set("FromTime", from.UTC().Format(TimeLayout))
	}
	if !to.IsZero() {
		q.Set("ToTime", to.UTC().Format(TimeLayout))
	}
	path := "usage/status"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	st, err := decodeStatus(resp.Body)
	if err != nil {
		return nil, malformed(portal.EUNAVAILABLE, "GET usage/status", "%v", err)
	}
	return st, nil
}

// FailedRecords returns the records that failed processing and are not yet cleared.
func (c *Client) FailedRecords(ctx context.Context) ([]FailedRecord, error) {
	resp, err := c.do(ctx, http.MethodGet, "usage/failed", nil)
	if err != nil {
		return nil, err
	}
	failed, err := decodeFailedAnswer(resp.Body)
	if err != nil {
		return nil, malformed(portal.EUNAVAILABLE, "GET usage/failed", "%v", err)
	}
	return failed, nil
}

// LookupFailed returns, for those of keys the upstream lists as failed
// (not cleared), their failed records. It is how the portal confirms an
// uncertain send: a key found here was received (and failed processing);
// a key not found was either loaded or never received, which the API does
// not tell apart, so the record is re-sent with the same LocalRecordID,
// which the upstream does not count twice.
func (c *Client) LookupFailed(ctx context.Context, keys []RecordKey) (map[RecordKey][]FailedRecord, error) {
	want := make(map[RecordKey]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	failed, err := c.FailedRecords(ctx)
	if err != nil {
		return nil, err
	}
	out := map[RecordKey][]FailedRecord{}
	for _, f := range failed {
		if k := f.Key(); want[k] {
			out[k] = append(out[k], f)
		}
	}
	return out, nil
}

// ClearFailed unmarks failed records by FailedRecordID: DELETE
// usage/failed/{ids} with the ids joined by commas, in as many requests as
// keep each URL within MaxURLBytes. Duplicates are sent once. It returns
// how many ids were in requests the upstream accepted; on an error the
// later requests were not sent (a DELETE is never retried here).
func (c *Client) ClearFailed(ctx context.Context, ids []int64) (int, error) {
	batches, err := c.clearBatches(ids)
	if err != nil {
		return 0, err
	}
	done := 0
	for i, b := range batches {
		if _, err := c.do(ctx, http.MethodDelete, "usage/failed/"+b.path, nil); err != nil {
			return done, portal.WrapError(portal.ErrorCode(err), err, "AMIE: clearing failed records (request %d of %d, %d of %d ids done): %s",
				i+1, len(batches), done, done+countRest(batches[i:]), portal.ErrorMessage(err))
		}
		done += b.n
	}
	return done, nil
}

type clearBatch struct {
	path string
	n    int
}

func countRest(bs []clearBatch) int {
	n := 0
	for _, b := range bs {
		n += b.n
	}
	return n
}

// clearBatches joins the ids into comma lists whose URLs fit the bound.
func (c *Client) clearBatches(ids []int64) ([]clearBatch, error) {
	room := c.maxURL - len(c.base) - len("/usage/failed/")
	seen := map[int64]bool{}
	var out []clearBatch
	var cur strings.Builder
	n := 0
	for _, id := range ids {
		if id <= 0 {
			return nil, portal.Errorf(portal.EINVALID, "AMIE: FailedRecordID %d is not a positive integer", id)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		s := strconv.FormatInt(id, 10)
		if n > 0 && cur.Len()+1+len(s) > room {
			out = append(out, clearBatch{cur.String(), n})
			cur.Reset()
			n = 0
		}
		if n > 0 {
			cur.WriteByte(',')
		}
		cur.WriteString(s)
		n++
	}
	if n == 0 {
		return nil, portal.Errorf(portal.EINVALID, "AMIE: no failed records to clear")
	}
	return append(out, clearBatch{cur.String(), n}), nil
}
