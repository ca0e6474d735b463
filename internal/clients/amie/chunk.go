package amie

import (
	"github.com/accounting-portal/portal/internal/portal"
)

// Chunk is one POST usage/ request of a send: the records
// [First, First+Count) of the caller's slice, encoded. Its Body is always
// strictly smaller than the client's MaxBodyBytes and never splits a record.
type Chunk struct {
	UsageType UsageType
	// Index is the chunk's position (0-based) among Chunks chunks.
	Index, Chunks int
	First, Count  int
	Body          []byte
	keys          []RecordKey
}

// Keys returns the keys of the chunk's records, in order.
func (ch *Chunk) Keys() []RecordKey { return ch.keys }

// encoder is what the three record types share.
type encoder interface {
	Key() RecordKey
	Validate() error
	// encodeJSON returns the record's JSON (encode.go).
	encodeJSON(e *recordEncoder) ([]byte, error)
}

// PlanCompute validates compute records and splits them into requests,
// sending nothing. An invalid record, two records with one key, or a record
// too large for a request alone is an EINVALID/ETOOLARGE error naming it.
func (c *Client) PlanCompute(recs []ComputeRecord) ([]Chunk, error) {
	return plan(Compute, recs, c.maxBody)
}

// PlanStorage is PlanCompute for storage records.
func (c *Client) PlanStorage(recs []StorageRecord) ([]Chunk, error) {
	return plan(Storage, recs, c.maxBody)
}

// PlanAdjustments is PlanCompute for adjustment records.
func (c *Client) PlanAdjustments(recs []AdjustmentRecord) ([]Chunk, error) {
	return plan(Adjustment, recs, c.maxBody)
}

// plan encodes each record once, measuring its exact bytes, and fills
// requests greedily: a record goes into the current body if the body, with
// its separator and the closing "]}", stays below maxBody.
func plan[R any, P interface {
	*R
	encoder
}](ut UsageType, recs []R, maxBody int) ([]Chunk, error) {
	if len(recs) == 0 {
		return nil, portal.Errorf(portal.EINVALID, "AMIE: no %s records to send", ut)
	}
	prefix := `{"UsageType":"` + string(ut) + `","Records":[`
	const suffix = `]}`
	seen := make(map[RecordKey]int, len(recs))
	var chunks []Chunk
	var cur *Chunk
	enc := newRecordEncoder()
	for i := range recs {
		p := P(&recs[i])
		k := p.Key()
		if err := p.Validate(); err != nil {
			return nil, portal.WrapError(portal.EINVALID, err, "AMIE: record %d (LocalRecordID %q): %s", i+1, k.LocalRecordID, portal.ErrorMessage(err))
		}
		if j, dup := seen[k]; dup {
			return nil, portal.Errorf(portal.EINVALID, "AMIE: records %d and %d have the same Resource %q and LocalRecordID %q", j+1, i+1, k.Resource, k.LocalRecordID)
		}
		seen[k] = i
		rec, err := p.encodeJSON(enc)
		if err != nil {
			return nil, portal.WrapError(portal.EINTERNAL, err, "AMIE: record %d (LocalRecordID %q) could not be encoded", i+1, k.LocalRecordID)
		}
		if alone := len(prefix) + len(rec) + len(suffix); alone >= maxBody {
			return nil, portal.Errorf(portal.ETOOLARGE, "AMIE: record %d (LocalRecordID %q) alone makes a %d-byte request; requests must be under %d bytes", i+1, k.LocalRecordID, alone, maxBody)
		}
		if cur != nil && len(cur.Body)+1+len(rec)+len(suffix) >= maxBody {
			cur.Body = append(cur.Body, suffix...)
			cur = nil
		}
		if cur == nil {
			// Size the body for the rest at this record's size, within the bound.
			est := min(maxBody, len(prefix)+len(suffix)+(len(rec)+1)*(len(recs)-i))
			chunks = append(chunks, Chunk{UsageType: ut, Index: len(chunks), First: i, Body: append(make([]byte, 0, est), prefix...)})
			cur = &chunks[len(chunks)-1]
		} else {
			cur.Body = append(cur.Body, ',')
		}
		cur.Body = append(cur.Body, rec...)
		cur.Count++
		cur.keys = append(cur.keys, k)
	}
	cur.Body = append(cur.Body, suffix...)
	for i := range chunks {
		chunks[i].Chunks = len(chunks)
	}
	return chunks, nil
}
