package argo

import "time"

// Project is an ARGO project as the simulator holds it.
type Project struct {
	ID      string // ARGO project id (the world's ArgoID)
	Key     string // the portal's project key ("neuro-sim"); "" for added projects
	Acronym string
	Title   string
	// StartDate and EndDate are "YYYY-MM-DD"; CallIdentifier "" is sent as null.
	StartDate, EndDate, CallIdentifier string
}

// Provider is an ARGO provider (an organisation offering installations).
type Provider struct {
	ID, Name, Website, Abbreviation, Logo string
	// ExternalID ("" is sent as null) appears from server 1.8 on.
	ExternalID string
	CreatorID  string
}

// Installation is an ARGO installation: a resource of a provider within a project.
type Installation struct {
	ID             string
	ProjectID      string
	ProviderID     string // the "organisation" field
	Infrastructure string
	Name           string // the "installation" field
	Resource       string // "" is omitted from replies
	ExternalID     string // "" is sent as null (1.8 and the union only)
	// UnitOfAccess is a metric definition id, "" for none.
	UnitOfAccess string
	// MetricDefinitionIDs are the series the simulator generates daily
	// metrics for, one per definition.
	MetricDefinitionIDs []string
}

// MetricDefinition is an ARGO metric definition.
type MetricDefinition struct {
	ID, Name, Description, UnitType, MetricType, CreatorID string
}

// Metric is one metric of an installation, generated or posted.
type Metric struct {
	ID                 string
	InstallationID     string
	MetricDefinitionID string
	Start, End         time.Time
	// Value is what ARGO keeps: a Java double.
	Value float64
	// Received is the value of a POSTed metric exactly as the request
	// carried it (a JSON number's literal, or a string's contents), so a
	// test can see what a client sent before the double rounded it; ""
	// for a generated metric or a missing value.
	Received        string
	GroupID, UserID string // "" means absent
}

// project, provider, installation and metricDef are the stored forms with
// the indexes the routes need.
type project struct {
	Project
	providers []int // associated providers, in association order
	insts     []int // installations, in insertion order
}

type provider struct {
	Provider
}

type installation struct {
	Installation
	project, provider int
	unitOfAccess      int // index into defs, -1 for none
	series            []series
	posted            []*storedMetric
}

type metricDef struct {
	MetricDefinition
	tmpl *defTemplate
}

// series is one generated daily metric stream of an installation.
type series struct {
	def   int
	scale float64 // the installation's size relative to the template's base
	phase float64 // shifts the yearly wave a little per installation
}

// storedMetric is a metric POSTed to the simulator.
type storedMetric struct {
	id                string
	inst, def         int
	start, end        time.Time
	value             float64
	received          string // the value's text as POSTed
	group, user       string
	hasGroup, hasUser bool
}

// postKey is the server's unique index: installation path, definition, period.
type postKey struct {
	inst, def  int
	start, end int64
}
