package obi

import (
	"net/http"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Budget operations (API.md §5.4). None is idempotent: each call is one
// more journal entry.

func (s *Server) handleTopUp(c *call) {
	v, ok := c.bodyOf(topUpIn)
	if !ok {
		return
	}
	sys := s.led.system()
	if sys == nil {
		c.fail(notFound("System account not found"))
		return
	}
	lab := s.led.get(v.str("vlab_id"), KindVirtualLab)
	if lab == nil {
		c.fail(notFound("Virtual lab not found"))
		return
	}
	s.led.transfer(TxTopUp, c.now, "", sys, lab, v.dec("amount"))
	c.data(http.StatusOK, "Top-up operation executed", nil)
}

// labAndProject finds the lab and a project of it, or the service's error.
func (s *Server) labAndProject(vlabID, projID, notMine string) (*account, *account, *apiError) {
	lab := s.led.get(vlabID, KindVirtualLab)
	proj := s.led.get(projID, KindProject)
	if lab == nil || proj == nil {
		return nil, nil, notFound("Account not found")
	}
	if proj.parent != lab.id {
		return nil, nil, invalid(notMine)
	}
	return lab, proj, nil
}

func (s *Server) handleAssign(c *call) {
	v, ok := c.bodyOf(assignIn)
	if !ok {
		return
	}
	lab, proj, err := s.labAndProject(v.str("vlab_id"), v.str("proj_id"), "The project doesn't belong to the virtual-lab")
	if err != nil {
		c.fail(err)
		return
	}
	if lab.balance.Cmp(v.dec("amount")) < 0 {
		c.fail(invalid("Insufficient funds in the virtual-lab account"))
		return
	}
	s.led.transfer(TxAssign, c.now, "", lab, proj, v.dec("amount"))
	c.data(http.StatusOK, "Assign budget operation executed", nil)
}

func (s *Server) handleReverse(c *call) {
	v, ok := c.bodyOf(reverseIn)
	if !ok {
		return
	}
	lab, proj, err := s.labAndProject(v.str("vlab_id"), v.str("proj_id"), "The project doesn't belong to the virtual-lab")
	if err != nil {
		c.fail(err)
		return
	}
	if proj.balance.Cmp(v.dec("amount")) < 0 {
		c.fail(invalid("Insufficient funds in the project account"))
		return
	}
	s.led.transfer(TxReverse, c.now, "", proj, lab, v.dec("amount"))
	c.data(http.StatusOK, "Reverse budget operation executed", nil)
}

func (s *Server) handleMove(c *call) {
	v, ok := c.bodyOf(moveIn)
	if !ok {
		return
	}
	if v.str("debited_from") == v.str("credited_to") {
		c.fail(invalid("The debited and credited accounts must be different"))
		return
	}
	lab := s.led.get(v.str("vlab_id"), KindVirtualLab)
	from := s.led.get(v.str("debited_from"), KindProject)
	to := s.led.get(v.str("credited_to"), KindProject)
	switch {
	case lab == nil || from == nil || to == nil:
		c.fail(notFound("Account not found"))
	case from.parent != lab.id:
		c.fail(invalid("The debited project doesn't belong to the virtual-lab"))
	case to.parent != lab.id:
		c.fail(invalid("The credited project doesn't belong to the virtual-lab"))
	case from.balance.Cmp(v.dec("amount")) < 0:
		c.fail(invalid("Insufficient funds in the debited account"))
	default:
		s.led.transfer(TxMove, c.now, "", from, to, v.dec("amount"))
		c.data(http.StatusOK, "Move budget operation executed", nil)
	}
}

// handleGrant is a top-up of the project's lab and an assignment to the
// project in one transaction: the lab's balance does not change.
func (s *Server) handleGrant(c *call) {
	v, ok := c.bodyOf(grantIn)
	if !ok {
		return
	}
	proj := s.led.get(v.str("proj_id"), KindProject)
	sys := s.led.system()
	if proj == nil || sys == nil {
		c.fail(notFound("Account not found"))
		return
	}
	lab := s.led.accounts[proj.parent]
	s.led.transfer(TxTopUp, c.now, "", sys, lab, v.dec("amount"))
	s.led.transfer(TxAssign, c.now, "", lab, proj, v.dec("amount"))
	c.data(http.StatusOK, "Grant budget operation executed", nil)
}

type depleteOut struct {
	TotalAmount money2 `json:"total_amount"`
}

// deplete moves a positive balance of a to the system account.
func (s *Server) deplete(a, sys *account, at time.Time) decimal.Decimal {
	if a.balance.Sign() <= 0 {
		return decimal.Zero
	}
	amount := a.balance
	s.led.transfer(TxDeplete, at, "", a, sys, amount)
	return amount
}

func (s *Server) handleDepleteProject(c *call) {
	v, ok := c.bodyOf(depleteProjIn)
	if !ok {
		return
	}
	proj := s.led.get(v.str("proj_id"), KindProject)
	sys := s.led.system()
	if proj == nil || sys == nil {
		c.fail(notFound("Account not found"))
		return
	}
	total := s.deplete(proj, sys, c.now)
	c.data(http.StatusOK, "Deplete project operation executed", depleteOut{money2(total)})
}

// handleDepleteVlab empties every project of the lab with a positive
// balance, then the lab; reservations are left alone.
func (s *Server) handleDepleteVlab(c *call) {
	v, ok := c.bodyOf(depleteVlabIn)
	if !ok {
		return
	}
	sys := s.led.system()
	if sys == nil {
		c.fail(notFound("System account not found"))
		return
	}
	lab := s.led.get(v.str("vlab_id"), KindVirtualLab)
	if lab == nil {
		c.fail(notFound("Virtual lab not found"))
		return
	}
	total := decimal.Zero
	for _, pid := range s.led.projects[lab.id] {
		total = total.Add(s.deplete(s.led.accounts[pid], sys, c.now))
	}
	total = total.Add(s.deplete(lab, sys, c.now))
	c.data(http.StatusOK, "Deplete virtual lab operation executed", depleteOut{money2(total)})
}
