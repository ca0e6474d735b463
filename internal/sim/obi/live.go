package obi

import (
	"fmt"
	"time"
)

// Live mode: as simulated time passes, each step (Options.LiveInterval)
// may start a small job in each world project, and the longrun jobs that
// have a plan (seeded open ones, live ones) start, send heartbeats and
// finish on time. Whether a job happens depends only on the seed, the
// project and the step number, so a run is deterministic for a clock.

// maxLiveSteps bounds the catch-up after a jump of the clock: older steps
// are skipped (a demo paused for days does not replay them all).
const maxLiveSteps = 2 * 24 * 12

type liveState struct {
	s       *Server
	next    int64  // next step to play
	planned []*job // jobs with a plan still to follow
	storage []storageDay
}

// storageDay is a project's storage event of one day, computed once.
type storageDay struct {
	day  int64
	at   time.Time
	size int64
}

func newLiveState(s *Server, now time.Time) *liveState {
	l := &liveState{s: s, next: stepOf(now, s.opts.LiveInterval) + 1}
	for _, j := range s.jobs.list {
		if j.kind == typeLongrun && j.open() && !j.planAlive.IsZero() {
			l.planned = append(l.planned, j)
		}
	}
	return l
}

// stepOf is the number of the step that contains t.
func stepOf(t time.Time, step time.Duration) int64 { return t.UnixNano() / int64(step) }

// advance plays every step up to now.
func (l *liveState) advance(now time.Time) {
	step := l.s.opts.LiveInterval
	last := stepOf(now, step)
	if last-l.next > maxLiveSteps {
		l.next = last - maxLiveSteps
	}
	for k := l.next; k <= last; k++ {
		t := time.Unix(0, k*int64(step)).UTC()
		l.followPlans(t)
		l.newJobs(k, t)
		l.storageEvents(t, t.Add(step))
	}
	l.next = max(l.next, last+1)
}

// followPlans moves the planned jobs to where their plan says they are at t.
func (l *liveState) followPlans(t time.Time) {
	keep := l.planned[:0]
	for _, j := range l.planned {
		if !j.open() {
			continue
		}
		if j.startedAt.IsZero() && !j.planStart.After(t) {
			j.startedAt, j.lastAliveAt, j.instances, j.instanceType = j.planStart, j.planStart, j.resInstances, j.resInstanceType
		}
		if !j.startedAt.IsZero() {
			if !j.planEnd.IsZero() && !j.planEnd.After(t) {
				j.lastAliveAt, j.finishedAt = j.planEnd, j.planEnd
				l.s.touch(j)
				continue
			}
			if alive := earlierOf(t, j.planAlive); alive.After(j.lastAliveAt) {
				j.lastAliveAt = alive.Truncate(time.Second)
			}
		}
		keep = append(keep, j)
	}
	l.planned = keep
}

// splitmix is a cheap, well-mixed hash for the per-step dice.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// newJobs rolls, for each project, whether a small job happens at step k:
// about one an hour at activity 1.
func (l *liveState) newJobs(k int64, t time.Time) {
	h := l.s.hist
	if h == nil {
		return
	}
	perStep := l.s.opts.LiveInterval.Hours()
	for p := range h.projects {
		u := splitmix(uint64(l.s.w.Seed)*1_000_003 ^ uint64(p)<<32 ^ uint64(k))
		if float64(u>>11)/(1<<53) >= h.projects[p].activity*perStep {
			continue
		}
		l.startJob(p, k, t)
	}
}

// startJob reserves a small oneshot (used at once) or a short longrun
// (planned to run 10-40 minutes) in project p, unless its funds are short.
func (l *liveState) startJob(p int, k int64, t time.Time) {
	s, hp := l.s, &l.s.hist.projects[p]
	r := s.w.Rand(fmt.Sprintf("obi/live/%d/%d", p, k))
	j := &job{id: s.w.UUID("obi/live", p, k), vlab: hp.vlab, proj: hp.id, user: s.hist.users[hp.users[r.IntN(len(hp.users))]],
		name: fmt.Sprintf("live-%04x", r.IntN(0x10000)), hasName: true}
	j.reservedAt = t.Add(-time.Duration(2+r.IntN(20))*time.Second - micros(r))
	j.createdAt = j.reservedAt
	start := t.Truncate(time.Second)
	var usage int64
	if r.Float64() < 0.7 {
		j.kind, j.subtype = typeOneshot, "ml-llm"
		j.resCount = int64(logUniform(r, 1000, 20000))
		usage = j.resCount
	} else {
		j.kind, j.subtype = typeLongrun, histLongrun[pick(r, hp.lrWeights)]
		j.resInstances, j.resDuration = 1, 60*int64(10+r.IntN(31))
		usage = j.resDuration
		j.planStart, j.planAlive = start, start.Add(time.Duration(float64(j.resDuration)*(0.6+0.4*r.Float64()))*time.Second)
		j.planEnd = j.planAlive
	}
	proj := s.led.get(j.proj, KindProject)
	amount, err := s.jobCost(j.kind, j.subtype, j.vlab, 0, usage, j.reservedAt, j.reservedAt)
	if proj == nil || err != nil || amount.Cmp(proj.balance) > 0 {
		return
	}
	s.jobs.add(j)
	s.reserve(j, amount, j.reservedAt)
	if j.kind == typeOneshot {
		j.count = j.resCount
		j.startedAt, j.lastAliveAt, j.finishedAt = start, start, start
		return
	}
	l.planned = append(l.planned, j)
}

// storageEvents continues each project's daily storage events (the same
// times and sizes the history would have had) for events in [from, to).
func (l *liveState) storageEvents(from, to time.Time) {
	h := l.s.hist
	if h == nil {
		return
	}
	if l.storage == nil {
		l.storage = make([]storageDay, len(h.projects))
	}
	d := dayOf(from)
	for p := range h.projects {
		ev := &l.storage[p]
		if ev.day != d || ev.at.IsZero() {
			at, size := h.storageEvent(p, d)
			*ev = storageDay{day: d, at: at, size: size}
		}
		if ev.at.Before(from) || !ev.at.Before(to) {
			continue
		}
		if proj := l.s.led.get(h.projects[p].id, KindProject); proj != nil {
			l.s.openStorage(proj, l.s.w.UUID("obi/hist-storage", p, d), ev.size, ev.at, ev.at)
		}
	}
}
