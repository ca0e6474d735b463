package obi

import (
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// job is one stored job: made by a reservation (oneshot, longrun) or a
// storage event, or seeded because it was still open when the history
// ended. Zero times are null.
type job struct {
	id         string
	kind       string // oneshot, longrun, storage
	subtype    string
	vlab, proj string
	user       string
	group      string // "" = null
	name       string
	hasName    bool

	createdAt, reservedAt, startedAt, lastAliveAt time.Time
	finishedAt, cancelledAt, lastChargedAt        time.Time

	resCount, resDuration, resInstances int64
	resInstanceType                     string
	count, instances, size              int64
	instanceType                        string

	projNet  decimal.Decimal // -(sum of the PROJ ledger rows): the report's amount
	reserved decimal.Decimal // sum of RESERVE rows: the report's reserved_amount
	rsv      decimal.Decimal // what is left of the reservation

	// The plan of a seeded or live longrun job, followed in Live mode:
	// when it starts, when its heartbeats stop, and when it finishes (zero:
	// it goes silent and the charger expires it). Zero for jobs that
	// clients drive.
	planStart, planAlive, planEnd time.Time
	// inactive is set once the chargers dropped the job as settled.
	inactive bool
	// virtual marks a job of the generated history (never stored);
	// priced tells its amounts have been computed.
	virtual, priced bool
}

// reportable reports whether j shows in reports: finished and fully charged.
func (j *job) reportable() bool {
	return !j.finishedAt.IsZero() && j.finishedAt.Equal(j.lastChargedAt)
}

// open reports whether j is an open longrun job (§5.11).
func (j *job) open() bool {
	return j.kind == typeLongrun && j.finishedAt.IsZero() && j.cancelledAt.IsZero()
}

// settled reports whether no charger will ever touch j again: it is in
// the reports, or it is a reservation cancelled before any usage.
func (j *job) settled() bool {
	return j.reportable() || (!j.cancelledAt.IsZero() && j.startedAt.IsZero())
}

// jobStore holds the stored jobs in creation order.
type jobStore struct {
	list    []*job
	byID    map[string]*job
	active  []*job          // jobs the chargers may still have to charge
	storage map[string]*job // the open storage job of each project
}

func newJobStore() *jobStore {
	return &jobStore{byID: map[string]*job{}, storage: map[string]*job{}}
}

func (s *jobStore) add(j *job) {
	s.list = append(s.list, j)
	s.byID[j.id] = j
	s.active = append(s.active, j)
}

// take moves amount from the project into job j's accounting: the
// ledger transfer plus the per-job sums the reports read.
func (s *Server) reserve(j *job, amount decimal.Decimal, at time.Time) {
	p := s.led.accounts[j.proj]
	s.led.transfer(TxReserve, at, j.id, p, s.led.rsvOf(p), amount)
	j.projNet = j.projNet.Add(amount)
	j.reserved = j.reserved.Add(amount)
	j.rsv = j.rsv.Add(amount)
}

// release moves what is left of j's reservation back to the project and
// returns it.
func (s *Server) release(j *job, at time.Time) decimal.Decimal {
	left := j.rsv
	if left.Sign() > 0 {
		p := s.led.accounts[j.proj]
		s.led.transfer(TxRelease, at, j.id, s.led.rsvOf(p), p, left)
		j.projNet = j.projNet.Sub(left)
		j.rsv = j.rsv.Sub(left)
	}
	return left
}

// charge takes amount for j: from its reservation first, the rest from
// the project (which may go negative).
func (s *Server) charge(j *job, typ string, amount decimal.Decimal, at time.Time) {
	if amount.Sign() <= 0 {
		return
	}
	p := s.led.accounts[j.proj]
	sys := s.led.system()
	fromRsv := decimal.Min(amount, decimal.Max(j.rsv, decimal.Zero))
	if fromRsv.Sign() > 0 {
		s.led.transfer(typ, at, j.id, s.led.rsvOf(p), sys, fromRsv)
		j.rsv = j.rsv.Sub(fromRsv)
	}
	if rest := amount.Sub(fromRsv); rest.Sign() > 0 {
		s.led.transfer(typ, at, j.id, p, sys, rest)
		j.projNet = j.projNet.Add(rest)
	}
}

// refund gives amount back to the project from SYS.
func (s *Server) refund(j *job, amount decimal.Decimal, at time.Time) {
	if amount.Sign() <= 0 {
		return
	}
	s.led.transfer(TxRefund, at, j.id, s.led.system(), s.led.accounts[j.proj], amount)
	j.projNet = j.projNet.Sub(amount)
}
