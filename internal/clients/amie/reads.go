package amie

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/clients/upstream"
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

// FailedBatch is how many failed records EachFailed hands over at once.
const FailedBatch = 500

// EachFailed reads the records that failed processing and are not yet
// cleared (GET usage/failed) as the answer arrives, and hands them to
// batch in the answer's order, FailedBatch at a time (each batch a new
// slice, the caller's to keep), so that the whole list, which the API
// sends in one answer, is never held at once.
//
// Records are handed over before the answer is known to be whole: when
// EachFailed returns an error (a malformed answer, with where it is; an
// answer cut off and not recovered; an error of batch or restart, as it
// is), what was handed over is not the list and the caller drops it.
// restart is called when the records handed over so far are taken back
// and the reading starts again: before an answer cut off part way is
// read again (reads are retried), and when the answer lists its records
// under FailedRecords first and ValidationFailedRecords later.
func (c *Client) EachFailed(ctx context.Context, batch func([]FailedRecord) error, restart func() error) error {
	if batch == nil || restart == nil {
		return portal.Errorf(portal.EINTERNAL, "AMIE: EachFailed needs both batch and restart")
	}
	handed := false
	emit := func(recs []FailedRecord) error {
		handed = true
		return batch(recs)
	}
	again := func() error {
		handed = false
		return restart()
	}
	_, err := c.caller.Do(ctx, upstream.Request{Method: http.MethodGet, URL: c.base + "/usage/failed", Header: c.header, Idempotent: true,
		Stream: func(body io.Reader) error {
			if handed { // a retry after an answer cut off part way
				if err := again(); err != nil {
					return err
				}
			}
			return decodeFailedStream(body, FailedBatch, emit, again)
		}})
	if de := (*decodeError)(nil); errors.As(err, &de) {
		return malformed(portal.EUNAVAILABLE, "GET usage/failed", "%v", err)
	}
	return err
}

// FailedRecords returns the records that failed processing and are not
// yet cleared, all at once (EachFailed reads them without holding them).
func (c *Client) FailedRecords(ctx context.Context) ([]FailedRecord, error) {
	var out []FailedRecord
	err := c.EachFailed(ctx, func(recs []FailedRecord) error {
		out = append(out, recs...)
		return nil
	}, func() error {
		out = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
	out := map[RecordKey][]FailedRecord{}
	err := c.EachFailed(ctx, func(recs []FailedRecord) error {
		for _, f := range recs {
			if k := f.Key(); want[k] {
				out[k] = append(out[k], f)
			}
		}
		return nil
	}, func() error {
		clear(out)
		return nil
	})
	if err != nil {
		return nil, err
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
