package argo

import (
	"context"
	"net/http"
	"strings"
	"testing"

	simargo "github.com/accounting-portal/portal/internal/sim/argo"
	"github.com/accounting-portal/portal/internal/sim/world"
)

func TestEntities_AgainstTheSimulatorInEveryEra(t *testing.T) {
	for _, version := range []string{simargo.VersionUnion, simargo.Version170, simargo.Version181} {
		t.Run("version="+version, func(t *testing.T) {
			f := newFixture(t, simargo.Options{World: world.New(3, 15), Version: version}) // 120 installations: 2 pages of 100
			ctx := context.Background()
			projects, err := f.client.Projects(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := f.sim.Projects()
			if len(projects) != len(want) || projects[0].ID != want[0].ID || projects[0].Title != want[0].Title || len(projects[0].Providers) == 0 {
				t.Fatalf("%d projects, want %d; first %+v", len(projects), len(want), projects[0])
			}
			ins, err := f.client.Installations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			simIns := f.sim.Installations()
			if len(ins) != len(simIns) || f.hits.count("/accounting-system/installations/all") != 2 {
				t.Fatalf("%d installations of %d in %d requests", len(ins), len(simIns), f.hits.count("/accounting-system/installations/all"))
			}
			for i, in := range ins {
				s := simIns[i]
				if in.ID != s.ID || in.ProjectID != s.ProjectID || in.ProviderID != s.ProviderID || in.Installation != s.Name ||
					in.Resource != s.Resource || in.UnitOfAccess.MetricDefinitionID != s.UnitOfAccess {
					t.Fatalf("installation %d: %+v, sim has %+v", i, in, s)
				}
				if s.UnitOfAccess != "" && (in.UnitOfAccess.Definition == nil || in.UnitOfAccess.Definition.UnitType == "") {
					t.Fatalf("installation %s: unit of access object not decoded: %+v", in.ID, in.UnitOfAccess)
				}
				if wantExt := version != simargo.Version170; (in.ExternalID != "") != wantExt || (in.Capacities != nil) != wantExt {
					t.Fatalf("version %q: external id %q, capacities %v", version, in.ExternalID, in.Capacities)
				}
			}
			providers, err := f.client.Providers(ctx)
			if err != nil || len(providers) != len(f.sim.Providers()) {
				t.Fatalf("providers %d, %v", len(providers), err)
			}
			defs, err := f.client.MetricDefinitions(ctx)
			if err != nil || len(defs) != len(f.sim.MetricDefinitions()) || defs[0].UnitType == "" || defs[0].MetricType == "" {
				t.Fatalf("definitions %+v, %v", defs, err)
			}
		})
	}
}

func TestProjects_FallBackToAdminProjectsOnce(t *testing.T) {
	f := newFixture(t, simargo.Options{Version: simargo.Version181})
	ctx := context.Background()
	for range 2 {
		ps, err := f.client.Projects(ctx)
		if err != nil || len(ps) != 5 {
			t.Fatalf("projects %d, %v", len(ps), err)
		}
	}
	if got := f.hits.count("/accounting-system/projects"); got != 1 {
		t.Fatalf("GET /projects asked %d times; the fallback must be remembered", got)
	}
	if got := f.hits.count("/accounting-system/admin/projects"); got != 2 {
		t.Fatalf("GET /admin/projects asked %d times", got)
	}
}

func TestEntities_ByIDAndPerScope(t *testing.T) {
	f := newFixture(t, simargo.Options{})
	ctx := context.Background()
	in := f.sim.Installations()[1]
	got, err := f.client.Installation(ctx, in.ID)
	if err != nil || got.ID != in.ID || got.Infrastructure != in.Infrastructure {
		t.Fatalf("installation %+v, %v", got, err)
	}
	p, err := f.client.Project(ctx, in.ProjectID)
	if err != nil {
		t.Fatal(err)
	}
	var hier *ProjectInstallation
	for _, pv := range p.Providers {
		for i := range pv.Installations {
			if pv.Installations[i].ID == in.ID {
				hier = &pv.Installations[i]
			}
		}
	}
	if hier == nil || hier.UnitOfAccess.MetricDefinitionID != in.UnitOfAccess || hier.UnitOfAccess.Definition != nil {
		t.Fatalf("hierarchy installation %+v (an id string unit of access)", hier)
	}
	list, err := f.client.ProjectInstallations(ctx, in.ProjectID)
	if err != nil || len(list) == 0 {
		t.Fatalf("project installations %v, %v", list, err)
	}
	list, err = f.client.ProviderInstallations(ctx, in.ProjectID, in.ProviderID)
	if err != nil || len(list) == 0 || list[0].ProviderID != in.ProviderID {
		t.Fatalf("provider installations %v, %v", list, err)
	}
	pv, err := f.client.Provider(ctx, in.ProviderID)
	if err != nil || pv.ID != in.ProviderID || pv.Name == "" {
		t.Fatalf("provider %+v, %v", pv, err)
	}
	md, err := f.client.MetricDefinition(ctx, in.MetricDefinitionIDs[0])
	if err != nil || md.ID != in.MetricDefinitionIDs[0] || md.Name == "" {
		t.Fatalf("definition %+v, %v", md, err)
	}
}

func TestErrors_MappedWithTheServersMessage(t *testing.T) {
	f := newFixture(t, simargo.Options{})
	ctx := context.Background()
	_, err := f.client.Installation(ctx, "nope")
	wantCode(t, err, "not_found")
	if !strings.Contains(err.Error(), "There is no Installation with the following id: nope") || !hasStatus(err, 404) {
		t.Fatalf("404 error %v", err)
	}
	_, err = f.client.Project(ctx, "NOPE")
	wantCode(t, err, "not_found")
	_, err = f.client.InstallationMetrics(ctx, f.sim.Installations()[0].ID, MetricFilter{MetricDefinitionID: "nope"})
	if !strings.Contains(err.Error(), "There is no Metric Definition with the following id: nope") {
		t.Fatalf("filter error %v", err)
	}

	cfg := f.cfg
	cfg.Token = "wrong"
	bad, _ := New(cfg)
	_, err = bad.Providers(ctx)
	wantCode(t, err, "unauthorized")
	if !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "token") {
		t.Fatalf("401 error %v", err)
	}
	if hasStatus(err, http.StatusNotFound) {
		t.Fatal("status lost")
	}
}
