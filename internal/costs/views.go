package costs

import (
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// ProjectRef is a catalogued project and where it lives in each upstream.
type ProjectRef struct {
	Key, Name     string
	ArgoID        string
	OBIID, VlabID string
	LabName       string
	AMIEID        string
	Tenant        string // VergeOS tenant name ("" when none is named)
	TenantKey     int64  // its $key once VergeOS listed it (0: not seen)
}

// OBISummary is a project's OBI budget as of the last sync, and its spend
// in a period.
type OBISummary struct {
	Known                bool // a sync has read the project's balance
	Balance, Reservation decimal.Decimal
	Spent                decimal.Decimal // credits of the jobs that ended in the period
	Jobs                 int64
	// Burn is the credits per day over the last 30 full days; RunOut the
	// day the balance runs out at that rate (zero: it does not).
	Burn   decimal.Decimal
	RunOut time.Time
}

// ArgoTotal is a project's total of one ARGO metric definition in a period.
type ArgoTotal struct {
	Definition, Unit, MetricType string
	Total                        decimal.Decimal
	Installations, Metrics       int
}

// ProjectCosts is what a project cost in a period, per source, in the base
// currency (unrounded sums of the ledger), and how much usage has no price.
type ProjectCosts struct {
	Project, Name string
	BySource      map[string]decimal.Decimal
	Total         decimal.Decimal
	UnpricedLines int
	Lines         int
	// LastDay is the newest day with usage (zero: none).
	LastDay time.Time
}

// ScopeOption is something a rate can be narrowed to: its id in the
// ledger and on the rate card, the name people know it by, and where it
// belongs ("ARGO project NEURO-SIM").
type ScopeOption struct {
	Source, ID, Label, Detail string
}

// ScopeNames maps "source|id" to the name of a scope.
type ScopeNames map[string]string

// NewScopeNames indexes scope options by source and id.
func NewScopeNames(os []ScopeOption) ScopeNames {
	n := ScopeNames{}
	for _, o := range os {
		n[o.Source+"|"+o.ID] = o.Label
	}
	return n
}

// Name returns a scope's name, or its id when it has none ("*" reads "all").
func (n ScopeNames) Name(source, id string) string {
	if id == AnyScope {
		return "all"
	}
	if l, ok := n[source+"|"+id]; ok && l != "" {
		return l
	}
	return id
}
