package vergeos

import (
	"sort"
	"sync"
)

// table is the billing table: the lazily computed hourly records plus the
// few records made by "generate", kept in memory.
//
// Rows are ordered by (created, hourly before generated) and numbered by
// position; a row's $key is its position + 1, as an auto-increment key
// would be, since rows are only ever written at the current time. So the
// key of a generated row is fixed when it is made and hourly rows after it
// get keys one higher than their index would give.
type table struct {
	gen *generator

	mu      sync.Mutex
	extras  []extraRow // generated rows, by created (and so by key)
	actions int64      // billing_actions rows made so far
}

// extraRow is a generated record and its key.
type extraRow struct {
	key int64
	rec record
}

// view is the table as seen at one instant: the visible rows are those
// created at or before that instant.
type view struct {
	gen    *generator
	hourly int64      // visible hourly rows
	extras []extraRow // visible generated rows
}

func (t *table) view(now int64) view {
	t.mu.Lock()
	extras := t.extras
	t.mu.Unlock()
	// Appends never change existing elements, so the copied slice header
	// stays valid without the lock.
	n := sort.Search(len(extras), func(j int) bool { return extras[j].rec.v[fCreated] > now })
	return view{gen: t.gen, hourly: t.gen.visible(now), extras: extras[:n]}
}

// total returns the number of visible rows.
func (v *view) total() int64 { return v.hourly + int64(len(v.extras)) }

// at returns the row at position p (0 ≤ p < total).
func (v *view) at(p int64) record {
	// j = number of generated rows before position p (their keys are ≤ p).
	j := sort.Search(len(v.extras), func(j int) bool { return v.extras[j].key > p })
	if j < len(v.extras) && v.extras[j].key == p+1 {
		return v.extras[j].rec
	}
	r := v.gen.record(p - int64(j))
	r.v[fKey] = p + 1
	return r
}

// before returns how many visible rows were created before c: the
// position of the first row with created ≥ c.
func (v *view) before(c int64) int64 {
	h := v.gen.countBefore(c, v.hourly)
	e := sort.Search(len(v.extras), func(j int) bool { return v.extras[j].rec.v[fCreated] >= c })
	return h + int64(e)
}

// generate writes a record of the usage at now and returns its key and
// the key of the billing_actions row that asked for it.
func (t *table) generate(now int64) (recordKey, actionKey int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.extras); n > 0 {
		// Keep generated rows in created order even if the clock steps back.
		now = max(now, t.extras[n-1].rec.v[fCreated])
	}
	v := view{gen: t.gen, hourly: t.gen.visible(now), extras: t.extras}
	from := now - hour
	if total := v.total(); total > 0 {
		from = min(v.at(total - 1).v[fTo], now)
	}
	rec := t.gen.generated(from, now)
	key := v.total() + 1
	rec.v[fKey] = key
	t.extras = append(t.extras, extraRow{key: key, rec: rec})
	t.actions++
	return key, t.actions
}

// generatedCount returns how many records "generate" has made.
func (t *table) generatedCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.extras)
}
