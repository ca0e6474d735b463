package metrics

import (
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Metric pushes: a manager of an installation's project (or an admin)
// adds a metric to the installation in ARGO. The push and its outbox item
// are written in one transaction; the dispatcher delivers it, and the
// push follows its outbox item's state (see StateAfter in workflow.go).

// NewPush is a metric a manager asks to add to an installation.
type NewPush struct {
	InstallationID, DefinitionID string
	Start, End                   time.Time
	Value                        decimal.Decimal
	ValueText                    string // as entered
	GroupID, UserID              string
	Actor, ActorName             string
}

// Push is a metric push with its delivery state.
type Push struct {
	ID                                 int64
	InstallationID, InstallationName   string
	ProjectID, ProjectName, ProviderID string
	DefinitionID, DefinitionName       string
	UnitType, MetricType               string
	Start, End                         time.Time
	Value                              decimal.Decimal // exact, read from ValueText
	ValueText                          string          // as entered
	GroupID, UserID                    string
	State                              string // the outbox item's state while it has one
	MetricID, Error                    string
	OutboxID                           int64
	Result                             string // the outbox item's result (ARGO's answer, JSON)
	CreatedBy, CreatedByName           string
	Created, Updated                   time.Time
}

// Payload is the outbox payload of a metric push: what the deliverer
// POSTs to ARGO.
type Payload struct {
	PushID             int64     `json:"push_id"`
	InstallationID     string    `json:"installation_id"`
	MetricDefinitionID string    `json:"metric_definition_id"`
	Start              time.Time `json:"time_period_start"`
	End                time.Time `json:"time_period_end"`
	// Value is the exact decimal (a JSON string; a number in payloads
	// written before is read exactly too).
	Value   decimal.Decimal `json:"value"`
	GroupID string          `json:"group_id,omitempty"`
	UserID  string          `json:"user_id,omitempty"`
}

// Result is the outbox result of a delivered push: the metric as ARGO
// created it (or as a look-up found it).
type Result struct {
	MetricID           string    `json:"metric_id"`
	MetricDefinitionID string    `json:"metric_definition_id"`
	Start              time.Time `json:"time_period_start"`
	End                time.Time `json:"time_period_end"`
	Value              float64   `json:"value"` // ARGO keeps a double
	GroupID            string    `json:"group_id,omitempty"`
	UserID             string    `json:"user_id,omitempty"`
}

// PushSorts lists the sort keys of PushQuery.
var PushSorts = []string{"id", "installation", "definition", "start", "value", "state", "updated"}

// PushQuery selects metric pushes.
type PushQuery struct {
	// CreatedBy limits the list to one person's pushes; "" lists everyone's (admins).
	CreatedBy string
	State     string // the live state; "" for any
	Sort      string // one of PushSorts
	Desc      bool
	Limit     int
	Offset    int
}

// pushRefKind is the kind part of a push's outbox ref and audit subject.
const pushRefKind = "metric_push"

// PushRef is a push's outbox ref and audit subject.
func PushRef(id int64) string { return pushRefKind + ":" + strconv.FormatInt(id, 10) }
