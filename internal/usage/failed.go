package usage

import (
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// FailedRecord is a record that failed processing upstream and is not
// cleared yet.
type FailedRecord struct {
	FailedID       int64  // the upstream's FailedRecordID; 0 when it gave none
	UsageType      string // Compute, Storage, Adjustment
	Error          string
	Resource       string
	LocalProjectID string
	LocalRecordID  string
	Username       string
	Start          time.Time // StartTime, or CollectionTime for storage
	End            time.Time // EndTime of compute records
	Charge         string
	LocalReference string
	// Problems lists fields the portal could not read; Raw is the record
	// exactly as the upstream sent it.
	Problems string
	Raw      string
	// ProjectKey and ProjectName are the portal project of LocalProjectID
	// (empty when the catalogue does not know it); filled by queries.
	ProjectKey, ProjectName string
}

// FailedSorts are the sort keys of the failed-records table.
var FailedSorts = []string{"charge", "end", "id", "project", "record", "resource", "start", "type", "user"}

// FailedFilter selects failed records. Records name projects, users and
// charges, so every query takes the user's scope: a record is visible when
// its LocalProjectID belongs to one of the scope's projects.
type FailedFilter struct {
	Scope portal.Scope
	// Resource, Error, Project (a LocalProjectID) and Type narrow the list.
	Resource, Error, Project, Type string
	Sort                           string // one of FailedSorts; records are grouped by error first
	Desc                           bool
	Limit, Offset                  int
}

// FailedGroup is one error's share of the matching failed records.
type FailedGroup struct {
	Error   string
	Records int64
	// Charge is the exact sum of the records' charges.
	Charge string
}

// ProjectOption is a LocalProjectID offered in a filter, with its portal
// project when the catalogue knows it.
type ProjectOption struct {
	ID, Key, Name string
}

// FailedOptions are the values the failed-records filters offer.
type FailedOptions struct {
	Resources, Errors, Types []string
	Projects                 []ProjectOption
}
