package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/clients/amie"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// AMIESender sends one planned request and looks records up; *amie.Client implements it.
type AMIESender interface {
	SendChunk(ctx context.Context, ch *amie.Chunk) (*amie.SendResult, error)
	LookupFailed(ctx context.Context, keys []amie.RecordKey) (map[amie.RecordKey][]amie.FailedRecord, error)
}

// AMIEUsageStore gives the deliverer the stored requests; *cache.DB implements it.
type AMIEUsageStore interface {
	UsageChunk(ctx context.Context, id int64, chunk int) (*usage.ChunkData, error)
	UsageChunkKeys(ctx context.Context, id int64, first, count int) ([]usage.RecordKey, error)
}

// AMIEUsage delivers the requests of usage uploads (kind "amie.usage"):
// each outbox item is one planned request, sent exactly as it was stored.
// A request whose outcome is unknown is looked up (Check) before anything
// is sent again.
type AMIEUsage struct {
	Client AMIESender
	Store  AMIEUsageStore
	// AfterDelivery, if set, is called after a request was delivered (the
	// app triggers a sync with it, so the status page shows the records).
	AfterDelivery func()
}

// Deliver sends the item's request once. The upstream's answer lists the
// records it refused in validation; the others were queued.
func (d *AMIEUsage) Deliver(ctx context.Context, it portal.OutboxItem) (string, error) {
	var p usage.ChunkPayload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		return "", portal.WrapError(portal.EINVALID, err, "the outbox item's payload cannot be read")
	}
	data, err := d.Store.UsageChunk(ctx, p.Upload, p.Chunk)
	if err != nil {
		return "", err
	}
	ch := &amie.Chunk{UsageType: amie.UsageType(data.UsageType), Index: data.Chunk, Chunks: data.Chunks,
		First: data.First, Count: data.Count, Body: data.Body}
	res, err := d.Client.SendChunk(ctx, ch)
	if err != nil {
		return "", err
	}
	out := usage.ChunkResult{Message: res.Message}
	for i := range res.Failed {
		f := &res.Failed[i]
		k := f.Key()
		out.Refused = append(out.Refused, usage.RefusedRecord{Resource: k.Resource, LocalRecordID: k.LocalRecordID, Error: f.Error})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", err
	}
	if d.AfterDelivery != nil {
		d.AfterDelivery()
	}
	return string(b), nil
}

// Check looks up a request whose outcome is unknown, before anything is
// sent again. AMIE keys records by usage type, resource and LocalRecordID;
// what it lets the portal see of them is usage/failed, which names every
// received record that failed processing. If every record of the request
// is listed there, the request arrived: it is delivered, not sent again.
// Otherwise the records not listed either loaded (usage/status counts
// them per resource but does not name them) or never arrived, which the
// API cannot tell apart; the request is then sent again exactly as
// stored, which is safe: AMIE answers a record it already has as "already
// received" and does not count it twice (API.md §8, and the simulator),
// and the new answer says what became of each record.
func (d *AMIEUsage) Check(ctx context.Context, it portal.OutboxItem) (bool, string, error) {
	var p usage.ChunkPayload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		return false, "", portal.WrapError(portal.EINVALID, err, "the outbox item's payload cannot be read")
	}
	stored, err := d.Store.UsageChunkKeys(ctx, p.Upload, p.First, p.Count)
	if err != nil {
		return false, "", err
	}
	keys := make([]amie.RecordKey, len(stored))
	for i, k := range stored {
		keys[i] = amie.RecordKey{UsageType: amie.UsageType(p.UsageType), Resource: k.Resource, LocalRecordID: k.LocalRecordID}
	}
	found, err := d.Client.LookupFailed(ctx, keys)
	if err != nil {
		return false, "", err
	}
	if len(keys) > 0 && len(found) == len(keys) {
		b, err := json.Marshal(usage.ChunkResult{Message: fmt.Sprintf(
			"confirmed by a look-up: AMIE has received all %d records (it lists them as failed in processing)", len(keys))})
		if err != nil {
			return false, "", err
		}
		if d.AfterDelivery != nil {
			d.AfterDelivery()
		}
		return true, string(b), nil
	}
	return false, fmt.Sprintf("AMIE lists %d of the %d records as received; the others cannot be looked up, so the request is sent again with the same LocalRecordIDs, which AMIE does not count twice",
		len(found), len(keys)), nil
}

// AMIEClearer clears failed records and reads the list back; *amie.Client implements it.
type AMIEClearer interface {
	ClearFailed(ctx context.Context, ids []int64) (int, error)
	// EachFailed reads the failed list in batches as it arrives (see
	// amie.Client.EachFailed): the list can be tens of megabytes.
	EachFailed(ctx context.Context, batch func([]amie.FailedRecord) error, restart func() error) error
}

// AMIEClear delivers requests to clear failed records (kind "amie.clear").
// A clear counts as delivered only once a re-read of usage/failed no
// longer lists the records: the DELETE's answer alone says nothing about
// the effect (the upstream ignores ids it does not know).
type AMIEClear struct {
	Client AMIEClearer
	// AfterDelivery, if set, is called once a clear is confirmed.
	AfterDelivery func()
}

// Deliver clears the records and confirms it by a re-read.
func (d *AMIEClear) Deliver(ctx context.Context, it portal.OutboxItem) (string, error) {
	var p usage.ClearPayload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		return "", portal.WrapError(portal.EINVALID, err, "the outbox item's payload cannot be read")
	}
	n, err := d.Client.ClearFailed(ctx, p.IDs)
	if err != nil {
		return "", err
	}
	still, err := d.stillListed(ctx, p.IDs)
	if err != nil {
		return "", portal.WrapError(portal.EUNCERTAIN, err, "AMIE accepted the clear, but the failed records could not be read back to confirm it: %s", portal.ErrorMessage(err))
	}
	if len(still) > 0 {
		return "", portal.Errorf(portal.EUNCERTAIN, "AMIE accepted the clear, but still lists %d of the records as failed (%s)", len(still), amieIDList(still))
	}
	return d.confirmed(n)
}

// Check re-reads the failed records: the clear took effect when none of
// its records is listed. Otherwise the dispatcher sends it again, which is
// safe: clearing only unmarks records, so clearing twice is clearing once.
func (d *AMIEClear) Check(ctx context.Context, it portal.OutboxItem) (bool, string, error) {
	var p usage.ClearPayload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		return false, "", portal.WrapError(portal.EINVALID, err, "the outbox item's payload cannot be read")
	}
	still, err := d.stillListed(ctx, p.IDs)
	if err != nil || len(still) > 0 {
		return false, "", err
	}
	res, err := d.confirmed(len(p.IDs))
	return err == nil, res, err
}

func (d *AMIEClear) confirmed(n int) (string, error) {
	b, err := json.Marshal(usage.ClearResult{Cleared: n})
	if err != nil {
		return "", err
	}
	if d.AfterDelivery != nil {
		d.AfterDelivery()
	}
	return string(b), nil
}

// stillListed returns those of ids the upstream still lists as failed,
// reading the list as it arrives and keeping only those ids.
func (d *AMIEClear) stillListed(ctx context.Context, ids []int64) ([]int64, error) {
	want := make(map[int64]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	listed := map[int64]bool{}
	err := d.Client.EachFailed(ctx, func(recs []amie.FailedRecord) error {
		for _, f := range recs {
			if want[f.FailedRecordID] {
				listed[f.FailedRecordID] = true
			}
		}
		return nil
	}, func() error {
		clear(listed)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := slices.Collect(maps.Keys(listed))
	slices.Sort(out)
	return out, nil
}

func amieIDList(ids []int64) string {
	parts := make([]string, 0, min(len(ids), 10))
	for _, id := range ids[:min(len(ids), 10)] {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	s := strings.Join(parts, ", ")
	if len(ids) > 10 {
		s += fmt.Sprintf(" and %d more", len(ids)-10)
	}
	return s
}
