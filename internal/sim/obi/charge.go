package obi

import (
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Chargers (API.md §7). The service runs them in loops every 600 s; the
// simulator runs them from catchUp at Options.ChargeEvery, and whenever a
// test calls RunChargers.

const (
	minLongrunInterval = 60 * time.Second   // CHARGE_LONGRUN_MIN_CHARGING_INTERVAL
	longrunExpiry      = 3600 * time.Second // a job silent this long is expired
	minStorageInterval = 3600 * time.Second // CHARGE_STORAGE_MIN_CHARGING_INTERVAL
)

// minCharge is the smallest increment charged to a running job.
var minCharge = decimal.MustParse("0.000001")

// runChargers charges every stored job that needs it, as of now.
func (s *Server) runChargers(now time.Time) {
	s.charged = now
	if s.led.system() == nil {
		return // the service's chargers fail without a system account
	}
	keep := s.jobs.active[:0]
	for _, j := range s.jobs.active {
		switch j.kind {
		case typeOneshot:
			s.chargeOneshot(j, now)
		case typeLongrun:
			s.chargeLongrun(j, now)
		case typeStorage:
			s.chargeStorage(j, now)
		}
		if j.settled() {
			j.inactive = true
		} else {
			keep = append(keep, j)
		}
	}
	clear(s.jobs.active[len(keep):])
	s.jobs.active = keep
}

// touch puts a settled job back in the chargers' way after an event
// changed it (a late "finished" of an expired job).
func (s *Server) touch(j *job) {
	if j.inactive {
		j.inactive = false
		s.jobs.active = append(s.jobs.active, j)
	}
}

// priceTime is when a job's price is looked up: its reservation, or its
// start if it was never reserved.
func (j *job) priceTime() time.Time {
	if !j.reservedAt.IsZero() {
		return j.reservedAt
	}
	return j.startedAt
}

// chargeOneshot charges cost(0, count) from the reservation, then the
// project, releases the rest, and marks the job charged.
func (s *Server) chargeOneshot(j *job, now time.Time) {
	if j.startedAt.IsZero() || !j.lastChargedAt.IsZero() {
		return
	}
	p := s.book.lookup(typeOneshot, j.subtype, j.vlab, j.priceTime())
	if p == nil {
		return
	}
	total := s.book.discounted(tierCost(p.Tiers, 0, j.count), j.vlab, now)
	s.charge(j, TxChargeOneshot, total, now)
	s.release(j, now)
	j.lastChargedAt = j.startedAt
}

// usageAt is a longrun job's usage in instance-seconds from its start to t.
func (j *job) usageAt(t time.Time) int64 {
	secs := int64(t.Sub(j.startedAt) / time.Second)
	return j.instances * max(secs, 0)
}

// chargeLongrun charges a running job incrementally, settles a finished
// one (charging the last increment or refunding an excess), and expires
// one silent for an hour.
func (s *Server) chargeLongrun(j *job, now time.Time) {
	if j.startedAt.IsZero() || j.reportable() {
		return
	}
	p := s.book.lookup(typeLongrun, j.subtype, j.vlab, j.priceTime())
	if p == nil {
		return
	}
	last := j.lastChargedAt
	if last.IsZero() {
		last = j.startedAt
	}
	cost := func(from, to time.Time) decimal.Decimal {
		return s.book.discounted(tierCost(p.Tiers, j.usageAt(from), j.usageAt(to)), j.vlab, now)
	}
	switch {
	case j.finishedAt.IsZero() && now.Sub(j.lastAliveAt) > longrunExpiry:
		s.charge(j, TxChargeLongrun, cost(last, now), now)
		s.release(j, now)
		j.finishedAt, j.cancelledAt, j.lastChargedAt = now, now, now
	case j.finishedAt.IsZero():
		if !j.lastChargedAt.IsZero() && now.Sub(j.lastChargedAt) < minLongrunInterval {
			return
		}
		if inc := cost(last, now); inc.Cmp(minCharge) >= 0 {
			s.charge(j, TxChargeLongrun, inc, now)
			j.lastChargedAt = now
		}
	case last.Before(j.finishedAt):
		s.charge(j, TxChargeLongrun, cost(last, j.finishedAt), now)
		s.release(j, now)
		j.lastChargedAt = j.finishedAt
	default:
		s.refund(j, cost(j.finishedAt, last), now)
		s.release(j, now)
		j.lastChargedAt = j.finishedAt
	}
}

// chargeStorage bills multiplier × size × seconds from the project, at
// most hourly while the job is open, and up to its end once closed.
func (s *Server) chargeStorage(j *job, now time.Time) {
	if j.reportable() {
		return
	}
	p := s.book.lookup(typeStorage, j.subtype, j.vlab, now)
	if p == nil {
		return
	}
	last := j.lastChargedAt
	if last.IsZero() {
		last = j.startedAt
	}
	// Whole seconds since the start, so that hourly increments add up to
	// exactly the job's duration.
	elapsed := func(t time.Time) int64 { return int64(t.Sub(j.startedAt) / time.Second) }
	cost := func(from, to time.Time) decimal.Decimal {
		return s.book.discounted(storageCost(p, j.size, elapsed(to)-elapsed(from)), j.vlab, now)
	}
	switch {
	case j.finishedAt.IsZero():
		if !j.lastChargedAt.IsZero() && now.Sub(j.lastChargedAt) < minStorageInterval {
			return
		}
		if inc := cost(last, now); inc.Cmp(minCharge) >= 0 {
			s.charge(j, TxChargeStorage, inc, now)
			j.lastChargedAt = now
		}
	case last.Before(j.finishedAt) || j.lastChargedAt.IsZero():
		s.charge(j, TxChargeStorage, cost(last, j.finishedAt), now)
		j.lastChargedAt = j.finishedAt
	default:
		s.refund(j, cost(j.finishedAt, last), now)
		j.lastChargedAt = j.finishedAt
	}
}
