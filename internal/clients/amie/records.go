package amie

import (
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// UsageType is a usage message's record type, spelt as on the wire.
type UsageType string

// The three record types (API.md §3).
const (
	Compute    UsageType = "Compute"
	Storage    UsageType = "Storage"
	Adjustment UsageType = "Adjustment"
)

// Valid reports whether t is one of the three record types.
func (t UsageType) Valid() bool { return t == Compute || t == Storage || t == Adjustment }

// AdjustmentType says what an adjustment record does (API.md §3.3).
type AdjustmentType string

// The six adjustment types amieclient accepts, lower-case as sent.
const (
	Credit        AdjustmentType = "credit"
	Refund        AdjustmentType = "refund"
	StorageCredit AdjustmentType = "storage-credit"
	Debit         AdjustmentType = "debit"
	Reservation   AdjustmentType = "reservation"
	StorageDebit  AdjustmentType = "storage-debit"
)

// AdjustmentTypes lists the valid adjustment types.
var AdjustmentTypes = []AdjustmentType{Credit, Refund, StorageCredit, Debit, Reservation, StorageDebit}

// Valid reports whether t is one of AdjustmentTypes.
func (t AdjustmentType) Valid() bool {
	for _, a := range AdjustmentTypes {
		if a == t {
			return true
		}
	}
	return false
}

// ComputeRecord is the usage of one job (API.md §3.1).
type ComputeRecord struct {
	Username       string // local username, as known to AMIE
	LocalProjectID string // the site's project id, as given to AMIE
	LocalRecordID  string // the site's job id; unique per resource
	Resource       string // AMIE resource name
	SubmitTime     time.Time
	StartTime      time.Time
	EndTime        time.Time
	Charge         decimal.Decimal // allocation units to deduct
	Attributes     ComputeAttributes
	// ParentRecordID is the LocalRecordID of a parent job; "" leaves it out.
	ParentRecordID string
	// LocalReference is the caller's own key, echoed in failures; "" leaves it out.
	LocalReference string
}

// ComputeAttributes are a job's optional details; nil and "" are left out.
type ComputeAttributes struct {
	NodeCount    *int64
	CpuCoreCount *int64
	JobName      string
	Memory       *int64 // unit undocumented upstream
	Queue        string
}

// StorageRecord is the storage use of a project at a collection time (API.md §3.2).
type StorageRecord struct {
	Charge         decimal.Decimal // usually GB stored
	CollectionTime time.Time
	LocalProjectID string
	LocalRecordID  string // unique per resource
	Resource       string
	Username       string
	Attributes     StorageAttributes
	LocalReference string // "" leaves it out
}

// StorageAttributes are a storage record's optional details; nil and "" are left out.
type StorageAttributes struct {
	BytesRead          *int64
	BytesStored        *int64
	BytesWritten       *int64
	CollectionInterval *int64 // days between collections
	FileCount          *int64
	FilesRead          *int64
	FilesWritten       *int64
	MediaType          string // Tape, Disk, SSD, ...
	SystemCopies       *int64
	UserCopies         *int64
}

// AdjustmentRecord corrects earlier charges (API.md §3.3). It has no attributes.
type AdjustmentRecord struct {
	AdjustmentType AdjustmentType
	Charge         decimal.Decimal // signed: a refund is negative
	// StartTime is when the adjustment applies; for a refund, the job's submit time.
	StartTime      time.Time
	LocalProjectID string
	LocalRecordID  string // a new id, unique per resource
	Resource       string
	Username       string
	Comment        string // "" leaves it out
	LocalReference string // "" leaves it out
}

// Int returns a pointer to n, for the optional attributes.
func Int(n int64) *int64 { return &n }

// RecordKey identifies a record upstream: LocalRecordID is unique per
// resource and record type (API.md §8).
type RecordKey struct {
	UsageType     UsageType
	Resource      string
	LocalRecordID string
}

// Key returns the record's key.
func (r *ComputeRecord) Key() RecordKey { return RecordKey{Compute, r.Resource, r.LocalRecordID} }

// Key returns the record's key.
func (r *StorageRecord) Key() RecordKey { return RecordKey{Storage, r.Resource, r.LocalRecordID} }

// Key returns the record's key.
func (r *AdjustmentRecord) Key() RecordKey {
	return RecordKey{Adjustment, r.Resource, r.LocalRecordID}
}

// Validate checks what the API requires of a compute record.
func (r *ComputeRecord) Validate() error {
	if err := ids(r.Username, r.LocalProjectID, r.LocalRecordID, r.Resource); err != nil {
		return err
	}
	switch {
	case r.SubmitTime.IsZero(), r.StartTime.IsZero(), r.EndTime.IsZero():
		return portal.Errorf(portal.EINVALID, "SubmitTime, StartTime and EndTime are required")
	case r.EndTime.Before(r.StartTime):
		return portal.Errorf(portal.EINVALID, "EndTime is before StartTime")
	case r.Charge.Sign() < 0:
		return portal.Errorf(portal.EINVALID, "Charge must not be negative")
	}
	return nil
}

// Validate checks what the API requires of a storage record.
func (r *StorageRecord) Validate() error {
	if err := ids(r.Username, r.LocalProjectID, r.LocalRecordID, r.Resource); err != nil {
		return err
	}
	switch {
	case r.CollectionTime.IsZero():
		return portal.Errorf(portal.EINVALID, "CollectionTime is required")
	case r.Charge.Sign() < 0:
		return portal.Errorf(portal.EINVALID, "Charge must not be negative")
	}
	return nil
}

// Validate checks what the API requires of an adjustment record.
func (r *AdjustmentRecord) Validate() error {
	if err := ids(r.Username, r.LocalProjectID, r.LocalRecordID, r.Resource); err != nil {
		return err
	}
	switch {
	case !r.AdjustmentType.Valid():
		return portal.Errorf(portal.EINVALID, "AdjustmentType %q is not one of credit, refund, storage-credit, debit, reservation, storage-debit", r.AdjustmentType)
	case r.StartTime.IsZero():
		return portal.Errorf(portal.EINVALID, "StartTime is required")
	}
	return nil
}

func ids(username, project, localID, resource string) error {
	for _, f := range []struct{ name, v string }{
		{"Username", username}, {"LocalProjectID", project}, {"LocalRecordID", localID}, {"Resource", resource},
	} {
		if f.v == "" {
			return portal.Errorf(portal.EINVALID, "%s is required", f.name)
		}
	}
	return nil
}
