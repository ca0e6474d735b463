package amie

import (
	"bytes"

	"github.com/accounting-portal/portal/internal/decimal"
)

// The store of received records. Records live in one slice of fixed-size
// structs; their text (the canonical JSON, the LocalRecordID, the charge
// and the parent id) lives in a paged byte arena, and the key index maps a
// 64-bit hash of (type, resource, LocalRecordID) to the newest record with
// that hash, older ones chained through prev. So a million received
// records cost no heap object each.

// States of a received record.
const (
	stQueued uint8 = iota
	stLoaded
	stFailed
	stSuperseded // replaced by a later record with the same key
)

var stateNames = [...]string{stQueued: "queued", stLoaded: "loaded", stFailed: "failed"}

// span locates text in the arena: a page and a range in it.
type span struct{ page, off, n uint32 }

// pageSize is the arena's page size. Pages are never moved, so the arena
// grows without copying what it holds; text longer than a page (at most a
// request body) gets a page of its own.
const pageSize = 1 << 20

type posted struct {
	typ, state, reason uint8
	member             bool // the username belongs to the project
	res, proj          int32
	prev               int32 // previous record with the same key hash, or -1
	fail               int32 // index in store.fails, or -1
	due, proc          int64 // Unix nanoseconds
	ch                 charge
	json, id, chg, par span
}

// failEntry is a received record that failed processing; its
// FailedRecordID is store.failBase plus its index.
type failEntry struct {
	rec     int32
	proc    int64
	reason  uint8
	cleared bool
}

type store struct {
	cast *cast
	hist *history

	pages   [][]byte
	recs    []posted
	byKey   map[uint64]int32
	queue   []int32
	qhead   int
	fails   []failEntry
	scratch []byte

	failBase    int64
	histCleared []bool
	// histGone holds the history records replaced by a received one, packed by histKey.
	histGone map[uint64]bool
	// used is the loaded charge per cast project, for the allocation rule.
	used []decimal.Decimal
}

func newStore(c *cast, h *history) *store {
	st := &store{cast: c, hist: h, byKey: map[uint64]int32{}, histGone: map[uint64]bool{},
		failBase: histFailBase + int64(len(h.fails)), histCleared: make([]bool, len(h.fails))}
	st.used = make([]decimal.Decimal, len(c.projects))
	for i, cents := range h.projectCents {
		st.used[i] = decimal.New(cents, -2)
	}
	return st
}

func (st *store) text(s span) []byte { return st.pages[s.page][s.off : s.off+s.n] }

// put copies b into the arena.
func (st *store) put(b []byte) span {
	last := len(st.pages) - 1
	if last < 0 || len(st.pages[last])+len(b) > cap(st.pages[last]) {
		st.pages = append(st.pages, make([]byte, 0, max(pageSize, len(b))))
		last++
	}
	p := st.pages[last]
	s := span{page: uint32(last), off: uint32(len(p)), n: uint32(len(b))}
	st.pages[last] = append(p, b...)
	return s
}

// keyHash is FNV-1a over the type, the resource index and the LocalRecordID.
func keyHash(typ uint8, res int32, id []byte) uint64 {
	h := uint64(14695981039346656037)
	step := func(c byte) { h = (h ^ uint64(c)) * 1099511628211 }
	step(typ)
	for i := range 4 {
		step(byte(res >> (8 * i)))
	}
	for _, c := range id {
		step(c)
	}
	return h
}

// lookup returns the current received record with the key, or -1.
func (st *store) lookup(typ uint8, res int32, id []byte) int32 {
	i, ok := st.byKey[keyHash(typ, res, id)]
	for ok && i >= 0 {
		r := &st.recs[i]
		if r.state != stSuperseded && r.typ == typ && r.res == res && bytes.Equal(st.text(r.id), id) {
			return i
		}
		i = r.prev
	}
	return -1
}

// Results of taking in one record.
const (
	inNew = iota
	inDuplicate
	inReplaced
)

// ingest takes in a validated record received at now: an identical resend
// of a known record changes nothing; a changed one replaces it.
func (st *store) ingest(p *parsed, now, delay int64) int {
	st.scratch = appendCanon(st.scratch[:0], &p.canon)
	result := inNew
	if cur := st.lookup(p.typ, p.res, p.localID); cur >= 0 {
		if bytes.Equal(st.text(st.recs[cur].json), st.scratch) {
			return inDuplicate
		}
		st.supersede(cur)
		result = inReplaced
	} else if slot, n, ok := st.hist.lookup(p.typ, p.res, p.localID); ok && !st.histGone[histKey(int(p.res), slot, n)] {
		if bytes.Equal(st.hist.recordJSON(nil, int(p.res), slot, n), st.scratch) {
			return inDuplicate
		}
		st.supersedeHist(int(p.res), slot, n)
		result = inReplaced
	}
	st.add(p, now, now+delay)
	return result
}

func (st *store) add(p *parsed, now, due int64) {
	i := int32(len(st.recs))
	h := keyHash(p.typ, p.res, p.localID)
	prev, ok := st.byKey[h]
	if !ok {
		prev = -1
	}
	st.recs = append(st.recs, posted{
		typ: p.typ, res: p.res, proj: p.proj, prev: prev, fail: -1, due: due, proc: now, ch: p.ch,
		member: st.cast.isMember(p.proj, p.username),
		json:   st.put(st.scratch), id: st.put(p.localID), chg: st.put(p.charge), par: st.put(p.parent),
	})
	st.byKey[h] = i
	st.queue = append(st.queue, i)
}

// supersede withdraws a received record; a failure it caused stays listed
// until cleared, as API.md §11 has sites re-send and then clear.
func (st *store) supersede(i int32) {
	r := &st.recs[i]
	if r.state == stLoaded {
		st.used[r.proj] = st.used[r.proj].Sub(r.ch.decimalOf(st.text(r.chg)))
	}
	r.state = stSuperseded
}

func (st *store) supersedeHist(r, slot, n int) {
	h := st.hist
	day := h.day0 + int64(slot)
	c := h.core(r, day, n, int(h.counts[h.at(r, slot)]))
	if c.reason == reasonNone {
		st.used[c.proj] = st.used[c.proj].Sub(decimal.New(c.cents, -2))
	}
	st.histGone[histKey(r, slot, n)] = true
}

func histKey(r, slot, n int) uint64 { return uint64(r)<<40 | uint64(slot)<<16 | uint64(n) }

// clear unmarks the failures with the given FailedRecordIDs and returns
// how many were still marked; unknown ids, and history failures not yet
// processed at now, are ignored.
func (st *store) clear(ids []int64, now int64) int {
	n := 0
	for _, id := range ids {
		var flag *bool
		switch {
		case id >= histFailBase && id < st.failBase && st.hist.fails[id-histFailBase].proc <= now:
			flag = &st.histCleared[id-histFailBase]
		case id >= st.failBase && id < st.failBase+int64(len(st.fails)):
			flag = &st.fails[id-st.failBase].cleared
		default:
			continue
		}
		if !*flag {
			*flag = true
			n++
		}
	}
	return n
}
