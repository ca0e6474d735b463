package argo

import (
	"net/http"
	"time"
)

const (
	msgBadDate       = "The date format must be as follows YYYY-MM-DD"
	msgStartAfterEnd = "start cannot be after end."
)

// metricFilter reads metric-definition-id, start and end. Only start keeps
// metrics starting at or after start 00:00Z; only end keeps those ending at
// or before end 23:59:59.999999999Z; both (start strictly before end) keep
// those whose start and end both lie in [start 00:00Z, end 00:00Z]: end is
// midnight there, not the end of the day, as on the server.
func (s *Server) metricFilter(r *http.Request) (metricFilter, *apiError) {
	q := r.URL.Query()
	f := metricFilter{def: -1}
	start, end := q.Get("start"), q.Get("end")
	var ts, te time.Time
	var err error
	if start != "" {
		if ts, err = time.Parse(time.DateOnly, start); err != nil {
			return f, errorf(http.StatusBadRequest, msgBadDate)
		}
	}
	if end != "" {
		if te, err = time.Parse(time.DateOnly, end); err != nil {
			return f, errorf(http.StatusBadRequest, msgBadDate)
		}
	}
	switch {
	case start != "" && end != "":
		if !ts.Before(te) {
			return f, errorf(http.StatusBadRequest, msgStartAfterEnd)
		}
		f.lo, f.hi, f.hasLo, f.hasHi = ts, te, true, true
	case start != "":
		f.lo, f.hasLo = ts, true
	case end != "":
		f.hi, f.hasHi = te.Add(day-time.Nanosecond), true
	}
	if id := q.Get("metric-definition-id"); id != "" {
		def, ok := s.data.defByID[id]
		if !ok {
			return f, errorf(http.StatusNotFound, "There is no Metric Definition with the following id: %s", id)
		}
		f.def = def
	}
	return f, nil
}

// listMetrics answers a page of the filtered metrics of the installations.
func (s *Server) listMetrics(w http.ResponseWriter, r *http.Request, insts []int) *apiError {
	page, size, e := pageParams(r)
	if e != nil {
		return e
	}
	f, e := s.metricFilter(r)
	if e != nil {
		return e
	}
	v := s.data.view(insts, f)
	ms := v.page(int64(page-1)*int64(size), size)
	content := make([]metricItemJSON, len(ms))
	for i := range ms {
		content[i] = s.metricItemJSON(&ms[i])
	}
	writeJSON(w, http.StatusOK, newEnvelope(r, page, size, v.total(), len(content), content))
	return nil
}

func (s *Server) listInstallationMetrics(w http.ResponseWriter, r *http.Request) *apiError {
	i, e := s.installationParam(r)
	if e != nil {
		return e
	}
	return s.listMetrics(w, r, []int{i})
}

func (s *Server) listProjectMetrics(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.projectParam(r)
	if e != nil {
		return e
	}
	return s.listMetrics(w, r, s.data.projects[p].insts)
}

func (s *Server) listProjectProviderMetrics(w http.ResponseWriter, r *http.Request) *apiError {
	p, v, e := s.projectProviderParams(r)
	if e != nil {
		return e
	}
	return s.listMetrics(w, r, s.data.installationsOf(p, v))
}

// getMetric is GET /installations/{i}/metrics/{id}: the single shape, with
// metric_id and a flat metric_definition_id.
func (s *Server) getMetric(w http.ResponseWriter, r *http.Request) *apiError {
	i, e := s.installationParam(r)
	if e != nil {
		return e
	}
	id := r.PathValue("metric")
	m, ok := s.data.lookup(id)
	if !ok || m.inst != i {
		return errorf(http.StatusNotFound, "There is no Metric with the following id: %s", id)
	}
	writeJSON(w, http.StatusOK, s.data.metricResponseJSON(&m))
	return nil
}

// lookup finds a metric by id, posted or generated.
func (d *dataset) lookup(id string) (storedMetric, bool) {
	if m, ok := d.posted[id]; ok {
		return *m, true
	}
	return d.decodeGenerated(id)
}

// generatedAt returns the generated metric of installation i for a
// definition and period, if there is one (the unique index covers them too).
func (d *dataset) generatedAt(i, def int, start, end time.Time) (storedMetric, bool) {
	if !end.Equal(start.Add(day)) || start.Before(d.start0) {
		return storedMetric{}, false
	}
	off := start.Sub(d.start0)
	if off%day != 0 {
		return storedMetric{}, false
	}
	n := int(off / day)
	if n >= d.days {
		return storedMetric{}, false
	}
	in := d.insts[i]
	for s, ser := range in.series {
		if ser.def == def {
			return d.generated(i, n*len(in.series)+s), true
		}
	}
	return storedMetric{}, false
}
