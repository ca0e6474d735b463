package obi

import (
	"net/http"

	"github.com/accounting-portal/portal/internal/decimal"
)

type reservationOut struct {
	JobID  string          `json:"job_id"`
	Amount decimal.Decimal `json:"amount"`
}

func (s *Server) handleReserveOneshot(c *call) {
	v, ok := c.bodyOf(reserveOneshot)
	if !ok {
		return
	}
	j := s.newReservedJob(v, typeOneshot)
	j.resCount = v.num("count")
	s.makeReservation(c, j, j.resCount, "Oneshot reservation executed")
}

func (s *Server) handleReserveLongrun(c *call) {
	v, ok := c.bodyOf(reserveLongrun)
	if !ok {
		return
	}
	j := s.newReservedJob(v, typeLongrun)
	j.resDuration, j.resInstances, j.resInstanceType = v.num("duration"), v.num("instances"), v.str("instance_type")
	s.makeReservation(c, j, j.resInstances*j.resDuration, "Longrun reservation executed")
}

// newReservedJob fills the fields every reservation has; the job is
// stored only once its funds are reserved.
func (s *Server) newReservedJob(v values, kind string) *job {
	j := &job{kind: kind, subtype: v.str("subtype"), proj: v.str("proj_id"), user: v.str("user_id"),
		group: v.str("group_id"), name: v.str("name"), hasName: v.has("name")}
	return j
}

// makeReservation is §5.8: price at now, cost of the reserved usage with
// the current discount, 402 when the project cannot cover it, else a new
// job and a RESERVE entry PROJ→RSV.
func (s *Server) makeReservation(c *call, j *job, usage int64, message string) {
	proj := s.led.get(j.proj, KindProject)
	if proj == nil {
		c.fail(notFound("Account not found"))
		return
	}
	j.vlab = proj.parent
	amount, err := s.jobCost(j.kind, j.subtype, j.vlab, 0, usage, c.now, c.now)
	if err != nil {
		c.fail(err)
		return
	}
	if amount.Cmp(proj.balance) > 0 {
		c.fail(&apiError{status: http.StatusPaymentRequired, code: codeInsufficient,
			message: "Reservation not allowed because of insufficient funds",
			details: map[string]decimal.Decimal{"requested_amount": amount}})
		return
	}
	j.id = s.uniqueJobID()
	j.createdAt, j.reservedAt = c.now, c.now
	s.jobs.add(j)
	s.reserve(j, amount, c.now)
	c.data(http.StatusCreated, message, reservationOut{j.id, amount})
}

// uniqueJobID returns a new job id not used yet, even when a test's
// Options.NewID repeats itself.
func (s *Server) uniqueJobID() string {
	for range 1000 {
		if id := s.newJobID(); s.jobs.byID[id] == nil {
			return id
		}
	}
	s.idSeq++
	return s.w.UUID("obi/api-job-fallback", s.idSeq)
}

// releaseHandler serves DELETE /reservation/{kind}/{job_id}: cancel a
// reservation that no usage has started.
func (s *Server) releaseHandler(kind string) func(*call) {
	message := "Oneshot reservation has been released"
	if kind == typeLongrun {
		message = "Longrun reservation has been released"
	}
	return func(c *call) {
		id, ok := c.pathUUID("job_id")
		if !ok {
			return
		}
		j := s.jobs.byID[id]
		switch {
		case j == nil || j.kind != kind:
			c.fail(notFound("The specified job cannot be found"))
		case !j.cancelledAt.IsZero():
			c.fail(&apiError{status: http.StatusBadRequest, code: codeCancelled, message: "The reservation cannot be released because already cancelled"})
		case !j.startedAt.IsZero():
			c.fail(&apiError{status: http.StatusBadRequest, code: codeStarted, message: "The reservation cannot be released because already started"})
		default:
			amount := s.release(j, c.now)
			j.cancelledAt = c.now
			c.data(http.StatusOK, message, reservationOut{j.id, amount})
		}
	}
}
