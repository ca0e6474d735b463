package argo

import (
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Project is an ARGO project with its providers and their installations
// (the hierarchy of GET /projects/{id}).
type Project struct {
	ID      string
	Acronym string
	Title   string
	// StartDate and EndDate are "YYYY-MM-DD" as sent ("" when null).
	StartDate, EndDate string
	CallIdentifier     string // "" when null
	Providers          []ProjectProvider
}

// ProjectProvider is a provider within a project's hierarchy.
type ProjectProvider struct {
	ID, Name, Website, Abbreviation, Logo string
	ExternalID                            string // server 1.8+; "" when absent or null
	Installations                         []ProjectInstallation
}

// ProjectInstallation is an installation within a project's hierarchy.
type ProjectInstallation struct {
	ID             string
	Infrastructure string
	Installation   string
	Resource       string // "" when omitted
	ExternalID     string // server 1.8+
	// UnitOfAccess holds only a metric definition id in the hierarchy.
	UnitOfAccess UnitOfAccess
}

// Provider is an ARGO provider (an organisation offering installations).
type Provider struct {
	ID, Name, Website, Abbreviation, Logo string
	ExternalID                            string // server 1.8+; "" when absent or null
	CreatorID                             string // "" when null
}

// Installation is an ARGO installation: a resource of a provider within a project.
type Installation struct {
	ID             string
	ProjectID      string // the "project" field
	ProviderID     string // the "organisation" field
	Infrastructure string
	Installation   string
	Resource       string // "" when omitted
	ExternalID     string // server 1.8+
	UnitOfAccess   UnitOfAccess
	Capacities     []Capacity // server 1.8+; nil when absent
}

// UnitOfAccess is the metric definition an installation is accounted in.
// The server sends it as null, leaves it out, sends an id (in a project's
// hierarchy) or the whole definition (on installation endpoints).
type UnitOfAccess struct {
	// MetricDefinitionID is "" when the installation has none.
	MetricDefinitionID string
	// Definition is set when the server sent the whole definition.
	Definition *MetricDefinition
}

// IsSet reports whether the installation has a unit of access.
func (u UnitOfAccess) IsSet() bool { return u.MetricDefinitionID != "" }

// Capacity is an installation's registered capacity in a metric definition (1.8+).
type Capacity struct {
	ID, InstallationID, MetricDefinitionID string
	Value                                  float64
	RegisteredOn                           string // as sent
}

// MetricDefinition says what a metric measures and in which unit.
type MetricDefinition struct {
	ID          string
	Name        string
	Description string
	UnitType    string // a unit symbol, e.g. "TB", "#", "CPU Time"
	MetricType  string // aggregated, count, summarised, averaged (or one an admin added)
	CreatorID   string
}

// Metric is one accounted value of an installation over a period. List
// endpoints fill every field; the single-metric endpoints (GET by id and
// the POST reply) fill only ID, MetricDefinitionID, the period, Value,
// GroupID and UserID.
type Metric struct {
	ID                 string
	MetricDefinitionID string
	// Definition is the nested definition list items carry; nil otherwise.
	Definition     *MetricDefinition
	Start, End     time.Time
	Value          float64
	ProjectID      string
	Project        string // the project's acronym (or title), as the server fills it
	ProviderID     string
	InstallationID string
	Resource       string
	GroupID        string // "" when absent
	UserID         string // "" when absent
}

// MetricFilter narrows a metric list. Zero fields do not filter. Start and
// End are sent as dates (YYYY-MM-DD, their UTC day). The server's rules:
// only Start keeps metrics starting on or after Start's day; only End keeps
// those ending by the end of End's day; both (Start's day strictly before
// End's) keep those whose start and end both lie between Start's midnight
// and End's midnight.
type MetricFilter struct {
	MetricDefinitionID string
	Start, End         time.Time
}

// NewMetric is a metric to add to an installation.
type NewMetric struct {
	MetricDefinitionID string
	Start, End         time.Time
	// Value is sent exactly as its text; ARGO keeps it as a double.
	Value           decimal.Decimal
	GroupID, UserID string // "" is left out
}
