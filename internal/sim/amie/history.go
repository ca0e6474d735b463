package amie

import (
	"slices"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// The generated history: compute records of every world resource for the
// HistoryDays whole days before the clock's day at New, and that day up to
// the current time. Nothing is stored per record. A record is a pure
// function of (seed, resource, day, n), so it can be regenerated at any
// time; what is stored is per (resource, day): the record count, loaded
// count and loaded charge in cents, and the list of failed records (about
// 1%: 0.6% "Unknown user", 0.4% "Unknown ParentRecordID"), sorted by
// processing time. At scale 100 (300 resources) 90 days hold about 2.4
// million records in about 1.3 MB.
//
// A record's LocalRecordID is day*10000+n, with day the Unix day number of
// its processing time, so the simulator can tell a resend of a history
// record from a new one.

const (
	daySeconds  = 86400
	dayNanos    = int64(daySeconds) * int64(time.Second)
	maxPerDay   = 9999 // records per resource and day; n fits the id's last four digits
	maxHistDays = 3650
	// histFailBase is the FailedRecordID of the first history failure.
	histFailBase = 100001
)

// Failure reasons of processing, in the order the rules are checked.
const (
	reasonNone uint8 = iota
	reasonUnknownUser
	reasonUnknownParent
	reasonAllocation
)

var reasonText = [...]string{
	reasonUnknownUser:   "Unknown user",
	reasonUnknownParent: "Unknown ParentRecordID",
	reasonAllocation:    "Insufficient allocation",
}

type history struct {
	seed  uint64
	day0  int64 // Unix day number of slot 0
	days  int   // number of day slots
	nRes  int   // world resources (history covers only those)
	nProj int   // world projects
	cast  *cast

	counts []uint16 // records per slot, index r*days+d
	loaded []int32  // loaded records per slot
	cents  []int64  // loaded charge per slot, in hundredths
	fails  []histFail
	// projectCents is the loaded history charge per cast project, in hundredths.
	projectCents []int64
}

// histFail is one failed history record; its FailedRecordID is histFailBase
// plus its index in history.fails.
type histFail struct {
	proc   int64 // processing time, Unix nanoseconds
	r      int32
	slot   int32
	n      int32
	reason uint8
}

func newHistory(w *world.World, c *cast, days int, now time.Time) *history {
	h := &history{seed: w.Rand("amie/history").Uint64(), nRes: len(w.Resources), nProj: len(w.Projects), cast: c}
	h.projectCents = make([]int64, len(c.projects))
	if days > 0 {
		days = min(days, maxHistDays)
		h.days = days + 1
		h.day0 = floorDiv(now.UnixNano(), dayNanos) - int64(days)
	}
	h.aggregate()
	return h
}

func (h *history) aggregate() {
	size := h.nRes * h.days
	h.counts, h.loaded, h.cents = make([]uint16, size), make([]int32, size), make([]int64, size)
	for r := range h.nRes {
		for d := range h.days {
			i := r*h.days + d
			day := h.day0 + int64(d)
			n := h.count(r, day)
			h.counts[i] = uint16(n)
			for k := range n {
				c := h.core(r, day, k, n)
				if c.reason != reasonNone {
					h.fails = append(h.fails, histFail{proc: c.proc, r: int32(r), slot: int32(d), n: int32(k), reason: c.reason})
					continue
				}
				h.loaded[i]++
				h.cents[i] += c.cents
				h.projectCents[c.proj] += c.cents
			}
		}
	}
	slices.SortFunc(h.fails, func(a, b histFail) int {
		switch {
		case a.proc != b.proc:
			return cmp64(a.proc, b.proc)
		case a.r != b.r:
			return int(a.r - b.r)
		}
		return int(a.n - b.n)
	})
}

// floorDiv is a/b rounded towards minus infinity (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// mix is splitmix64's finaliser: a fast, well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// rnd is the random word number salt of record (r, day, n).
func (h *history) rnd(r int, day int64, n int, salt uint64) uint64 {
	return mix(mix(mix(h.seed^uint64(r))^uint64(day)) ^ uint64(n)<<8 ^ salt)
}

// count is the number of records of resource r on a day: a per-resource
// base of 60-140, fewer at weekends, ±20% from day to day.
func (h *history) count(r int, day int64) int {
	base := 60 + int(mix(h.seed^uint64(r)*0x51)%81)
	if wd := (day + 4) % 7; wd == 0 || wd == 6 { // 1970-01-01 was a Thursday
		base = base * 6 / 10
	}
	noise := 80 + int(h.rnd(r, day, maxPerDay+1, 7)%41)
	return min(maxPerDay, max(1, base*noise/100))
}

// coreRec is what the aggregates need of a record.
type coreRec struct {
	proc   int64 // Unix nanoseconds
	proj   int32
	cents  int64
	reason uint8
	h2     uint64 // the second random word, for the full record
}

// core generates the aggregate-relevant part of record n of n records of
// resource r on day. Processing times increase with n.
func (h *history) core(r int, day int64, n, count int) coreRec {
	h1 := h.rnd(r, day, n, 1)
	slot := daySeconds / count
	offset := int64(n*slot) + int64(h1%uint64(slot))
	c := coreRec{proc: (day*daySeconds + offset) * int64(time.Second)}
	switch f := (h1 >> 20) % 1000; {
	case f < 6:
		c.reason = reasonUnknownUser
	case f < 10:
		c.reason = reasonUnknownParent
	}
	c.proj = int32((h1 >> 32) % uint64(h.nProj))
	c.h2 = h.rnd(r, day, n, 2)
	nodes, cores, dur := jobShape(c.h2)
	c.cents = nodes * cores * dur * 100 / 3600
	return c
}

var coreChoices = [8]int64{1, 2, 4, 8, 16, 32, 64, 128}

// jobShape draws nodes, cores per node and duration in seconds.
func jobShape(h2 uint64) (nodes, cores, dur int64) {
	nodes, cores = 1, coreChoices[h2%8]
	if (h2>>3)%10 == 0 {
		nodes = 2 + int64((h2>>8)%3)
	}
	dur = 300 + int64((h2>>16)%(6*3600))
	return nodes, cores, dur
}

// slotOf returns the slot of a Unix day number, or false.
func (h *history) slotOf(day int64) (int, bool) {
	d := day - h.day0
	return int(d), d >= 0 && d < int64(h.days)
}

// at returns the slot index r*days+d.
func (h *history) at(r, d int) int { return r*h.days + d }
