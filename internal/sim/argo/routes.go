package argo

import (
	"net/http"
	"strings"
)

// basePath prefixes every API route.
const basePath = "/accounting-system"

// routes registers the union of both eras' routes the portal and the
// Python library use (API.md §7), less what Options.Version removes.
func (s *Server) routes() {
	get := func(path string, h handler) { s.mux.HandleFunc("GET "+basePath+path, s.authed(false, h)) }
	if s.opts.Version != Version181 {
		get("/projects", s.listProjects)
	}
	if s.opts.Version != Version170 {
		get("/admin/projects", s.listProjects)
		get("/admin/version", s.version)
	}
	get("/projects/{project}", s.getProject)
	get("/projects/{project}/installations", s.listProjectInstallations)
	get("/projects/{project}/providers/{provider}/installations", s.listProjectProviderInstallations)
	get("/projects/{project}/metrics", s.listProjectMetrics)
	get("/projects/{project}/providers/{provider}/metrics", s.listProjectProviderMetrics)
	get("/projects/{project}/metric-definitions", s.listProjectDefinitions)
	get("/projects/{project}/providers/{provider}/metric-definitions", s.listProjectProviderDefinitions)
	get("/providers", s.listProviders)
	get("/providers/all", s.listProviderProjects)
	get("/providers/{provider}", s.getProvider)
	get("/installations/all", s.listInstallations)
	get("/installations/{installation}", s.getInstallation)
	get("/installations/{installation}/metrics", s.listInstallationMetrics)
	get("/installations/{installation}/metrics/{metric}", s.getMetric)
	get("/installations/{installation}/metric-definitions", s.listInstallationDefinitions)
	get("/metric-definitions", s.listDefinitions)
	get("/metric-definitions/{id}", s.getDefinition)
	get("/unit-types", s.listUnitTypes)
	get("/unit-types/{id}", s.getUnitType)
	get("/metric-types", s.listMetricTypes)
	get("/metric-types/{id}", s.getMetricType)
	s.mux.HandleFunc("POST "+basePath+"/installations/{installation}/metrics", s.authed(true, s.postMetric))
	// Registration changes nothing the simulator keeps, so a read lock will do.
	s.mux.HandleFunc("POST "+basePath+"/clients", s.authed(false, s.registerClient))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, errNotFoundRoute) })
}

func (s *Server) projectParam(r *http.Request) (int, *apiError) {
	id := r.PathValue("project")
	if p, ok := s.data.projectByID[id]; ok {
		return p, nil
	}
	return 0, errorf(http.StatusNotFound, "There is no Project with the following id: %s", id)
}

func (s *Server) providerParam(r *http.Request) (int, *apiError) {
	id := r.PathValue("provider")
	if v, ok := s.data.providerByID[id]; ok {
		return v, nil
	}
	return 0, errorf(http.StatusNotFound, "There is no Provider with the following id: %s", id)
}

func (s *Server) installationParam(r *http.Request) (int, *apiError) {
	id := r.PathValue("installation")
	if i, ok := s.data.instByID[id]; ok {
		return i, nil
	}
	return 0, errorf(http.StatusNotFound, "There is no Installation with the following id: %s", id)
}

// projectProviderParams checks that both exist; like the server, it does
// not check that the provider is associated with the project.
func (s *Server) projectProviderParams(r *http.Request) (p, v int, e *apiError) {
	if p, e = s.projectParam(r); e != nil {
		return 0, 0, e
	}
	v, e = s.providerParam(r)
	return p, v, e
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) *apiError {
	return pageOf(w, r, len(s.data.projects), s.projectJSON)
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.projectParam(r)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, s.projectJSON(p))
	return nil
}

func (s *Server) listInstallationsOf(w http.ResponseWriter, r *http.Request, insts []int) *apiError {
	return pageOf(w, r, len(insts), func(i int) installationJSON { return s.installationJSON(insts[i]) })
}

func (s *Server) listInstallations(w http.ResponseWriter, r *http.Request) *apiError {
	return pageOf(w, r, len(s.data.insts), s.installationJSON)
}

func (s *Server) listProjectInstallations(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.projectParam(r)
	if e != nil {
		return e
	}
	return s.listInstallationsOf(w, r, s.data.projects[p].insts)
}

func (s *Server) listProjectProviderInstallations(w http.ResponseWriter, r *http.Request) *apiError {
	p, v, e := s.projectProviderParams(r)
	if e != nil {
		return e
	}
	return s.listInstallationsOf(w, r, s.data.installationsOf(p, v))
}

// installationsOf returns the installations of project p at provider v.
func (d *dataset) installationsOf(p, v int) []int {
	var out []int
	for _, i := range d.projects[p].insts {
		if d.insts[i].provider == v {
			out = append(out, i)
		}
	}
	return out
}

func (s *Server) getInstallation(w http.ResponseWriter, r *http.Request) *apiError {
	i, e := s.installationParam(r)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, s.installationJSON(i))
	return nil
}

func (s *Server) listProviders(w http.ResponseWriter, r *http.Request) *apiError {
	return pageOf(w, r, len(s.data.providers), s.providerJSON)
}

func (s *Server) getProvider(w http.ResponseWriter, r *http.Request) *apiError {
	v, e := s.providerParam(r)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, s.providerJSON(v))
	return nil
}

// listProviderProjects lists every (provider, project) association.
func (s *Server) listProviderProjects(w http.ResponseWriter, r *http.Request) *apiError {
	d := s.data
	var pairs [][2]int
	for v := range d.providers {
		for p, pr := range d.projects {
			for _, x := range pr.providers {
				if x == v {
					pairs = append(pairs, [2]int{p, v})
				}
			}
		}
	}
	return pageOf(w, r, len(pairs), func(i int) providerProjectJSON {
		p, v := pairs[i][0], pairs[i][1]
		pv, pr := d.providers[v], d.projects[p]
		return providerProjectJSON{
			ID: pv.ID, Name: pv.Name, ExternalID: s.externalID(pv.ExternalID), Website: pv.Website,
			Abbreviation: pv.Abbreviation, Logo: pv.Logo, ProjectID: pr.ID, ProjectAcronym: pr.Acronym,
			Installations: s.hierInstallations(p, v),
		}
	})
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) *apiError {
	v := s.opts.Version
	if v == VersionUnion {
		v = Version181
	}
	writeJSON(w, http.StatusOK, map[string]string{"version": v})
	return nil
}

// registerClient is POST /clients: the first call an actor makes.
func (s *Server) registerClient(w http.ResponseWriter, r *http.Request) *apiError {
	writeJSON(w, http.StatusOK, map[string]any{"code": 200, "message": "The actor was successfully registered."})
	return nil
}

// mediaTypeIsJSON reports whether a Content-Type names application/json.
func mediaTypeIsJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/json")
}
