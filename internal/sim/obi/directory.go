package obi

import "github.com/accounting-portal/portal/internal/sim/world"

// The real service has no endpoint listing virtual labs or projects: the
// portal learns them from its configuration. Directory gives the
// integrator that configuration for a world, exactly as the simulator
// registers the accounts.

// SystemAccountName is the name of the seeded system account.
const SystemAccountName = "system"

// Lab is a virtual lab as the simulator registers it.
type Lab struct {
	ID       string // the world's VirtualLab.ID (a UUID)
	Name     string // the world's VirtualLab.Name, the account name
	Projects []LabProject
}

// LabProject is a project of a Lab.
type LabProject struct {
	ID   string // the world's Project.OBIID (a UUID)
	Key  string // the portal's project key (world Project.Key)
	Name string // the world's display name (Project.Name)
	// AccountName is the OBI account name: "<lab name>/<project name>",
	// as virtual-lab-api names projects.
	AccountName string
}

// SystemAccountID is the id of the seeded system account.
func SystemAccountID(w *world.World) string { return w.UUID("obi/system") }

// Directory lists the world's virtual labs, in world order, each with its
// projects in world order.
func Directory(w *world.World) []Lab {
	labs := make([]Lab, len(w.VirtualLabs))
	for i, l := range w.VirtualLabs {
		labs[i] = Lab{ID: l.ID, Name: l.Name}
		for _, p := range w.ProjectsOfLab(l.ID) {
			labs[i].Projects = append(labs[i].Projects, LabProject{ID: p.OBIID, Key: p.Key, Name: p.Name,
				AccountName: l.Name + "/" + p.Name})
		}
	}
	return labs
}
