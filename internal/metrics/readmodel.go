package metrics

import (
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// The read model: what the metrics pages read back of the cached ARGO
// entities and metrics, limited to the user's scope by the cache.

// Option is one choice of a filter: a value and what people read.
type Option struct {
	Value, Label string
	// Group says what the option belongs to (an installation's project).
	Group string
}

// FilterOptions are the choices of the metrics pages' filters, limited
// to what the user's scope can see.
type FilterOptions struct {
	Projects, Providers, Installations, Definitions []Option
}

// InstallationRow is an installation with its project, provider and what
// the cache holds of its metrics.
type InstallationRow struct {
	Installation
	ProjectKey, ProjectName string
	ProviderName            string
	// UnitOfAccessName and UnitOfAccessUnit describe UnitOfAccess ("" if none or unknown).
	UnitOfAccessName, UnitOfAccessUnit string
	Metrics                            int64
	First, Last                        time.Time // period starts of the oldest and newest metric
}

// InstallationSorts lists the sort keys of InstallationQuery.
var InstallationSorts = []string{"installation", "project", "provider", "infrastructure", "resource", "metrics", "last"}

// InstallationQuery selects installations.
type InstallationQuery struct {
	Scope                 portal.Scope
	ProjectID, ProviderID string
	Sort                  string // one of InstallationSorts
	Desc                  bool
	Limit, Offset         int
}

// DefinitionRow is a metric definition with what the scope holds of it.
type DefinitionRow struct {
	Definition
	Installations, Metrics int64
	First, Last            time.Time // period starts of the oldest and newest metric in scope
}

// DefinitionSorts lists the sort keys of DefinitionQuery.
var DefinitionSorts = []string{"name", "unit", "type", "installations", "metrics", "last"}

// DefinitionQuery selects metric definitions.
type DefinitionQuery struct {
	Scope         portal.Scope
	Sort          string // one of DefinitionSorts
	Desc          bool
	Limit, Offset int
}

// Filter selects ARGO metrics for a page. Zero fields do not filter,
// except Scope: an empty scope selects nothing.
type Filter struct {
	Scope          portal.Scope
	ProjectID      string // ARGO project id
	ProviderID     string
	InstallationID string
	DefinitionID   string
	// From and To bound the period start: From <= start < To.
	From, To time.Time
}

// Row is one cached metric with its definition.
type Row struct {
	Metric
	DefinitionName, UnitType, MetricType string
}

// ListSorts lists the sort keys of ListQuery.
var ListSorts = []string{"start", "end", "definition", "value", "user", "group"}

// ListQuery selects metrics one by one (not totals).
type ListQuery struct {
	Filter
	Sort          string // one of ListSorts
	Desc          bool
	Limit, Offset int
}

// Total is the total of one metric definition for one project and
// provider over one period.
type Total struct {
	Period time.Time
	// ProjectID is ARGO's; ProjectKey is the portal's ("" if the catalogue
	// does not name it); ProjectName is the portal's name, else ARGO's.
	ProjectID, ProjectKey, ProjectName string
	ProviderID, ProviderName           string
	DefinitionID, DefinitionName       string
	UnitType, MetricType               string
	Installations, Metrics             int64
	Total                              float64
}

// TotalSorts lists the sort keys of TotalsQuery.
var TotalSorts = []string{"period", "project", "provider", "definition", "installations", "metrics", "total"}

// TotalsQuery is a page of metric totals. From and To should be period
// boundaries (see PeriodStart): weeks and months are counted whole.
type TotalsQuery struct {
	Filter
	Granularity   string
	Sort          string // one of TotalSorts
	Desc          bool
	Limit, Offset int // Limit 0: every row
}

// PeriodValue is one point of a chart: the total of one series in one period.
type PeriodValue struct {
	Period     time.Time
	Key, Label string
	// UnitType and MetricType are the definition's when the series are
	// definitions (a series by "definition").
	UnitType, MetricType string
	Total                float64
}
