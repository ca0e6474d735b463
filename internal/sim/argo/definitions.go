package argo

import "net/http"

func (s *Server) listDefinitions(w http.ResponseWriter, r *http.Request) *apiError {
	return pageOf(w, r, len(s.data.defs), s.data.defJSON)
}

func (s *Server) getDefinition(w http.ResponseWriter, r *http.Request) *apiError {
	id := r.PathValue("id")
	i, ok := s.data.defByID[id]
	if !ok {
		return errorf(http.StatusNotFound, "There is no Metric Definition with the following id: %s", id)
	}
	writeJSON(w, http.StatusOK, s.data.defJSON(i))
	return nil
}

// definitionsUsed returns, in catalogue order, the metric definitions the
// metrics of the installations refer to: those "used in" a scope.
func (d *dataset) definitionsUsed(insts []int) []int {
	used := make([]bool, len(d.defs))
	for _, i := range insts {
		for _, ser := range d.insts[i].series {
			used[ser.def] = true
		}
		for _, m := range d.insts[i].posted {
			used[m.def] = true
		}
	}
	var out []int
	for i, u := range used {
		if u {
			out = append(out, i)
		}
	}
	return out
}

func (s *Server) listDefinitionsOf(w http.ResponseWriter, r *http.Request, insts []int) *apiError {
	defs := s.data.definitionsUsed(insts)
	return pageOf(w, r, len(defs), func(i int) metricDefJSON { return s.data.defJSON(defs[i]) })
}

func (s *Server) listProjectDefinitions(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.projectParam(r)
	if e != nil {
		return e
	}
	return s.listDefinitionsOf(w, r, s.data.projects[p].insts)
}

func (s *Server) listProjectProviderDefinitions(w http.ResponseWriter, r *http.Request) *apiError {
	p, v, e := s.projectProviderParams(r)
	if e != nil {
		return e
	}
	return s.listDefinitionsOf(w, r, s.data.installationsOf(p, v))
}

func (s *Server) listInstallationDefinitions(w http.ResponseWriter, r *http.Request) *apiError {
	i, e := s.installationParam(r)
	if e != nil {
		return e
	}
	return s.listDefinitionsOf(w, r, []int{i})
}

// metricTypeDescriptions describe the seeded metric types.
var metricTypeDescriptions = map[string]string{
	"aggregated": "The values are summed over the period.",
	"count":      "The value counts things at the end of the period.",
	"summarised": "The value summarises the period.",
	"averaged":   "The value is the average over the period.",
}

func (s *Server) unitType(i int) typeJSON {
	u := unitTypeSeeds[i]
	return typeJSON{ID: s.data.w.HexID("argo/unit-type", u.symbol), UnitType: u.symbol, Description: u.unit, CreatorID: nullable("")}
}

func (s *Server) metricType(i int) typeJSON {
	t := metricTypeSeeds[i]
	return typeJSON{ID: s.data.w.HexID("argo/metric-type", t), MetricType: t, Description: metricTypeDescriptions[t], CreatorID: nullable("")}
}

func (s *Server) listUnitTypes(w http.ResponseWriter, r *http.Request) *apiError {
	return pageOf(w, r, len(unitTypeSeeds), s.unitType)
}

func (s *Server) listMetricTypes(w http.ResponseWriter, r *http.Request) *apiError {
	return pageOf(w, r, len(metricTypeSeeds), s.metricType)
}

func (s *Server) getUnitType(w http.ResponseWriter, r *http.Request) *apiError {
	return getByID(w, r, len(unitTypeSeeds), s.unitType, "Unit Type")
}

func (s *Server) getMetricType(w http.ResponseWriter, r *http.Request) *apiError {
	return getByID(w, r, len(metricTypeSeeds), s.metricType, "Metric Type")
}

func getByID(w http.ResponseWriter, r *http.Request, n int, item func(int) typeJSON, what string) *apiError {
	id := r.PathValue("id")
	i := -1
	for j := range n {
		if item(j).ID == id {
			i = j
		}
	}
	if i < 0 {
		return errorf(http.StatusNotFound, "There is no %s with the following id: %s", what, id)
	}
	writeJSON(w, http.StatusOK, item(i))
	return nil
}
