package vergeos

import (
	"math"
	"sort"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// hour is one billing period in seconds.
const hour = 3600

// Descriptions the simulator writes.
const (
	hourlyDescription    = "Hourly billing report"
	generatedDescription = "Billing report generated on request"
)

// generator computes the hourly billing records from their index alone,
// so a history of any length costs no memory: record i covers
// [start+i·hour, start+(i+1)·hour) and is written a few seconds after its end.
type generator struct {
	seed    uint64
	start   int64 // "from" of record 0, on an hour boundary
	days    int   // history length at construction
	cluster cluster
}

// cluster is the simulated VergeOS system's hardware, fixed for a scale.
type cluster struct {
	nodes        int64
	coresPerNode int64 // vCPU cores
	ramPerNodeMB int64
	gpus, vgpus  int64
	// Per tier: capacity at the start, used bytes at the start, and the
	// yearly growth of used as a share of the starting used.
	capacity [numTiers]int64
	used     [numTiers]int64
	growth   [numTiers]float64
}

const tib = int64(1) << 40

// newGenerator sizes the history and the cluster from the scale: scale 1
// is 90 days on a 4-node cluster, scale 10 about two years on 8 nodes,
// scale 100 about twenty years on 16 nodes. The history ends at the last
// full hour before now.
func newGenerator(w *world.World, now int64) *generator {
	s := w.Scale
	days := 90
	switch {
	case s < 1:
		days = max(7, int(math.Round(90*s)))
	case s > 1:
		days = 90 + int(math.Round(73*(s-1)))
	}
	nodes := max(2, int64(math.Round(4*math.Pow(max(s, 0.1), 0.3))))
	end := now - mod(now, hour)
	return &generator{
		seed:    w.Rand("vergeos/billing").Uint64(),
		start:   end - int64(days)*24*hour,
		days:    days,
		cluster: newCluster(nodes),
	}
}

func newCluster(nodes int64) cluster {
	per4 := func(tb int64) int64 { return tb * tib * nodes / 4 }
	c := cluster{
		nodes: nodes, coresPerNode: 64, ramPerNodeMB: 512 * 1024,
		gpus: nodes, vgpus: 4 * nodes,
		// Tiers 0–2 (NVMe, SSD, HDD) carry the data; tier 3 is a nearly
		// empty archive tier; tiers 4 and 5 do not exist (all zero).
		capacity: [numTiers]int64{per4(16), per4(96), per4(384), per4(64), 0, 0},
		growth:   [numTiers]float64{0.35, 0.30, 0.25, 0.10, 0, 0},
	}
	for i, frac := range [numTiers]float64{0.45, 0.40, 0.35, 0.005, 0, 0} {
		c.used[i] = int64(float64(c.capacity[i]) * frac)
	}
	return c
}

func mod(a, b int64) int64 { return ((a % b) + b) % b }

// created returns when hourly record i was written: 1–20 s after its end.
func (g *generator) created(i int64) int64 {
	return g.start + (i+1)*hour + 1 + int64(g.hash(labelCreated, i)%20)
}

// visible returns how many hourly records exist at now (created ≤ now).
func (g *generator) visible(now int64) int64 {
	n := (now - g.start) / hour
	if now < g.start || n <= 0 {
		return 0
	}
	if g.created(n-1) > now {
		n--
	}
	return n
}

// countBefore returns how many of the first n hourly records were created before c.
func (g *generator) countBefore(c, n int64) int64 {
	return int64(sort.Search(int(n), func(i int) bool { return g.created(int64(i)) >= c }))
}

// record returns hourly record i with key i+1 (the table renumbers keys
// when generated records sit between hourly ones).
func (g *generator) record(i int64) record {
	from := g.start + i*hour
	r := g.usage(from + hour)
	r.v[fKey] = i + 1
	r.v[fFrom], r.v[fTo], r.v[fCreated] = from, from+hour, g.created(i)
	r.desc = hourlyDescription
	// Most records are reported a second after they are written; about
	// one in forty is not (yet): half of those say sent 0, half omit it.
	switch h := g.hash(labelSent, i); {
	case h%40 != 0:
		r.v[fSent] = r.v[fCreated] + 1
	case h&(1<<40) != 0:
		r.sentAbsent = true
	}
	g.datapoints(&r, hour)
	return r
}

// generated returns the record a "generate" action writes at now, for the
// period from→now.
func (g *generator) generated(from, now int64) record {
	r := g.usage(now)
	r.v[fFrom], r.v[fTo], r.v[fCreated] = from, now, now
	r.desc = generatedDescription
	g.datapoints(&r, max(now-from, 1))
	return r
}

// datapoints fills the sample counts: one workload sample per node every
// 10 s and one storage sample per node every minute, a few missed.
func (g *generator) datapoints(r *record, seconds int64) {
	online := r.v[fOnlineNodes]
	missed := int64(g.hash(labelDatapoints, r.v[fTo]) % 4)
	r.v[fWorkloadDatapoints] = max(0, seconds/10*online-missed)
	r.v[fStorageDatapoints] = max(0, seconds/60*online-missed/2)
}
