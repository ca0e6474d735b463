package obi

import (
	"fmt"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// seed fills an empty simulator from the world at t0: accounts with
// opening budgets, prices and discounts, the history generator, and the
// jobs still open at t0 (reserved, charged up to t0).
func (s *Server) seed(t0 time.Time) {
	w := s.opts.World
	s.hist = newHistory(w, nil, t0, s.opts.HistoryDays)
	s.seedPrices(dayStart(s.hist.firstDay-30), t0)
	s.seedLabPricing(w, t0)
	s.hist.book = s.book.clone()

	opened := s.hist.firstDay
	start := dayStart(opened)
	s.led.addSystem(SystemAccountID(w), SystemAccountName)
	sys := s.led.system()
	labs := Directory(w)
	for li, lab := range labs {
		vlab := s.led.addVlab(lab.ID, lab.Name)
		var projOpen []decimal.Decimal
		var open [][]*job
		labBurn := decimal.Zero
		for _, p := range lab.Projects {
			idx := s.hist.index[p.ID]
			jobs := append(s.openJobsAt(idx), s.hist.runningJobs(idx)...)
			burn := s.hist.burn(idx, 14)
			labBurn = labBurn.Add(burn)
			opening := s.remaining(idx, burn)
			for _, j := range jobs {
				opening = opening.Add(s.seedReservation(j))
			}
			projOpen = append(projOpen, opening)
			open = append(open, jobs)
		}
		labLeft := s.labRemaining(li, labBurn)
		total := labLeft
		for _, o := range projOpen {
			total = total.Add(o)
		}
		s.led.transfer(TxTopUp, start, "", sys, vlab, total)
		for pi, p := range lab.Projects {
			proj := s.led.addProject(p.ID, p.AccountName, lab.ID, w.UUID("obi/rsv", p.ID))
			s.led.transfer(TxAssign, start, "", vlab, proj, projOpen[pi])
			for _, j := range open[pi] {
				s.storeSeeded(j)
			}
		}
	}
	s.runChargers(t0)
}

// openJobsAt returns the history jobs of project idx that are still open
// at t0: longrun jobs reserved or running, and the open storage job.
func (s *Server) openJobsAt(idx int) []*job {
	var out []*job
	for d := s.hist.lastDay - 1; d <= s.hist.lastDay; d++ {
		for _, j := range s.hist.day(idx, d) {
			if s.hist.finished(j) || j.kind == typeOneshot {
				continue
			}
			if j.kind == typeStorage && !j.finishedAt.IsZero() {
				continue // closed by an event after t0: not part of the seed
			}
			out = append(out, j)
		}
	}
	return out
}

// seedReservation returns what an open history job reserves.
func (s *Server) seedReservation(j *job) decimal.Decimal {
	if j.kind != typeLongrun {
		return decimal.Zero
	}
	cost, err := s.jobCost(typeLongrun, j.subtype, j.vlab, 0, j.resInstances*j.resDuration, j.reservedAt, j.reservedAt)
	if err != nil {
		return decimal.Zero
	}
	return cost
}

// storeSeeded turns a generated open job into a stored one as of t0:
// reserved, and, if started, alive a few seconds ago, with the rest of
// its plan kept for Live mode.
func (s *Server) storeSeeded(j *job) {
	t0 := s.hist.t0
	j.virtual = false
	if j.kind == typeStorage {
		s.jobs.add(j)
		s.jobs.storage[j.proj] = j
		return
	}
	j.planStart, j.planAlive, j.planEnd = j.startedAt, j.lastAliveAt, j.finishedAt
	if !j.cancelledAt.IsZero() {
		j.planEnd = time.Time{} // it will go silent and expire
	}
	j.finishedAt, j.cancelledAt = time.Time{}, time.Time{}
	j.count, j.instances = 0, 0
	switch {
	case !j.startedAt.Before(t0):
		j.startedAt, j.lastAliveAt = time.Time{}, time.Time{}
	case j.planAlive.Before(t0):
		j.instances = j.resInstances
	default:
		j.instances = j.resInstances
		// Heartbeats every 30 s: the last one a few seconds before t0.
		beats := t0.Sub(j.startedAt) / (30 * time.Second)
		j.lastAliveAt = j.startedAt.Add(beats * 30 * time.Second)
	}
	s.jobs.add(j)
	s.reserve(j, s.seedReservation(j), j.reservedAt)
}

// remaining is the budget project idx has left at t0: its recent daily
// burn times a number of days, only a few for one project in about
// seventeen (the second demo project among them), so a demo has a
// project close to running out.
func (s *Server) remaining(idx int, burn decimal.Decimal) decimal.Decimal {
	r := s.opts.World.Rand(fmt.Sprintf("obi/budget/%d", idx))
	days := 20 + 160*r.Float64()
	if idx%17 == 1 {
		days = 2.5 + 3*r.Float64()
	}
	return burn.Mul(decimalFromFloat(days)).Round(2)
}

// labRemaining is what a lab keeps unassigned: one to four months of its
// projects' burn, in whole credits.
func (s *Server) labRemaining(li int, burn decimal.Decimal) decimal.Decimal {
	r := s.opts.World.Rand(fmt.Sprintf("obi/lab-budget/%d", li))
	left := burn.Mul(decimalFromFloat(30 + 90*r.Float64())).Round(0)
	return decimal.Max(left, decimal.NewFromInt(100))
}

func decimalFromFloat(f float64) decimal.Decimal {
	return decimal.MustParse(fmt.Sprintf("%.4f", f))
}

// burn estimates the mean daily amount charged to project idx over the
// last n full days of its history (at least 1, so every project has a
// budget). It only sizes the seeded budgets, so it uses float arithmetic
// on the generated jobs: exact decimals for every job of a large world
// would make startup take seconds.
func (h *history) burn(idx, n int) decimal.Decimal {
	total := 0.0
	for d := h.lastDay - int64(n); d < h.lastDay; d++ {
		for _, j := range h.generate(idx, d, false) {
			if h.finished(j) {
				total += h.estimate(j)
			}
		}
	}
	return decimal.Max(decimalFromFloat(total/float64(n)), decimal.NewFromInt(1))
}

// estimate is a float approximation of a history job's amount.
func (h *history) estimate(j *job) float64 {
	var p *Price
	var usage int64
	switch j.kind {
	case typeOneshot:
		p, usage = h.book.lookup(typeOneshot, j.subtype, j.vlab, j.reservedAt), j.count
	case typeLongrun:
		p, usage = h.book.lookup(typeLongrun, j.subtype, j.vlab, j.reservedAt), j.usageAt(j.finishedAt)
	case typeStorage:
		p = h.book.lookup(typeStorage, "storage", j.vlab, j.finishedAt)
		if p == nil {
			return 0
		}
		return h.floats(p)[0].mult * float64(j.size) * j.finishedAt.Sub(j.startedAt).Seconds()
	}
	if p == nil {
		return 0
	}
	cost := 0.0
	for _, t := range h.floats(p) {
		if usage <= t.min {
			break
		}
		hi := usage
		if t.max >= 0 {
			hi = min(usage, t.max)
		}
		if t.min < hi {
			cost += t.fixed + t.mult*float64(hi-t.min)
		}
	}
	if d := h.book.current(j.vlab, j.finishedAt); d != nil {
		cost *= 1 - d.Discount.Float64()
	}
	return cost
}

// floatTier is a price tier in floats, for estimates only.
type floatTier struct {
	min, max    int64
	fixed, mult float64
}

func (h *history) floats(p *Price) []floatTier {
	if ft, ok := h.floatTiers[p]; ok {
		return ft
	}
	ft := make([]floatTier, len(p.Tiers))
	for i, t := range p.Tiers {
		ft[i] = floatTier{t.Min, t.Max, t.Fixed.Float64(), t.Multiplier.Float64()}
	}
	h.floatTiers[p] = ft
	return ft
}
