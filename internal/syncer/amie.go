package syncer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/clients/amie"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// AMIEReader is what the AMIE sync reads; *amie.Client implements it.
type AMIEReader interface {
	Status(ctx context.Context, from, to time.Time) ([]amie.ResourceStatus, error)
	// EachFailed hands over the failed records in batches as it reads
	// them; restart takes back the batches handed over (amie.Client.EachFailed).
	EachFailed(ctx context.Context, batch func([]amie.FailedRecord) error, restart func() error) error
}

// AMIEStore is where the AMIE sync writes; *cache.DB implements it.
type AMIEStore interface {
	AMIESyncState(ctx context.Context) (usage.SyncState, error)
	SaveAMIEStatus(ctx context.Context, rows []usage.StatusDay, from, to, started time.Time, full bool) (int64, error)
	// ReplaceAMIEFailedStream replaces the failed records with the list
	// read hands to add batch by batch; an error of read leaves the
	// previous list as it was (cache.DB.ReplaceAMIEFailedStream).
	ReplaceAMIEFailedStream(ctx context.Context, read func(add func([]usage.FailedRecord) error, restart func() error) error) (int64, error)
}

// AMIEOptions tune the AMIE sync; zero values take the defaults.
type AMIEOptions struct {
	// WindowDays is how many days before today a full read covers (default 90).
	WindowDays int
	// RecentDays is how many days before today every run re-reads (default 3).
	RecentDays int
	// FullEvery is how often the whole window is re-read (default 24 hours).
	FullEvery time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (o *AMIEOptions) defaults() {
	if o.WindowDays <= 0 {
		o.WindowDays = 90
	}
	if o.RecentDays <= 0 {
		o.RecentDays = 3
	}
	if o.FullEvery <= 0 {
		o.FullEvery = 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// AMIEJob is the AMIE sync: the processing status per resource and UTC
// day, then the whole list of failed records.
//
// The status comes one day at a time (one usage/status call per day),
// which gives exact per-day counts: the upstream counts a record on the
// day it was processed, and only its answer for a window can say which
// records fall in it. Which days are read:
//
//   - the first run, and at most once a day after that, the whole window
//     (WindowDays before today, plus today). Past days do change: clearing
//     failed records lowers their failed counts, a re-sent record with the
//     same LocalRecordID replaces the earlier one, and the upstream may
//     correct itself. A clear delivered by the portal asks for a full read
//     at once (usage.SyncState.FullRequested).
//   - every other run, the last RecentDays days plus today, and any days
//     since the last run: records arrive and are processed continuously,
//     a record received just before midnight is processed (and counted)
//     after it, and those are the days that move. A full read of 90 days
//     every ten minutes would be 90 calls where 4 do.
//
// Days before the window keep the rows last read for them. A failed run
// writes nothing of the part that failed: the status is one transaction,
// and the failed list, stored batch by batch as it is read (it is one
// answer of tens of megabytes at a large site), replaces the cached one
// in one transaction once it is read whole.
func AMIEJob(c AMIEReader, st AMIEStore, interval time.Duration, o AMIEOptions) Job {
	o.defaults()
	return Job{Upstream: portal.UpstreamAMIE, Interval: interval, Run: func(ctx context.Context) (int64, error) {
		return syncAMIE(ctx, c, st, o)
	}}
}

func syncAMIE(ctx context.Context, c AMIEReader, st AMIEStore, o AMIEOptions) (int64, error) {
	started := o.Now().UTC()
	state, err := st.AMIESyncState(ctx)
	if err != nil {
		return 0, err
	}
	today := usage.DayStart(started)
	full := state.NeedsFull(started, o.FullEvery)
	from := today.AddDate(0, 0, -o.RecentDays)
	if full {
		from = today.AddDate(0, 0, -o.WindowDays)
	} else if last := usage.DayStart(state.LastRun); !state.LastRun.IsZero() && last.Before(from) {
		from = last
	}
	to := today.AddDate(0, 0, 1)
	var rows []usage.StatusDay
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		got, err := c.Status(ctx, day, day.AddDate(0, 0, 1))
		if err != nil {
			return 0, fmt.Errorf("AMIE status of %s: %w", usage.FormatDay(day), err)
		}
		rows = append(rows, amieStatusRows(day, got)...)
	}
	n, err := st.SaveAMIEStatus(ctx, rows, from, to, started, full)
	if err != nil {
		return 0, err
	}
	// The failed list is one answer of the whole list (the API has no
	// paging and no "changed since"): it is read as it arrives and stored
	// batch by batch, and the cached list changes only once it is read
	// whole.
	m, err := st.ReplaceAMIEFailedStream(ctx, func(add func([]usage.FailedRecord) error, restart func() error) error {
		return c.EachFailed(ctx, func(recs []amie.FailedRecord) error { return add(amieFailedRows(recs)) }, restart)
	})
	if err != nil {
		return n, fmt.Errorf("AMIE failed records: %w", err)
	}
	return n + m, nil
}

// amieStatusRows turns one day's answer into rows; a resource listed twice
// (which the API does not promise against) is summed.
func amieStatusRows(day time.Time, got []amie.ResourceStatus) []usage.StatusDay {
	idx := map[string]int{}
	var out []usage.StatusDay
	for _, s := range got {
		if i, ok := idx[s.Resource]; ok {
			r := &out[i]
			r.Loaded += s.LoadedRecordCount
			r.Failed += s.FailedJobCount
			r.TotalCharge = amieAddCharge(r.TotalCharge, s.TotalCharge.String())
			continue
		}
		idx[s.Resource] = len(out)
		out = append(out, usage.StatusDay{Day: day, Resource: s.Resource, Loaded: s.LoadedRecordCount,
			Failed: s.FailedJobCount, TotalCharge: s.TotalCharge.String()})
	}
	return out
}

func amieAddCharge(a, b string) string {
	var s usage.ChargeSum
	_ = s.Add(a)
	_ = s.Add(b)
	return s.String()
}

// amieFailedRows turns a batch of the upstream's failed records into
// cache rows. It empties each element of failed once it is read, so that
// what the upstream sent can be freed while the rows are made.
func amieFailedRows(failed []amie.FailedRecord) []usage.FailedRecord {
	out := make([]usage.FailedRecord, 0, len(failed))
	for i := range failed {
		f := failed[i]
		failed[i] = amie.FailedRecord{}
		r := usage.FailedRecord{FailedID: f.FailedRecordID, UsageType: string(f.UsageType), Error: f.Error,
			LocalReference: f.LocalReference(), Problems: strings.Join(f.Problems, "; "), Raw: amieCompactJSON(f.Raw)}
		switch {
		case f.Compute != nil:
			c := f.Compute
			r.Resource, r.LocalProjectID, r.LocalRecordID, r.Username = c.Resource, c.LocalProjectID, c.LocalRecordID, c.Username
			r.Start, r.End, r.Charge = c.StartTime, c.EndTime, c.Charge.String()
		case f.Storage != nil:
			s := f.Storage
			r.Resource, r.LocalProjectID, r.LocalRecordID, r.Username = s.Resource, s.LocalProjectID, s.LocalRecordID, s.Username
			r.Start, r.Charge = s.CollectionTime, s.Charge.String()
		case f.Adjustment != nil:
			a := f.Adjustment
			r.Resource, r.LocalProjectID, r.LocalRecordID, r.Username = a.Resource, a.LocalProjectID, a.LocalRecordID, a.Username
			r.Start, r.Charge = a.StartTime, a.Charge.String()
		}
		out = append(out, r)
	}
	return out
}

func amieCompactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
