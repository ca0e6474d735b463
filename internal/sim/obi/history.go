package obi

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// history is the seeded past of every world project: the jobs of each
// UTC day are drawn from their own random stream (seed, project, day), so
// any day can be regenerated alone, in any order, and nothing is stored.
// Only jobs finished before t0 (the simulator's start) are part of it;
// jobs still running at t0 are stored by seed as ordinary jobs.
type history struct {
	w        *world.World
	book     *priceBook // frozen at t0: later prices never rewrite the past
	t0       time.Time
	firstDay int64 // Unix day numbers
	lastDay  int64
	density  float64 // mean jobs per project per working day at activity 1
	projects []histProject
	index    map[string]int // project id -> index
	users    []string       // user UUIDs
	counts   [][]int32      // memo of the number of reportable jobs per project and day; -1 unknown
	cache    dayCache
	// floatTiers caches prices in floats for the budget estimates.
	floatTiers map[*Price][]floatTier
}

// histProject is what the generator knows about one world project.
type histProject struct {
	id, vlab    string
	activity    float64 // jobs per day multiplier
	slope       float64 // growth of activity over the history
	oneshot     float64 // share of oneshot jobs
	osWeights   []float64
	lrWeights   []float64
	users       []int // indexes in history.users
	groups      []string
	storageBase float64 // bytes
	storageRate float64 // growth per day
}

const daySeconds = 86400

func dayOf(t time.Time) int64 { return int64(math.Floor(float64(t.Unix()) / daySeconds)) }

func dayStart(d int64) time.Time { return time.Unix(d*daySeconds, 0).UTC() }

// Subtypes the history uses, with their base weights.
var (
	histOneshot = []string{"ml-llm", "single-cell-build", "ion-channel-build", "neuron-mesh-skeletonization",
		"circuit-extraction", "em-synapse-mapping", "synaptome-build"}
	histOneshotW = []float64{5, 1, 1, 1, 0.5, 0.5, 0.5}
	histLongrun  = []string{"notebook", "single-cell-sim", "small-circuit-sim", "ion-channel-sim",
		"synaptome-sim", "microcircuit-sim", "brian2-circuit-simulation"}
	histLongrunW = []float64{3, 2, 1.5, 1, 1, 0.5, 0.5}
)

// newHistory prepares the generator for the world's projects.
func newHistory(w *world.World, book *priceBook, t0 time.Time, days int) *history {
	h := &history{w: w, book: book, t0: t0, lastDay: dayOf(t0), index: map[string]int{}, floatTiers: map[*Price][]floatTier{}}
	h.firstDay = h.lastDay - int64(days) + 1
	// Larger worlds also get longer histories per project, so the big-scale
	// path (reports with thousands of jobs) is exercised.
	h.density = 4 * math.Sqrt(max(1, w.Scale))
	for _, u := range w.Usernames {
		h.users = append(h.users, UserID(w, u))
	}
	for i, p := range w.Projects {
		h.index[p.OBIID] = i
		h.projects = append(h.projects, h.newProject(i, p))
		h.counts = append(h.counts, make([]int32, days))
		for d := range h.counts[i] {
			h.counts[i][d] = -1
		}
	}
	return h
}

// UserID is the OBI user id (a UUID) the simulator gives a world username.
func UserID(w *world.World, username string) string { return w.UUID("obi/user", username) }

func (h *history) newProject(i int, p world.Project) histProject {
	r := h.w.Rand(fmt.Sprintf("obi/project/%d", i))
	hp := histProject{id: p.OBIID, vlab: p.VlabID,
		activity: 0.4 + 2.2*r.Float64()*r.Float64(), slope: -0.3 + 0.9*r.Float64(), oneshot: 0.3 + 0.5*r.Float64(),
		storageBase: 2e10 * (1 + 20*r.Float64()), storageRate: 0.002 + 0.01*r.Float64()}
	for _, w := range histOneshotW {
		hp.osWeights = append(hp.osWeights, w*(0.2+1.8*r.Float64()))
	}
	for _, w := range histLongrunW {
		hp.lrWeights = append(hp.lrWeights, w*(0.2+1.8*r.Float64()))
	}
	for range 1 + r.IntN(min(4, len(h.users))) {
		hp.users = append(hp.users, r.IntN(len(h.users)))
	}
	for g := range 1 + r.IntN(3) {
		hp.groups = append(hp.groups, h.w.UUID("obi/group", i, g))
	}
	return hp
}

// lambda is the mean number of compute jobs of project p on day d.
func (h *history) lambda(p int, d int64) float64 {
	hp := &h.projects[p]
	wd := dayStart(d).Weekday()
	f := 1.1
	if wd == time.Saturday || wd == time.Sunday {
		f = 0.35
	}
	trend := 1 + hp.slope*float64(d-h.lastDay)/float64(h.lastDay-h.firstDay+1)
	return max(0, h.density*hp.activity*f*trend)
}

// poisson draws a Poisson count (Knuth for small means, a rounded normal
// for large ones).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func pick(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func logUniform(r *rand.Rand, lo, hi float64) float64 {
	return math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo)))
}

// micros is a random sub-second part, as the service's clock has.
func micros(r *rand.Rand) time.Duration { return time.Duration(r.IntN(1_000_000)) * time.Microsecond }

// day generates every job of project p started on day d before t0, in
// draw order, with amounts not yet computed. Jobs not finished by t0 are
// included: callers keep what they need (virtual) or store them (seed).
func (h *history) day(p int, d int64) []*job { return h.generate(p, d, true) }

// generate is day, with the job ids only when withIDs (the budget
// estimate does not need them, and they are a good part of the cost).
func (h *history) generate(p int, d int64, withIDs bool) []*job {
	if d < h.firstDay || d > h.lastDay {
		return nil
	}
	hp := &h.projects[p]
	r := h.w.Rand(fmt.Sprintf("obi/history/%d/%d", p, d))
	n := poisson(r, h.lambda(p, d))
	out := make([]*job, 0, n+1)
	base := dayStart(d)
	for k := range n {
		j := h.computeJob(r, hp, base)
		if withIDs {
			j.id = h.w.UUID("obi/hist", p, d, k)
		}
		if j.startedAt.Before(h.t0) || (!j.reservedAt.IsZero() && j.reservedAt.Before(h.t0)) {
			out = append(out, j)
		}
	}
	if st := h.storageJob(p, d, withIDs); st != nil {
		out = append(out, st)
	}
	return out
}

// computeJob draws one oneshot or longrun job of a day starting at base.
func (h *history) computeJob(r *rand.Rand, hp *histProject, base time.Time) *job {
	tod := 13*3600 + 3*3600*r.NormFloat64()
	if r.Float64() < 0.3 {
		tod = r.Float64() * daySeconds
	}
	start := base.Add(time.Duration(min(max(tod, 0), daySeconds-1)) * time.Second)
	j := &job{vlab: hp.vlab, proj: hp.id, user: h.users[hp.users[r.IntN(len(hp.users))]], virtual: true}
	if r.Float64() < 0.3 {
		j.group = hp.groups[r.IntN(len(hp.groups))]
	}
	if r.Float64() < 0.7 {
		j.name, j.hasName = fmt.Sprintf("run-%04x", r.IntN(0x10000)), true
	}
	if r.Float64() < hp.oneshot {
		h.oneshotJob(r, j, hp, start)
	} else {
		h.longrunJob(r, j, hp, start)
	}
	j.createdAt = j.reservedAt
	return j
}

func (h *history) oneshotJob(r *rand.Rand, j *job, hp *histProject, start time.Time) {
	j.kind, j.subtype = typeOneshot, histOneshot[pick(r, hp.osWeights)]
	if j.subtype == "ml-llm" {
		j.count = int64(logUniform(r, 2000, 400000))
		j.resCount = int64(float64(j.count) * (0.7 + 0.6*r.Float64()))
	} else {
		j.count = 1 + int64(r.ExpFloat64()*3)
		j.resCount = j.count
	}
	j.reservedAt = start.Add(-time.Duration(1+r.IntN(60))*time.Second - micros(r))
	j.startedAt, j.lastAliveAt, j.finishedAt = start, start, start
}

func (h *history) longrunJob(r *rand.Rand, j *job, hp *histProject, start time.Time) {
	j.kind, j.subtype = typeLongrun, histLongrun[pick(r, hp.lrWeights)]
	j.resInstances = []int64{1, 1, 1, 1, 2, 2, 4, 8}[r.IntN(8)]
	j.instances = j.resInstances
	j.resDuration = 60 * int64(logUniform(r, 10, 720))
	j.reservedAt = start.Add(-time.Duration(2+r.IntN(120))*time.Second - micros(r))
	j.startedAt = start
	dur := time.Duration(float64(j.resDuration)*(0.4+0.85*r.Float64())) * time.Second
	if r.Float64() < 0.06 {
		// Expired: silent after a while, cancelled by the charger an hour later.
		alive := time.Duration(float64(dur) * (0.2 + 0.7*r.Float64())).Truncate(time.Second)
		j.lastAliveAt = start.Add(alive)
		j.finishedAt = j.lastAliveAt.Add(longrunExpiry + time.Duration(r.IntN(600))*time.Second + micros(r))
		j.cancelledAt = j.finishedAt
	} else {
		j.finishedAt = start.Add(dur.Truncate(time.Second))
		j.lastAliveAt = j.finishedAt
	}
}

// storageEvent is project p's storage event of day d: when, and the size.
func (h *history) storageEvent(p int, d int64) (time.Time, int64) {
	hp := &h.projects[p]
	r := h.w.Rand(fmt.Sprintf("obi/storage/%d/%d", p, d))
	at := dayStart(d).Add(time.Duration(r.IntN(daySeconds)) * time.Second)
	size := hp.storageBase * (1 + hp.storageRate*float64(d-h.firstDay)) * (0.97 + 0.06*r.Float64())
	return at, int64(size)
}

// storageJob is the storage job opened by day d's event, closed by the
// next day's, or nil when day d's event is not before t0.
func (h *history) storageJob(p int, d int64, withID bool) *job {
	at, size := h.storageEvent(p, d)
	if !at.Before(h.t0) {
		return nil
	}
	hp := &h.projects[p]
	j := &job{kind: typeStorage, subtype: "storage", vlab: hp.vlab, proj: hp.id,
		createdAt: at, startedAt: at, lastAliveAt: at, size: size, virtual: true}
	if withID {
		j.id = h.w.UUID("obi/hist-storage", p, d)
	}
	if next, _ := h.storageEvent(p, d+1); next.Before(h.t0) {
		j.finishedAt = next
	}
	return j
}

// finished reports whether a generated job is in the virtual history
// (finished before t0) rather than open at t0.
func (h *history) finished(j *job) bool {
	return !j.finishedAt.IsZero() && j.finishedAt.Before(h.t0) && !j.startedAt.IsZero() && j.startedAt.Before(h.t0)
}

// count is the number of project p's history jobs started on day d.
func (h *history) count(p int, d int64) int {
	if d < h.firstDay || d > h.lastDay {
		return 0
	}
	c := &h.counts[p][d-h.firstDay]
	if *c < 0 && d <= h.lastDay-2 {
		// Every job of an older day, and its storage job, ended before t0:
		// the count is the first draw of the day's stream, plus one.
		r := h.w.Rand(fmt.Sprintf("obi/history/%d/%d", p, d))
		*c = int32(poisson(r, h.lambda(p, d)) + 1)
	}
	if *c < 0 {
		n := 0
		for _, j := range h.day(p, d) {
			if h.finished(j) {
				n++
			}
		}
		*c = int32(n)
	}
	return int(*c)
}

// price computes a history job's amounts from the frozen price book: the
// price at its reservation (storage: at its end), the discount at its
// charge (its end) for the amount and at its reservation for the
// reserved amount. The amount is the whole cost, which is what the
// reserve, charge and release entries of a real job net to.
func (h *history) price(j *job) {
	if !j.virtual || j.priced {
		return
	}
	j.priced = true
	j.lastChargedAt = j.finishedAt
	b := h.book
	switch j.kind {
	case typeOneshot:
		if p := b.lookup(typeOneshot, j.subtype, j.vlab, j.reservedAt); p != nil {
			j.projNet = b.discounted(tierCost(p.Tiers, 0, j.count), j.vlab, j.finishedAt)
			j.reserved = b.discounted(tierCost(p.Tiers, 0, j.resCount), j.vlab, j.reservedAt)
		}
	case typeLongrun:
		if p := b.lookup(typeLongrun, j.subtype, j.vlab, j.reservedAt); p != nil {
			j.projNet = b.discounted(tierCost(p.Tiers, 0, j.usageAt(j.finishedAt)), j.vlab, j.finishedAt)
			j.reserved = b.discounted(tierCost(p.Tiers, 0, j.resInstances*j.resDuration), j.vlab, j.reservedAt)
		}
	case typeStorage:
		if p := b.lookup(typeStorage, "storage", j.vlab, j.finishedAt); p != nil {
			secs := int64(j.finishedAt.Sub(j.startedAt) / time.Second)
			j.projNet = b.discounted(storageCost(p, j.size, secs), j.vlab, j.finishedAt)
		}
	}
}

// runningJobs draws the longrun jobs project p has running (or reserved
// and about to start) at t0, beyond the history days' own, so a demo
// has open jobs and reservations to show.
func (h *history) runningJobs(p int) []*job {
	hp := &h.projects[p]
	r := h.w.Rand(fmt.Sprintf("obi/running/%d", p))
	n := min(4, poisson(r, 0.8*hp.activity))
	out := make([]*job, 0, n)
	for k := range n {
		j := &job{id: h.w.UUID("obi/running", p, k), kind: typeLongrun, subtype: histLongrun[pick(r, hp.lrWeights)],
			vlab: hp.vlab, proj: hp.id, user: h.users[hp.users[r.IntN(len(hp.users))]]}
		j.resInstances = []int64{1, 1, 2, 4}[r.IntN(4)]
		j.instances = j.resInstances
		start := h.t0.Add(-time.Duration(600+r.IntN(6*3600)) * time.Second).Truncate(time.Second)
		if r.Float64() < 0.15 {
			start = h.t0.Add(time.Duration(60+r.IntN(1800)) * time.Second).Truncate(time.Second)
		}
		j.reservedAt = earlierOf(start, h.t0).Add(-time.Duration(5+r.IntN(300))*time.Second - micros(r))
		j.createdAt = j.reservedAt
		end := laterOf(h.t0, start).Add(time.Duration(1800+r.IntN(8*3600)) * time.Second)
		j.resDuration = 60 * (int64(end.Sub(start)/time.Second)/60 + 1)
		j.startedAt, j.lastAliveAt, j.finishedAt = start, end, end
		if r.Float64() < 0.7 {
			j.name, j.hasName = fmt.Sprintf("run-%04x", r.IntN(0x10000)), true
		}
		out = append(out, j)
	}
	return out
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlierOf(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
