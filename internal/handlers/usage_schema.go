package handlers

import (
	"strings"
)

// The CSV columns of each usage record type. They are the field names of
// the AMIE Usage API (shared/upstreams/amie/API.md §3), so a site that
// knows AMIE recognises them; the upload form documents them and each type
// has a downloadable template.

// usageKind is how a column's cells are read.
type usageKind int

const (
	usageKindText usageKind = iota
	usageKindTime
	usageKindCharge
	usageKindInt
	usageKindAdjustment
)

// usageColumn is one column of a record type.
type usageColumn struct {
	Name     string
	Kind     usageKind
	Required bool
	// Doc says what the column holds, with its unit; Example is the
	// template's example value.
	Doc, Example string
}

// usageSchema is a record type's columns.
type usageSchema struct {
	Key   string // compute, storage, adjustment (form value and template name)
	Type  string // the wire UsageType: Compute, Storage, Adjustment
	Label string
	// Negative allows negative charges (adjustments: a refund is negative).
	Negative bool
	Columns  []usageColumn
	index    map[string]int // lower-case name → column
}

// usageChargePlaces is the most decimals a charge may have: the portal keeps
// charges as exact decimals, and six places are finer than any allocation
// unit AMIE sites report (the simulator's history uses two).
const usageChargePlaces = 6

// usageMaxCell bounds identifiers and free text, as the upstream does.
const usageMaxCell = 255

const usageTimeDoc = "UTC time, ISO 8601: 2025-05-01T10:00:00Z, 2025-05-01T12:00:00+02:00 or 2025-05-01 10:00:00 (a time without a zone is UTC; fractions of a second are dropped)"

var (
	amieColUsername = usageColumn{Name: "Username", Kind: usageKindText, Required: true, Doc: "the local username of the person, as known to AMIE", Example: "jdoe"}
	amieColProject  = usageColumn{Name: "LocalProjectID", Kind: usageKindText, Required: true, Doc: "the project's AMIE id (the LocalProjectID the site gave AMIE); it must be a project you manage", Example: "TG-ABC123456"}
	amieColRecordID = usageColumn{Name: "LocalRecordID", Kind: usageKindText, Required: true, Doc: "your own id of the record (for jobs, the batch system's job id); unique per resource: sending a record again with the same id is not counted twice", Example: "1001"}
	amieColResource = usageColumn{Name: "Resource", Kind: usageKindText, Required: true, Doc: "the resource name as AMIE knows it", Example: "bridges2.psc.access-ci.org"}
	amieColLocalRef = usageColumn{Name: "LocalReference", Kind: usageKindText, Doc: "optional: your own key, echoed back by AMIE in failures", Example: ""}
	amieComputeCols = []usageColumn{amieColUsername, amieColProject, amieColRecordID, amieColResource,
		{Name: "SubmitTime", Kind: usageKindTime, Required: true, Doc: "when the job was submitted; " + usageTimeDoc, Example: "2025-05-01T10:00:00Z"},
		{Name: "StartTime", Kind: usageKindTime, Required: true, Doc: "when the job started; " + usageTimeDoc, Example: "2025-05-01T10:05:00Z"},
		{Name: "EndTime", Kind: usageKindTime, Required: true, Doc: "when the job ended; not before StartTime; " + usageTimeDoc, Example: "2025-05-01T11:05:00Z"},
		{Name: "Charge", Kind: usageKindCharge, Required: true, Doc: "allocation units (SUs) to deduct; a decimal number, not negative, at most 6 decimals", Example: "128.0"},
		{Name: "NodeCount", Kind: usageKindInt, Doc: "optional: nodes used (whole number)", Example: "1"},
		{Name: "CpuCoreCount", Kind: usageKindInt, Doc: "optional: CPU cores used (whole number)", Example: "128"},
		{Name: "JobName", Kind: usageKindText, Doc: "optional: the job's name", Example: "myjob"},
		{Name: "Memory", Kind: usageKindInt, Doc: "optional: memory used (whole number; AMIE does not document the unit, so use your site's convention)", Example: "256000"},
		{Name: "Queue", Kind: usageKindText, Doc: "optional: the queue or partition", Example: "RM"},
		{Name: "ParentRecordID", Kind: usageKindText, Doc: "optional: the LocalRecordID of a parent job on the same resource", Example: ""},
		amieColLocalRef}
	amieStorageCols = []usageColumn{
		{Name: "Charge", Kind: usageKindCharge, Required: true, Doc: "allocation units to deduct, usually GB stored; a decimal number, not negative, at most 6 decimals", Example: "10.5"},
		{Name: "CollectionTime", Kind: usageKindTime, Required: true, Doc: "when the usage was measured; " + usageTimeDoc, Example: "2025-05-02T00:00:00Z"},
		amieColProject, amieColRecordID, amieColResource, amieColUsername,
		{Name: "BytesRead", Kind: usageKindInt, Doc: "optional: bytes read", Example: ""},
		{Name: "BytesStored", Kind: usageKindInt, Doc: "optional: bytes stored", Example: "11274289152"},
		{Name: "BytesWritten", Kind: usageKindInt, Doc: "optional: bytes written", Example: ""},
		{Name: "CollectionInterval", Kind: usageKindInt, Doc: "optional: days between measurements", Example: "1"},
		{Name: "FileCount", Kind: usageKindInt, Doc: "optional: number of files", Example: "12"},
		{Name: "FilesRead", Kind: usageKindInt, Doc: "optional: files read", Example: ""},
		{Name: "FilesWritten", Kind: usageKindInt, Doc: "optional: files written", Example: ""},
		{Name: "MediaType", Kind: usageKindText, Doc: "optional: Tape, Disk, SSD, …", Example: "Disk"},
		{Name: "SystemCopies", Kind: usageKindInt, Doc: "optional: copies kept by the system", Example: ""},
		{Name: "UserCopies", Kind: usageKindInt, Doc: "optional: copies kept by the user", Example: ""},
		amieColLocalRef}
	amieAdjustmentCols = []usageColumn{
		{Name: "AdjustmentType", Kind: usageKindAdjustment, Required: true, Doc: "one of credit, refund, storage-credit, debit, reservation, storage-debit", Example: "refund"},
		{Name: "Charge", Kind: usageKindCharge, Required: true, Doc: "allocation units; a decimal number with at most 6 decimals, negative to give units back (a refund)", Example: "-5"},
		{Name: "StartTime", Kind: usageKindTime, Required: true, Doc: "when the adjustment applies (for a refund, the job's submit time); " + usageTimeDoc, Example: "2025-05-01T10:00:00Z"},
		amieColProject,
		{Name: "LocalRecordID", Kind: usageKindText, Required: true, Doc: "a new id of your own for the adjustment, unique per resource", Example: "adj-1"},
		amieColResource, amieColUsername,
		{Name: "Comment", Kind: usageKindText, Doc: "optional: why", Example: "job failed"},
		amieColLocalRef}
)

// amieAdjustmentTypes are the AdjustmentType values AMIE accepts.
var amieAdjustmentTypes = []string{"credit", "refund", "storage-credit", "debit", "reservation", "storage-debit"}

var usageSchemas = []*usageSchema{
	newUsageSchema("compute", "Compute", "Compute (jobs)", false, amieComputeCols),
	newUsageSchema("storage", "Storage", "Storage", false, amieStorageCols),
	newUsageSchema("adjustment", "Adjustment", "Adjustment (credits, refunds, …)", true, amieAdjustmentCols),
}

func newUsageSchema(key, typ, label string, negative bool, cols []usageColumn) *usageSchema {
	s := &usageSchema{Key: key, Type: typ, Label: label, Negative: negative, Columns: cols, index: map[string]int{}}
	for i, c := range cols {
		s.index[strings.ToLower(c.Name)] = i
	}
	return s
}

// usageSchemaByKey returns the schema of a record type key (compute, storage, adjustment).
func usageSchemaByKey(key string) *usageSchema {
	for _, s := range usageSchemas {
		if s.Key == key {
			return s
		}
	}
	return nil
}

// column returns the index of a header name (any case), or -1.
func (s *usageSchema) column(name string) int {
	if i, ok := s.index[strings.ToLower(name)]; ok {
		return i
	}
	return -1
}

// otherTypes names the record types that do have a column this one lacks.
func (s *usageSchema) otherTypes(name string) []string {
	var out []string
	for _, o := range usageSchemas {
		if o != s && o.column(name) >= 0 {
			out = append(out, o.Key)
		}
	}
	return out
}
