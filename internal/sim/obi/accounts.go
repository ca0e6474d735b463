package obi

import (
	"net/http"

	"github.com/accounting-portal/portal/internal/decimal"
)

// money2 is the service's FormattedDecimal: always two places, rounded
// half to even (f"{x:.2f}").
type money2 decimal.Decimal

// MarshalJSON writes the two-place string.
func (m money2) MarshalJSON() ([]byte, error) {
	return []byte(`"` + decimal.Decimal(m).StringFixed(2) + `"`), nil
}

type idName struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// handleCreateSystem creates the one system account. A second one, or a
// used id, is a database error in the service: 500 text/plain.
func (s *Server) handleCreateSystem(c *call) {
	v, ok := c.bodyOf(sysAccountIn)
	if !ok {
		return
	}
	if s.led.system() != nil || s.led.exists(v.str("id")) {
		c.fail(errInternal)
		return
	}
	s.led.addSystem(v.str("id"), v.str("name"))
	c.data(http.StatusCreated, "System account created", idName{v.str("id"), v.str("name")})
}

// handleCreateVlab creates a virtual lab; a non-zero balance is a top-up
// from the system account.
func (s *Server) handleCreateVlab(c *call) {
	v, ok := c.bodyOf(vlabAccountIn)
	if !ok {
		return
	}
	balance := decimal.Zero
	if v.has("balance") {
		balance = v.dec("balance")
	}
	if s.led.exists(v.str("id")) {
		c.fail(errInternal)
		return
	}
	sys := s.led.system()
	if balance.Sign() > 0 && sys == nil {
		c.fail(notFound("System account not found"))
		return
	}
	lab := s.led.addVlab(v.str("id"), v.str("name"))
	if balance.Sign() > 0 {
		s.led.transfer(TxTopUp, c.now, "", sys, lab, balance)
	}
	c.data(http.StatusCreated, "Virtual lab created", struct {
		ID      string          `json:"id"`
		Name    string          `json:"name"`
		Balance decimal.Decimal `json:"balance"`
	}{lab.id, lab.name, balance})
}

// handleCreateProject creates a project and its reservation account. An
// unknown virtual lab is a foreign key violation in the service: 500.
func (s *Server) handleCreateProject(c *call) {
	v, ok := c.bodyOf(projAccountIn)
	if !ok {
		return
	}
	id := v.str("id")
	if s.led.exists(id) || s.led.get(v.str("vlab_id"), KindVirtualLab) == nil {
		c.fail(errInternal)
		return
	}
	s.led.addProject(id, v.str("name"), v.str("vlab_id"), s.w.UUID("obi/rsv", id))
	c.data(http.StatusCreated, "Project created", idName{id, v.str("name")})
}

func (s *Server) handleSystemBalance(c *call) {
	sys := s.led.system()
	if sys == nil {
		c.fail(notFound("System account not found"))
		return
	}
	c.data(http.StatusOK, "Balance for system", struct {
		Balance money2 `json:"balance"`
	}{money2(sys.balance)})
}

type projBalanceOut struct {
	ProjID      string `json:"proj_id"`
	Balance     money2 `json:"balance"`
	Reservation money2 `json:"reservation"`
}

type vlabBalanceOut struct {
	VlabID  string `json:"vlab_id"`
	Balance money2 `json:"balance"`
	// Projects is absent unless asked for (response_model_exclude_defaults).
	Projects *[]projBalanceOut `json:"projects,omitempty"`
}

func (s *Server) projBalance(p *account) projBalanceOut {
	return projBalanceOut{p.id, money2(p.balance), money2(s.led.rsvOf(p).balance)}
}

func (s *Server) handleVlabBalance(c *call) {
	id, ok := c.pathUUID("vlab_id")
	if !ok {
		return
	}
	with, d := queryBool(c.r.URL.Query(), "include_projects")
	if d != nil {
		c.invalid([]detail{*d})
		return
	}
	lab := s.led.get(id, KindVirtualLab)
	if lab == nil {
		c.fail(notFound("Virtual lab not found"))
		return
	}
	out := vlabBalanceOut{VlabID: id, Balance: money2(lab.balance)}
	msg := "Balance for virtual-lab"
	if with {
		projects := []projBalanceOut{}
		for _, pid := range s.led.projects[id] {
			projects = append(projects, s.projBalance(s.led.accounts[pid]))
		}
		out.Projects = &projects
		msg = "Balance for virtual-lab including projects"
	}
	c.data(http.StatusOK, msg, out)
}

func (s *Server) handleProjectBalance(c *call) {
	id, ok := c.pathUUID("proj_id")
	if !ok {
		return
	}
	p := s.led.get(id, KindProject)
	if p == nil {
		c.fail(notFound("Project not found"))
		return
	}
	c.data(http.StatusOK, "Balance for project", s.projBalance(p))
}
