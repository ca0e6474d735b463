package argo

import (
	"encoding/json"
	"math"
)

// The JSON shapes of API.md §8, in the server's field order. Which keys
// appear depends on the era (Options.Version): 1.7.0 has no external_id
// nor capacities and sends an unset unit_of_access as null; 1.8 adds
// external_id and capacities and omits an unset unit_of_access; the union
// sends every key either era sends.

type metricDefJSON struct {
	ID          string          `json:"metric_definition_id"`
	Name        string          `json:"metric_name"`
	Description string          `json:"metric_description"`
	UnitType    string          `json:"unit_type"`
	MetricType  string          `json:"metric_type"`
	CreatorID   json.RawMessage `json:"creator_id"`
}

type capacityJSON struct {
	ID                 string    `json:"id"`
	InstallationID     string    `json:"installation_id"`
	MetricDefinitionID string    `json:"metric_definition_id"`
	Value              javaFloat `json:"value"`
	RegisteredOn       string    `json:"registered_on"`
}

type installationJSON struct {
	ID             string          `json:"id"`
	Project        string          `json:"project"`
	Organisation   string          `json:"organisation"`
	Infrastructure string          `json:"infrastructure"`
	Installation   string          `json:"installation"`
	Resource       string          `json:"resource,omitempty"`
	ExternalID     json.RawMessage `json:"external_id,omitempty"`
	UnitOfAccess   json.RawMessage `json:"unit_of_access,omitempty"`
	Capacities     *[]capacityJSON `json:"capacities,omitempty"`
}

type providerJSON struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Website      string          `json:"website"`
	Abbreviation string          `json:"abbreviation"`
	Logo         string          `json:"logo"`
	ExternalID   json.RawMessage `json:"external_id,omitempty"`
	CreatorID    json.RawMessage `json:"creator_id"`
}

// hierarchy shapes: GET /projects/{id} and the items of GET /projects.
type projectJSON struct {
	ID             string             `json:"id"`
	Acronym        string             `json:"acronym"`
	Title          string             `json:"title"`
	StartDate      json.RawMessage    `json:"start_date"`
	EndDate        json.RawMessage    `json:"end_date"`
	CallIdentifier json.RawMessage    `json:"call_identifier"`
	Providers      []hierProviderJSON `json:"providers"`
}

type hierProviderJSON struct {
	ID            string                 `json:"id"`
	Name          string                 `json:"name"`
	ExternalID    json.RawMessage        `json:"external_id,omitempty"`
	Website       string                 `json:"website"`
	Abbreviation  string                 `json:"abbreviation"`
	Logo          string                 `json:"logo"`
	Installations []hierInstallationJSON `json:"installations"`
}

type hierInstallationJSON struct {
	ID             string          `json:"id"`
	Infrastructure string          `json:"infrastructure"`
	Installation   string          `json:"installation"`
	ExternalID     json.RawMessage `json:"external_id,omitempty"`
	Resource       string          `json:"resource,omitempty"`
	UnitOfAccess   json.RawMessage `json:"unit_of_access,omitempty"`
}

// providerProjectJSON is a row of GET /providers/all.
type providerProjectJSON struct {
	ID             string                 `json:"id"`
	Name           string                 `json:"name"`
	ExternalID     json.RawMessage        `json:"external_id,omitempty"`
	Website        string                 `json:"website"`
	Abbreviation   string                 `json:"abbreviation"`
	Logo           string                 `json:"logo"`
	ProjectID      string                 `json:"project_id"`
	ProjectAcronym string                 `json:"project_acronym"`
	Installations  []hierInstallationJSON `json:"installations"`
}

// metricItemJSON is a metric list item (§8.6).
type metricItemJSON struct {
	ID               string        `json:"id"`
	Start            string        `json:"time_period_start"`
	End              string        `json:"time_period_end"`
	Value            javaFloat     `json:"value"`
	Project          string        `json:"project"`
	Provider         string        `json:"provider"`
	InstallationID   string        `json:"installation_id"`
	ProjectID        string        `json:"project_id"`
	Resource         string        `json:"resource,omitempty"`
	GroupID          *string       `json:"group_id,omitempty"`
	UserID           *string       `json:"user_id,omitempty"`
	MetricDefinition metricDefJSON `json:"metric_definition"`
}

// metricResponseJSON is a single metric (§8.5): GET by id and the POST reply.
type metricResponseJSON struct {
	MetricID           string    `json:"metric_id"`
	MetricDefinitionID string    `json:"metric_definition_id"`
	Start              string    `json:"time_period_start"`
	End                string    `json:"time_period_end"`
	Value              javaFloat `json:"value"`
	GroupID            *string   `json:"group_id,omitempty"`
	UserID             *string   `json:"user_id,omitempty"`
}

type typeJSON struct {
	ID          string          `json:"id"`
	UnitType    string          `json:"unit_type,omitempty"`
	MetricType  string          `json:"metric_type,omitempty"`
	Description string          `json:"description"`
	CreatorID   json.RawMessage `json:"creator_id"`
}

func (s *Server) externalID(id string) json.RawMessage {
	if s.opts.Version == Version170 {
		return nil
	}
	return nullable(id)
}

// unitOfAccess renders an installation's unit of access: null (key
// present) or absent when unset, depending on the era; else render(def).
func (s *Server) unitOfAccess(def int, render func(int) json.RawMessage) json.RawMessage {
	if def >= 0 {
		return render(def)
	}
	if s.opts.Version == Version181 {
		return nil
	}
	return json.RawMessage("null")
}

func (d *dataset) defJSON(i int) metricDefJSON {
	md := d.defs[i]
	return metricDefJSON{md.ID, md.Name, md.Description, md.UnitType, md.MetricType, nullable(md.CreatorID)}
}

func (s *Server) installationJSON(i int) installationJSON {
	d := s.data
	in := d.insts[i]
	out := installationJSON{
		ID: in.ID, Project: in.ProjectID, Organisation: in.ProviderID, Infrastructure: in.Infrastructure,
		Installation: in.Name, Resource: in.Resource, ExternalID: s.externalID(in.ExternalID),
		UnitOfAccess: s.unitOfAccess(in.unitOfAccess, func(def int) json.RawMessage {
			b, _ := json.Marshal(d.defJSON(def))
			return b
		}),
	}
	if s.opts.Version != Version170 {
		caps := d.capacities(i)
		out.Capacities = &caps
	}
	return out
}

// capacities gives an installation with a unit of access one capacity in
// that unit: roughly twice its typical use, registered when its series start.
func (d *dataset) capacities(i int) []capacityJSON {
	in := d.insts[i]
	caps := []capacityJSON{}
	if in.unitOfAccess < 0 {
		return caps
	}
	c := capacityJSON{
		ID: d.w.HexID("argo/capacity", in.ID), InstallationID: in.ID, MetricDefinitionID: d.defs[in.unitOfAccess].ID,
		RegisteredOn: formatInstant(d.start0),
	}
	scale := 1.0
	for _, ser := range in.series {
		if ser.def == in.unitOfAccess {
			scale = ser.scale
		}
	}
	c.Value = javaFloat(math.Round(2 * d.defs[in.unitOfAccess].tmpl.base * scale))
	return append(caps, c)
}

func (s *Server) providerJSON(v int) providerJSON {
	p := s.data.providers[v]
	return providerJSON{p.ID, p.Name, p.Website, p.Abbreviation, p.Logo, s.externalID(p.ExternalID), nullable(p.CreatorID)}
}

func (s *Server) hierInstallations(p, v int) []hierInstallationJSON {
	d := s.data
	out := []hierInstallationJSON{}
	for _, i := range d.projects[p].insts {
		in := d.insts[i]
		if in.provider != v {
			continue
		}
		out = append(out, hierInstallationJSON{
			ID: in.ID, Infrastructure: in.Infrastructure, Installation: in.Name,
			ExternalID: s.externalID(in.ExternalID), Resource: in.Resource,
			UnitOfAccess: s.unitOfAccess(in.unitOfAccess, func(def int) json.RawMessage { return nullable(d.defs[def].ID) }),
		})
	}
	return out
}

func (s *Server) projectJSON(p int) projectJSON {
	d := s.data
	pr := d.projects[p]
	out := projectJSON{
		ID: pr.ID, Acronym: pr.Acronym, Title: pr.Title, StartDate: nullable(pr.StartDate), EndDate: nullable(pr.EndDate),
		CallIdentifier: nullable(pr.CallIdentifier), Providers: []hierProviderJSON{},
	}
	for _, v := range pr.providers {
		pv := d.providers[v]
		out.Providers = append(out.Providers, hierProviderJSON{
			ID: pv.ID, Name: pv.Name, ExternalID: s.externalID(pv.ExternalID), Website: pv.Website,
			Abbreviation: pv.Abbreviation, Logo: pv.Logo, Installations: s.hierInstallations(p, v),
		})
	}
	return out
}

func (s *Server) metricItemJSON(m *storedMetric) metricItemJSON {
	d := s.data
	in := d.insts[m.inst]
	out := metricItemJSON{
		ID: m.id, Start: formatInstant(m.start), End: formatInstant(m.end), Value: javaFloat(m.value),
		Project: d.projects[in.project].Acronym, Provider: in.ProviderID, InstallationID: in.ID,
		ProjectID: in.ProjectID, Resource: in.Resource, MetricDefinition: d.defJSON(m.def),
	}
	out.GroupID, out.UserID = optional(m.group, m.hasGroup), optional(m.user, m.hasUser)
	return out
}

func (d *dataset) metricResponseJSON(m *storedMetric) metricResponseJSON {
	out := metricResponseJSON{
		MetricID: m.id, MetricDefinitionID: d.defs[m.def].ID, Start: formatInstant(m.start),
		End: formatInstant(m.end), Value: javaFloat(m.value),
	}
	out.GroupID, out.UserID = optional(m.group, m.hasGroup), optional(m.user, m.hasUser)
	return out
}

func optional(s string, ok bool) *string {
	if !ok {
		return nil
	}
	return &s
}
