package argo

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"time"
)

// Generated metrics are never stored. Metric number k of installation i is
// day k/len(series) of series k%len(series): each day's metrics follow each
// other, as a collector posting daily would have inserted them. Its id is a
// MongoDB-ObjectId-shaped 12 bytes: the period start (seconds, like an
// ObjectId's timestamp), the installation index and k, so a GET by id needs
// no index either.

// genCount is the number of generated metrics of installation i.
func (d *dataset) genCount(i int) int {
	return d.days * len(d.insts[i].series)
}

// dayStart is the start of generated day n.
func (d *dataset) dayStart(n int) time.Time {
	return d.start0.Add(time.Duration(n) * day)
}

// generated returns generated metric k of installation i.
func (d *dataset) generated(i, k int) storedMetric {
	in := d.insts[i]
	n, s := k/len(in.series), k%len(in.series)
	ser := in.series[s]
	start := d.dayStart(n)
	m := storedMetric{inst: i, def: ser.def, start: start, end: start.Add(day)}
	m.id = d.generatedID(start, i, k)
	m.value = d.value(i, s, n, start)
	switch d.defs[ser.def].tmpl.attr {
	case attrUser:
		m.user, m.hasUser = d.w.Usernames[(n+i)%len(d.w.Usernames)], true
	case attrGroup:
		m.group, m.hasGroup = "vo."+lowerAlnum(d.projects[in.project].Acronym), true
	}
	return m
}

// idMul scrambles the (installation, k) part of generated ids so that they
// look like ObjectIds rather than counters; idInv undoes it (idMul is odd,
// so it has an inverse modulo 2^64).
const idMul = 0x9e3779b97f4a7c15

var idInv = func() uint64 {
	x := uint64(idMul) // Newton's iteration doubles the correct low bits each step
	for range 6 {
		x *= 2 - idMul*x
	}
	return x
}()

func (d *dataset) generatedID(start time.Time, i, k int) string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(start.Unix()))
	binary.BigEndian.PutUint64(b[4:12], (uint64(i)<<32|uint64(uint32(k)))*idMul^d.noiseSeed)
	return hex.EncodeToString(b[:])
}

// decodeGenerated returns the generated metric with id, if id is one.
func (d *dataset) decodeGenerated(id string) (storedMetric, bool) {
	if len(id) != 24 {
		return storedMetric{}, false
	}
	var b [12]byte
	if _, err := hex.Decode(b[:], []byte(id)); err != nil {
		return storedMetric{}, false
	}
	x := (binary.BigEndian.Uint64(b[4:12]) ^ d.noiseSeed) * idInv
	i, k := int(x>>32), int(uint32(x))
	if i >= len(d.insts) || len(d.insts[i].series) == 0 || k >= d.genCount(i) {
		return storedMetric{}, false
	}
	m := d.generated(i, k)
	if m.id != id { // the timestamp part must match too
		return storedMetric{}, false
	}
	return m, true
}

// value is the value of series s of installation i on day n: the
// template's base level scaled to the installation, growing over the
// window, lower at weekends, following the academic year, with noise.
func (d *dataset) value(i, s, n int, start time.Time) float64 {
	ser := d.insts[i].series[s]
	t := d.defs[ser.def].tmpl
	frac := float64(n) / float64(max(1, d.days-1))
	v := t.base * ser.scale * (1 + t.growth*frac)
	if wd := start.Weekday(); wd == time.Saturday || wd == time.Sunday {
		v *= 1 - t.weekend
	}
	yd := float64(start.YearDay())/365.25 + ser.phase
	v *= 1 + t.yearly*math.Cos(2*math.Pi*(yd-0.05))
	u := float64(mix(d.noiseSeed^uint64(i)<<34^uint64(s)<<28^uint64(n))>>11) / (1 << 53)
	v *= 1 + t.noise*(2*u-1)
	p := math.Pow(10, float64(t.decimals))
	return math.Max(0, math.Round(v*p)/p)
}

// mix is splitmix64's finaliser: a stateless hash for per-day noise.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func lowerAlnum(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b = append(b, c)
		}
	}
	return string(b)
}
