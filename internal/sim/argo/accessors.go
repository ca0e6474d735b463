package argo

import (
	"fmt"
	"time"
)

// The Go side of the simulator, for tests, benchmarks and the demo's
// wiring: what was seeded, how many metrics there are, a metric by id,
// and ways to add entities (e.g. the ids a captured request names).

// Projects returns the projects in list order.
func (s *Server) Projects() []Project {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Project, len(s.data.projects))
	for i, p := range s.data.projects {
		out[i] = p.Project
	}
	return out
}

// Providers returns the providers in list order.
func (s *Server) Providers() []Provider {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Provider, len(s.data.providers))
	for i, p := range s.data.providers {
		out[i] = p.Provider
	}
	return out
}

// Installations returns the installations in list order.
func (s *Server) Installations() []Installation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Installation, len(s.data.insts))
	for i, in := range s.data.insts {
		out[i] = in.Installation
		out[i].MetricDefinitionIDs = append([]string(nil), in.MetricDefinitionIDs...)
	}
	return out
}

// MetricDefinitions returns the metric definitions in list order.
func (s *Server) MetricDefinitions() []MetricDefinition {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]MetricDefinition, len(s.data.defs))
	for i, md := range s.data.defs {
		out[i] = md.MetricDefinition
	}
	return out
}

// Window returns the period the generated metrics cover: from the start
// of the first day to the end of the last (midnight UTC of the day the
// simulator was created).
func (s *Server) Window() (start, end time.Time) {
	return s.data.start0, s.data.dayStart(s.data.days)
}

// MetricCount returns the number of metrics, generated and posted.
func (s *Server) MetricCount() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var n int64
	for i := range s.data.insts {
		n += int64(s.data.genCount(i))
	}
	return n + int64(len(s.data.posted))
}

// InstallationMetrics returns up to limit metrics of an installation from
// offset, in the order its metric list has them; false if there is no
// such installation.
func (s *Server) InstallationMetrics(installationID string, offset, limit int) ([]Metric, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.data.instByID[installationID]
	if !ok {
		return nil, false
	}
	ms := s.data.view([]int{i}, metricFilter{def: -1}).page(int64(offset), limit)
	out := make([]Metric, len(ms))
	for k := range ms {
		out[k] = s.data.export(&ms[k])
	}
	return out, true
}

// InstallationMetricCount returns how many metrics an installation has.
func (s *Server) InstallationMetricCount(installationID string) (int, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.data.instByID[installationID]
	if !ok {
		return 0, false
	}
	return s.data.genCount(i) + len(s.data.insts[i].posted), true
}

// Metric looks a metric up by id.
func (s *Server) Metric(id string) (Metric, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.data.lookup(id)
	if !ok {
		return Metric{}, false
	}
	return s.data.export(&m), true
}

// FindMetric finds the metric of an installation for a definition and
// period, as the server's unique index would.
func (s *Server) FindMetric(installationID, metricDefinitionID string, start, end time.Time) (Metric, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.data
	i, ok1 := d.instByID[installationID]
	def, ok2 := d.defByID[metricDefinitionID]
	if !ok1 || !ok2 {
		return Metric{}, false
	}
	if id, ok := d.postedKeys[postKey{i, def, start.UnixNano(), end.UnixNano()}]; ok {
		return d.export(d.posted[id]), true
	}
	if m, ok := d.generatedAt(i, def, start.UTC(), end.UTC()); ok {
		return d.export(&m), true
	}
	return Metric{}, false
}

// PostedMetrics returns the metrics POSTed so far, in order.
func (s *Server) PostedMetrics() []Metric {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Metric
	for _, in := range s.data.insts {
		for _, m := range in.posted {
			out = append(out, s.data.export(m))
		}
	}
	return out
}

func (d *dataset) export(m *storedMetric) Metric {
	return Metric{
		ID: m.id, InstallationID: d.insts[m.inst].ID, MetricDefinitionID: d.defs[m.def].ID,
		Start: m.start, End: m.end, Value: m.value, Received: m.received, GroupID: m.group, UserID: m.user,
	}
}

// AddProject adds a project (e.g. one a captured request names).
func (s *Server) AddProject(p Project) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.data.projectByID[p.ID]; dup || p.ID == "" {
		return fmt.Errorf("argo sim: project id %q is empty or taken", p.ID)
	}
	s.data.addProject(p)
	return nil
}

// AddProvider adds a provider.
func (s *Server) AddProvider(p Provider) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.data.providerByID[p.ID]; dup || p.ID == "" {
		return fmt.Errorf("argo sim: provider id %q is empty or taken", p.ID)
	}
	s.data.addProvider(p)
	return nil
}

// AddMetricDefinition adds a metric definition; its series (when an
// installation names it) take generic values.
func (s *Server) AddMetricDefinition(md MetricDefinition) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.data.defByID[md.ID]; dup || md.ID == "" {
		return fmt.Errorf("argo sim: metric definition id %q is empty or taken", md.ID)
	}
	for i := range defTemplates {
		if defTemplates[i].name == md.Name && defTemplates[i].unit == md.UnitType {
			s.data.addDefinition(md, &defTemplates[i])
			return nil
		}
	}
	s.data.addDefinition(md, nil)
	return nil
}

// AddInstallation adds an installation to an existing project and provider
// (associating them); it gets a generated daily series for each of its
// MetricDefinitionIDs over the simulator's window.
func (s *Server) AddInstallation(in Installation) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.data.addInstallation(in)
	return err
}

// Associate associates a provider with a project (without installations).
func (s *Server) Associate(projectID, providerID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok1 := s.data.projectByID[projectID]
	v, ok2 := s.data.providerByID[providerID]
	if !ok1 || !ok2 {
		return fmt.Errorf("argo sim: associate %q with %q: no such project or provider", projectID, providerID)
	}
	s.data.associate(p, v)
	return nil
}
