package argo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// Decoding is tolerant where API.md says the eras differ (external_id,
// unit_of_access, capacities, nullable strings, unknown keys) and strict
// elsewhere: a wrong JSON type, a missing id, value or timestamp is an
// error that names the field, never a zero value passed on.

// envelope is the paging envelope of every list; size_of_page and links
// are not read (API.md §12: they are not to be relied on).
type envelope struct {
	TotalPages int
	Content    []json.RawMessage
}

func decodeEnvelope(b []byte) (*envelope, error) {
	var raw struct {
		TotalPages *int               `json:"total_pages"`
		Content    *[]json.RawMessage `json:"content"`
	}
	if err := unmarshal(b, &raw); err != nil {
		return nil, err
	}
	if raw.Content == nil {
		return nil, errors.New("content: missing")
	}
	if raw.TotalPages == nil {
		return nil, errors.New("total_pages: missing")
	}
	return &envelope{*raw.TotalPages, *raw.Content}, nil
}

// unmarshal decodes b into v, describing a failure by field path.
func unmarshal(b []byte, v any) error {
	err := json.Unmarshal(b, v)
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(the value)"
		}
		return fmt.Errorf("%s: expected %s, got JSON %s", field, kindName(te.Type), te.Value)
	case errors.As(err, &se):
		return fmt.Errorf("not JSON: %v at byte %d", se, se.Offset)
	default:
		return fmt.Errorf("not the expected JSON: %v", err)
	}
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int64, reflect.Int32:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Pointer:
		return kindName(t.Elem())
	}
	return "an object"
}

func required(field, v string) error {
	if v == "" {
		return fmt.Errorf("%s: missing", field)
	}
	return nil
}

func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, fmt.Errorf("%s: missing", field)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: not a timestamp: %q", field, v)
	}
	return t.UTC(), nil
}

type definitionWire struct {
	ID          string `json:"metric_definition_id"`
	AltID       string `json:"id"` // the docs' single-GET example names it "id"
	Name        string `json:"metric_name"`
	Description string `json:"metric_description"`
	UnitType    string `json:"unit_type"`
	MetricType  string `json:"metric_type"`
	CreatorID   string `json:"creator_id"`
}

func (w definitionWire) convert(field string) (MetricDefinition, error) {
	md := MetricDefinition{w.ID, w.Name, w.Description, w.UnitType, w.MetricType, w.CreatorID}
	if md.ID == "" {
		md.ID = w.AltID
	}
	return md, required(field+"metric_definition_id", md.ID)
}

func decodeMetricDefinition(b []byte) (MetricDefinition, error) {
	var w definitionWire
	if err := unmarshal(b, &w); err != nil {
		return MetricDefinition{}, err
	}
	return w.convert("")
}

// decodeUnitOfAccess accepts absent, null, an id string or a definition object.
func decodeUnitOfAccess(raw json.RawMessage, field string) (UnitOfAccess, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return UnitOfAccess{}, nil
	case raw[0] == '"':
		var id string
		if err := json.Unmarshal(raw, &id); err != nil {
			return UnitOfAccess{}, fmt.Errorf("%s: %v", field, err)
		}
		return UnitOfAccess{MetricDefinitionID: id}, nil
	case raw[0] == '{':
		var w definitionWire
		if err := unmarshal(raw, &w); err != nil {
			return UnitOfAccess{}, fmt.Errorf("%s.%w", field, err)
		}
		md, err := w.convert(field + ".")
		if err != nil {
			return UnitOfAccess{}, err
		}
		return UnitOfAccess{MetricDefinitionID: md.ID, Definition: &md}, nil
	}
	return UnitOfAccess{}, fmt.Errorf("%s: expected null, an id or an object, got %.20s", field, raw)
}

type providerWire struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Website      string `json:"website"`
	Abbreviation string `json:"abbreviation"`
	Logo         string `json:"logo"`
	ExternalID   string `json:"external_id"`
	CreatorID    string `json:"creator_id"`
}

func decodeProvider(b []byte) (Provider, error) {
	var w providerWire
	if err := unmarshal(b, &w); err != nil {
		return Provider{}, err
	}
	return Provider(w), required("id", w.ID)
}

type capacityWire struct {
	ID                 string   `json:"id"`
	InstallationID     string   `json:"installation_id"`
	MetricDefinitionID string   `json:"metric_definition_id"`
	Value              *float64 `json:"value"`
	RegisteredOn       string   `json:"registered_on"`
}

type installationWire struct {
	ID             string          `json:"id"`
	Project        string          `json:"project"`
	Organisation   string          `json:"organisation"`
	Infrastructure string          `json:"infrastructure"`
	Installation   string          `json:"installation"`
	Resource       string          `json:"resource"`
	ExternalID     string          `json:"external_id"`
	UnitOfAccess   json.RawMessage `json:"unit_of_access"`
	Capacities     []capacityWire  `json:"capacities"`
}

func decodeInstallation(b []byte) (Installation, error) {
	var w installationWire
	if err := unmarshal(b, &w); err != nil {
		return Installation{}, err
	}
	in := Installation{
		ID: w.ID, ProjectID: w.Project, ProviderID: w.Organisation, Infrastructure: w.Infrastructure,
		Installation: w.Installation, Resource: w.Resource, ExternalID: w.ExternalID,
	}
	if err := required("id", w.ID); err != nil {
		return in, err
	}
	var err error
	if in.UnitOfAccess, err = decodeUnitOfAccess(w.UnitOfAccess, "unit_of_access"); err != nil {
		return in, err
	}
	if w.Capacities != nil {
		in.Capacities = make([]Capacity, 0, len(w.Capacities))
	}
	for i, c := range w.Capacities {
		if c.Value == nil {
			return in, fmt.Errorf("capacities[%d].value: missing", i)
		}
		in.Capacities = append(in.Capacities, Capacity{c.ID, c.InstallationID, c.MetricDefinitionID, *c.Value, c.RegisteredOn})
	}
	return in, nil
}

type projectWire struct {
	ID             string `json:"id"`
	Acronym        string `json:"acronym"`
	Title          string `json:"title"`
	StartDate      string `json:"start_date"`
	EndDate        string `json:"end_date"`
	CallIdentifier string `json:"call_identifier"`
	Providers      []struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		Website       string `json:"website"`
		Abbreviation  string `json:"abbreviation"`
		Logo          string `json:"logo"`
		ExternalID    string `json:"external_id"`
		Installations []struct {
			ID             string          `json:"id"`
			Infrastructure string          `json:"infrastructure"`
			Installation   string          `json:"installation"`
			Resource       string          `json:"resource"`
			ExternalID     string          `json:"external_id"`
			UnitOfAccess   json.RawMessage `json:"unit_of_access"`
		} `json:"installations"`
	} `json:"providers"`
}

func decodeProject(b []byte) (Project, error) {
	var w projectWire
	if err := unmarshal(b, &w); err != nil {
		return Project{}, err
	}
	p := Project{ID: w.ID, Acronym: w.Acronym, Title: w.Title, StartDate: w.StartDate, EndDate: w.EndDate, CallIdentifier: w.CallIdentifier}
	if err := required("id", w.ID); err != nil {
		return p, err
	}
	for i, wp := range w.Providers {
		pp := ProjectProvider{ID: wp.ID, Name: wp.Name, Website: wp.Website, Abbreviation: wp.Abbreviation, Logo: wp.Logo, ExternalID: wp.ExternalID}
		for j, wi := range wp.Installations {
			field := fmt.Sprintf("providers[%d].installations[%d].", i, j)
			if err := required(field+"id", wi.ID); err != nil {
				return p, err
			}
			uoa, err := decodeUnitOfAccess(wi.UnitOfAccess, field+"unit_of_access")
			if err != nil {
				return p, err
			}
			pp.Installations = append(pp.Installations, ProjectInstallation{wi.ID, wi.Infrastructure, wi.Installation, wi.Resource, wi.ExternalID, uoa})
		}
		p.Providers = append(p.Providers, pp)
	}
	return p, nil
}

// metricWire covers both metric shapes: list items (id, nested
// metric_definition) and single metrics (metric_id, flat metric_definition_id).
type metricWire struct {
	ID                 string          `json:"id"`
	MetricID           string          `json:"metric_id"`
	MetricDefinitionID string          `json:"metric_definition_id"`
	MetricDefinition   *definitionWire `json:"metric_definition"`
	Start              string          `json:"time_period_start"`
	End                string          `json:"time_period_end"`
	Value              *float64        `json:"value"`
	Project            string          `json:"project"`
	ProjectID          string          `json:"project_id"`
	Provider           string          `json:"provider"`
	InstallationID     string          `json:"installation_id"`
	Resource           string          `json:"resource"`
	GroupID            string          `json:"group_id"`
	UserID             string          `json:"user_id"`
}

// decodeMetric decodes either metric shape.
func decodeMetric(b []byte) (Metric, error) {
	var w metricWire
	if err := unmarshal(b, &w); err != nil {
		return Metric{}, err
	}
	m := Metric{
		ID: w.ID, MetricDefinitionID: w.MetricDefinitionID, Project: w.Project, ProjectID: w.ProjectID,
		ProviderID: w.Provider, InstallationID: w.InstallationID, Resource: w.Resource, GroupID: w.GroupID, UserID: w.UserID,
	}
	if m.ID == "" {
		m.ID = w.MetricID
	}
	if err := required("id", m.ID); err != nil {
		return m, err
	}
	if w.MetricDefinition != nil {
		md, err := w.MetricDefinition.convert("metric_definition.")
		if err != nil {
			return m, err
		}
		m.Definition, m.MetricDefinitionID = &md, md.ID
	}
	if err := required("metric_definition_id", m.MetricDefinitionID); err != nil {
		return m, err
	}
	if w.Value == nil {
		return m, errors.New("value: missing")
	}
	m.Value = *w.Value
	var err error
	if m.Start, err = parseTime("time_period_start", w.Start); err != nil {
		return m, err
	}
	m.End, err = parseTime("time_period_end", w.End)
	return m, err
}

// errorMessage extracts the server's message from an error answer: the
// {code, message} body, the text of a non-JSON body, or a plain sentence
// for Quarkus' empty-bodied 401.
func errorMessage(status int, body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		return e.Message
	}
	text := string(bytes.TrimSpace(body))
	if text == "" && status == 401 {
		return "the bearer token is missing, invalid or expired"
	}
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return text
}
