package amie

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/accounting-portal/portal/internal/portal"
)

// SendResult is the upstream's answer to one chunk.
type SendResult struct {
	// Chunk, First and Count locate the chunk in the send.
	Chunk, First, Count int
	// Message is the upstream's summary ("1900 records validated and queued").
	Message string
	// Failed are the records that failed validation, with Index pointing
	// into the caller's slice; the chunk's other records were accepted.
	Failed []FailedRecord
}

// ChunkError says which chunk of a send failed. The chunks before it were
// delivered (their results are returned), the ones after it were not sent.
// Whether the failed chunk itself took effect follows its code: EUNCERTAIN
// means it may have (see the package doc), any other code that it did not.
type ChunkError struct {
	Chunk, Chunks int
	First, Count  int
	Err           error
}

func (e *ChunkError) Error() string {
	return fmt.Sprintf("chunk %d of %d (records %d-%d): %v", e.Chunk+1, e.Chunks, e.First+1, e.First+e.Count, e.Err)
}

// Unwrap returns the cause.
func (e *ChunkError) Unwrap() error { return e.Err }

// SendCompute sends compute records as one usage message, split into
// requests under the body bound, one after another. It validates and
// encodes every record before sending anything.
func (c *Client) SendCompute(ctx context.Context, recs []ComputeRecord) ([]SendResult, error) {
	chunks, err := c.PlanCompute(recs)
	if err != nil {
		return nil, err
	}
	return c.sendAll(ctx, chunks)
}

// SendStorage is SendCompute for storage records.
func (c *Client) SendStorage(ctx context.Context, recs []StorageRecord) ([]SendResult, error) {
	chunks, err := c.PlanStorage(recs)
	if err != nil {
		return nil, err
	}
	return c.sendAll(ctx, chunks)
}

// SendAdjustments is SendCompute for adjustment records.
func (c *Client) SendAdjustments(ctx context.Context, recs []AdjustmentRecord) ([]SendResult, error) {
	chunks, err := c.PlanAdjustments(recs)
	if err != nil {
		return nil, err
	}
	return c.sendAll(ctx, chunks)
}

func (c *Client) sendAll(ctx context.Context, chunks []Chunk) ([]SendResult, error) {
	results := make([]SendResult, 0, len(chunks))
	for i := range chunks {
		r, err := c.SendChunk(ctx, &chunks[i])
		if err != nil {
			return results, err
		}
		results = append(results, *r)
	}
	return results, nil
}

// SendChunk sends one planned chunk, once (a POST is never retried). An
// error is a *portal.Error wrapping a *ChunkError. A 200 answer whose body
// cannot be read is EUNCERTAIN (the transport's Decode): the records may
// have been queued.
func (c *Client) SendChunk(ctx context.Context, ch *Chunk) (*SendResult, error) {
	var reply sendReply
	decode := func(b []byte) (err error) {
		reply, err = decodeSendReply(b)
		return err
	}
	if _, err := c.doDecode(ctx, http.MethodPost, "usage/", ch.Body, decode); err != nil {
		return nil, c.chunkError(ch, err)
	}
	res := &SendResult{Chunk: ch.Index, First: ch.First, Count: ch.Count, Message: reply.Message, Failed: reply.Failed}
	ch.matchFailures(res.Failed)
	return res, nil
}

func (c *Client) chunkError(ch *Chunk, err error) error {
	var pe *portal.Error
	status := 0
	if errors.As(err, &pe) {
		status = pe.Status
	}
	ce := &ChunkError{Chunk: ch.Index, Chunks: ch.Chunks, First: ch.First, Count: ch.Count, Err: err}
	return &portal.Error{Code: portal.ErrorCode(err), Status: status, Err: ce,
		Message: fmt.Sprintf("AMIE: sending %s records %d-%d (request %d of %d): %s",
			ch.UsageType, ch.First+1, ch.First+ch.Count, ch.Index+1, max(ch.Chunks, 1), portal.ErrorMessage(err))}
}

// matchFailures points each failed record at the sent record with its key.
func (ch *Chunk) matchFailures(failed []FailedRecord) {
	if len(failed) == 0 {
		return
	}
	pos := make(map[RecordKey]int, len(ch.keys))
	for i, k := range ch.keys {
		pos[k] = ch.First + i
	}
	for i := range failed {
		k := failed[i].Key()
		k.UsageType = ch.UsageType
		if p, ok := pos[k]; ok {
			failed[i].Index = p
		}
	}
}
