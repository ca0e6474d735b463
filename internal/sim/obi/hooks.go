package obi

import (
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Go accessors and test hooks. None of them exists in the real service.

// Now returns the simulated clock.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

// Advance moves the simulated clock forward by d and does what the
// service's background loops would have done meanwhile (Live mode's jobs,
// and the chargers if their interval has passed).
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
	s.catchUp(s.now())
}

// RunChargers runs the oneshot, longrun and storage chargers now, as one
// pass of the service's charging loops.
func (s *Server) RunChargers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runChargers(s.now())
}

// Journal returns a copy of the journal: every entry since the simulator
// started, including the seeded opening budgets and reservations. The
// generated history's charges are not in it (they are computed when a
// report shows them).
func (s *Server) Journal() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.led.journal...)
}

// FailedEvents returns the usage events the consumer rejected (the last
// thousand), oldest first.
func (s *Server) FailedEvents() []FailedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]FailedEvent(nil), s.usage.failed...)
}

// Balance returns the balance of any account (SYS, VLAB, PROJ or RSV) by
// id, unrounded, and whether it exists.
func (s *Server) Balance(id string) (decimal.Decimal, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.led.accounts[id]
	if a == nil {
		return decimal.Zero, false
	}
	return a.balance, true
}

// ProjectBalance returns a project's balance and reserved amount,
// unrounded, and whether the project exists.
func (s *Server) ProjectBalance(id string) (balance, reservation decimal.Decimal, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.led.get(id, KindProject)
	if p == nil {
		return decimal.Zero, decimal.Zero, false
	}
	return p.balance, s.led.rsvOf(p).balance, true
}

// SystemID returns the id of the system account, "" if there is none.
func (s *Server) SystemID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.led.system() == nil {
		return ""
	}
	return s.led.sysID
}

// Accounts lists the virtual labs and their projects as registered now
// (seeded and created through the API), with their account names.
func (s *Server) Accounts() []Lab {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Lab
	for _, id := range s.led.vlabs {
		lab := Lab{ID: id, Name: s.led.accounts[id].name}
		for _, pid := range s.led.projects[id] {
			lab.Projects = append(lab.Projects, LabProject{ID: pid, AccountName: s.led.accounts[pid].name})
		}
		out = append(out, lab)
	}
	return out
}
