package amie

import (
	"slices"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// membersPerProject is how many of the world's users belong to each world
// project; the others are "Unknown user" for it.
const membersPerProject = 4

// extraAllocation is the allocation of every extra project (Options.Extra).
const extraAllocation = 1_000_000

// cast is what the simulator knows: projects with their members and
// allocations, and resources, each addressed by a small index.
type cast struct {
	projects  []castProject
	projByID  map[string]int32
	resources []string
	resByName map[string]int32
}

type castProject struct {
	id, key    string
	members    []string
	allocation decimal.Decimal
}

// Project is an AMIE project as the simulator knows it.
type Project struct {
	// LocalProjectID is the AMIE id (world.Project.AMIEID).
	LocalProjectID string
	// Key is the portal's project key ("" for extra projects).
	Key string
	// Members are the usernames the project accepts; records of anyone else
	// fail processing with "Unknown user".
	Members []string
	// Allocation is the project's total charge limit; a record that would
	// take the loaded charges above it fails with "Insufficient allocation".
	Allocation decimal.Decimal
}

func newCast(w *world.World, extra Cast) *cast {
	c := &cast{projByID: map[string]int32{}, resByName: map[string]int32{}}
	users := w.Usernames
	for i, p := range w.Projects {
		var members []string
		for k := range min(len(users), membersPerProject) {
			members = append(members, users[(i*3+k)%len(users)])
		}
		c.addProject(castProject{id: p.AMIEID, key: p.Key, members: members})
	}
	for _, id := range extra.Projects {
		c.addProject(castProject{id: id, members: slices.Clone(extra.Users), allocation: decimal.NewFromInt(extraAllocation)})
	}
	for _, r := range w.Resources {
		c.addResource(r.Name)
	}
	for _, r := range extra.Resources {
		c.addResource(r)
	}
	return c
}

func (c *cast) addProject(p castProject) {
	if _, ok := c.projByID[p.id]; ok || p.id == "" {
		return
	}
	c.projByID[p.id] = int32(len(c.projects))
	c.projects = append(c.projects, p)
}

func (c *cast) addResource(name string) {
	if _, ok := c.resByName[name]; ok || name == "" {
		return
	}
	c.resByName[name] = int32(len(c.resources))
	c.resources = append(c.resources, name)
}

// isMember reports whether user may charge project p.
func (c *cast) isMember(p int32, user []byte) bool {
	for _, m := range c.projects[p].members {
		if m == string(user) {
			return true
		}
	}
	return false
}

// setAllocations gives each world project an allocation half again as
// large as its history's loaded charges (at least 100,000), so that new
// records fit unless someone sends a lot.
func (c *cast) setAllocations(h *history) {
	for i := range c.projects {
		if !c.projects[i].allocation.IsZero() {
			continue
		}
		used := h.projectCents[i] / 100
		c.projects[i].allocation = decimal.NewFromInt(max(100_000, (used*3/2+999)/1000*1000))
	}
}

// Projects returns the projects the simulator accepts, world ones first.
func (s *Server) Projects() []Project {
	out := make([]Project, 0, len(s.cast.projects))
	for _, p := range s.cast.projects {
		out = append(out, Project{LocalProjectID: p.id, Key: p.key, Members: slices.Clone(p.members), Allocation: p.allocation})
	}
	return out
}

// Resources returns the resource names the simulator accepts, world ones first.
func (s *Server) Resources() []string { return slices.Clone(s.cast.resources) }
