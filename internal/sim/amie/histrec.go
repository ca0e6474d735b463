package amie

import (
	"strconv"
	"time"
)

var queues = [4]string{"normal", "debug", "gpu", "long"}

// lookup finds the history record whose LocalRecordID is id on resource
// res: only compute records, ids written as day*10000+n without leading zeros.
func (h *history) lookup(typ uint8, res int32, id []byte) (slot, n int, ok bool) {
	if typ != typCompute || int(res) >= h.nRes || len(id) == 0 || len(id) > 15 || id[0] == '0' {
		return 0, 0, false
	}
	var v int64
	for _, c := range id {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		v = v*10 + int64(c-'0')
	}
	slot, ok = h.slotOf(v / 10000)
	n = int(v % 10000)
	if !ok || n >= int(h.counts[h.at(int(res), slot)]) {
		return 0, 0, false
	}
	return slot, n, true
}

// full builds history record n of resource r on slot in canonical form.
func (h *history) full(r, slot, n int) (canon, coreRec) {
	day := h.day0 + int64(slot)
	c := h.core(r, day, n, int(h.counts[h.at(r, slot)]))
	h3 := h.rnd(r, day, n, 3)
	p := h.cast.projects[c.proj]
	id := day*10000 + int64(n)
	rec := canon{typ: typCompute,
		project: []byte(p.id), localID: strconv.AppendInt(nil, id, 10), resource: []byte(h.cast.resources[r])}
	if c.reason == reasonUnknownUser {
		rec.username = []byte("former" + strconv.Itoa(10+int(h3%90)))
	} else {
		rec.username = []byte(p.members[h3%uint64(len(p.members))])
	}
	if c.reason == reasonUnknownParent {
		// A leading zero is never the form of a history id, so no record has it.
		rec.parent = strconv.AppendInt([]byte("0"), id-1, 10)
	}
	nodes, cores, dur := jobShape(c.h2)
	lag := 60 + int64((c.h2>>40)%540)
	rec.end = time.Unix(0, c.proc).Add(-time.Duration(lag) * time.Second).UTC()
	rec.start = rec.end.Add(-time.Duration(dur) * time.Second)
	rec.submit = rec.start.Add(-time.Duration((h3>>8)%7200) * time.Second)
	rec.charge = appendCents(nil, c.cents)
	rec.attrs[0] = strconv.AppendInt(nil, nodes, 10)
	rec.attrs[1] = strconv.AppendInt(nil, cores, 10)
	rec.attrs[2] = append([]byte("run-"), rec.localID...)
	rec.attrs[3] = strconv.AppendInt(nil, nodes*cores*2000, 10)
	rec.attrs[4] = []byte(queues[(h3>>32)%uint64(len(queues))])
	return rec, c
}

// recordJSON appends history record n of resource r on slot as canonical JSON.
func (h *history) recordJSON(b []byte, r, slot, n int) []byte {
	rec, _ := h.full(r, slot, n)
	return appendCanon(b, &rec)
}

// appendCents appends hundredths as a decimal with two places ("12.05").
func appendCents(b []byte, cents int64) []byte {
	if cents < 0 {
		b = append(b, '-')
		cents = -cents
	}
	b = strconv.AppendInt(b, cents/100, 10)
	b = append(b, '.', byte('0'+cents%100/10), byte('0'+cents%10))
	return b
}
