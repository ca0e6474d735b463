package handlers

import (
	"strings"
)

// The CSV columns of each usage record type. They are the field names of
// the AMIE Usage API (shared/upstreams/amie/API.md §3), so a site that
// knows AMIE recognises them; the upload form documents them and each type
// has a downloadable template.

// colKind is how a column's cells are read.
type colKind int

const (
	colText colKind = iota
	colTime
	colCharge
	colInt
	colAdjustmentType
)

// usageColumn is one column of a record type.
type usageColumn struct {
	Name     string
	Kind     colKind
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

// chargePlaces is the most decimals a charge may have: the portal keeps
// charges as exact decimals, and six places are finer than any allocation
// unit AMIE sites report (the simulator's history uses two).
const chargePlaces = 6

// maxCellLen bounds identifiers and free text, as the upstream does.
const maxCellLen = 255

const timeDoc = "UTC time, ISO 8601: 2025-05-01T10:00:00Z, 2025-05-01T12:00:00+02:00 or 2025-05-01 10:00:00 (a time without a zone is UTC; fractions of a second are dropped)"

var (
	colUsername = usageColumn{Name: "Username", Kind: colText, Required: true, Doc: "the local username of the person, as known to AMIE", Example: "jdoe"}
	colProject  = usageColumn{Name: "LocalProjectID", Kind: colText, Required: true, Doc: "the project's AMIE id (the LocalProjectID the site gave AMIE); it must be a project you manage", Example: "TG-ABC123456"}
	colRecordID = usageColumn{Name: "LocalRecordID", Kind: colText, Required: true, Doc: "your own id of the record (for jobs, the batch system's job id); unique per resource: sending a record again with the same id is not counted twice", Example: "1001"}
	colResource = usageColumn{Name: "Resource", Kind: colText, Required: true, Doc: "the resource name as AMIE knows it", Example: "bridges2.psc.access-ci.org"}
	colLocalRef = usageColumn{Name: "LocalReference", Kind: colText, Doc: "optional: your own key, echoed back by AMIE in failures", Example: ""}
	computeCols = []usageColumn{colUsername, colProject, colRecordID, colResource,
		{Name: "SubmitTime", Kind: colTime, Required: true, Doc: "when the job was submitted; " + timeDoc, Example: "2025-05-01T10:00:00Z"},
		{Name: "StartTime", Kind: colTime, Required: true, Doc: "when the job started; " + timeDoc, Example: "2025-05-01T10:05:00Z"},
		{Name: "EndTime", Kind: colTime, Required: true, Doc: "when the job ended; not before StartTime; " + timeDoc, Example: "2025-05-01T11:05:00Z"},
		{Name: "Charge", Kind: colCharge, Required: true, Doc: "allocation units (SUs) to deduct; a decimal number, not negative, at most 6 decimals", Example: "128.0"},
		{Name: "NodeCount", Kind: colInt, Doc: "optional: nodes used (whole number)", Example: "1"},
		{Name: "CpuCoreCount", Kind: colInt, Doc: "optional: CPU cores used (whole number)", Example: "128"},
		{Name: "JobName", Kind: colText, Doc: "optional: the job's name", Example: "myjob"},
		{Name: "Memory", Kind: colInt, Doc: "optional: memory used (whole number; AMIE does not document the unit, so use your site's convention)", Example: "256000"},
		{Name: "Queue", Kind: colText, Doc: "optional: the queue or partition", Example: "RM"},
		{Name: "ParentRecordID", Kind: colText, Doc: "optional: the LocalRecordID of a parent job on the same resource", Example: ""},
		colLocalRef}
	storageCols = []usageColumn{
		{Name: "Charge", Kind: colCharge, Required: true, Doc: "allocation units to deduct, usually GB stored; a decimal number, not negative, at most 6 decimals", Example: "10.5"},
		{Name: "CollectionTime", Kind: colTime, Required: true, Doc: "when the usage was measured; " + timeDoc, Example: "2025-05-02T00:00:00Z"},
		colProject, colRecordID, colResource, colUsername,
		{Name: "BytesRead", Kind: colInt, Doc: "optional: bytes read", Example: ""},
		{Name: "BytesStored", Kind: colInt, Doc: "optional: bytes stored", Example: "11274289152"},
		{Name: "BytesWritten", Kind: colInt, Doc: "optional: bytes written", Example: ""},
		{Name: "CollectionInterval", Kind: colInt, Doc: "optional: days between measurements", Example: "1"},
		{Name: "FileCount", Kind: colInt, Doc: "optional: number of files", Example: "12"},
		{Name: "FilesRead", Kind: colInt, Doc: "optional: files read", Example: ""},
		{Name: "FilesWritten", Kind: colInt, Doc: "optional: files written", Example: ""},
		{Name: "MediaType", Kind: colText, Doc: "optional: Tape, Disk, SSD, …", Example: "Disk"},
		{Name: "SystemCopies", Kind: colInt, Doc: "optional: copies kept by the system", Example: ""},
		{Name: "UserCopies", Kind: colInt, Doc: "optional: copies kept by the user", Example: ""},
		colLocalRef}
	adjustmentCols = []usageColumn{
		{Name: "AdjustmentType", Kind: colAdjustmentType, Required: true, Doc: "one of credit, refund, storage-credit, debit, reservation, storage-debit", Example: "refund"},
		{Name: "Charge", Kind: colCharge, Required: true, Doc: "allocation units; a decimal number with at most 6 decimals, negative to give units back (a refund)", Example: "-5"},
		{Name: "StartTime", Kind: colTime, Required: true, Doc: "when the adjustment applies (for a refund, the job's submit time); " + timeDoc, Example: "2025-05-01T10:00:00Z"},
		colProject,
		{Name: "LocalRecordID", Kind: colText, Required: true, Doc: "a new id of your own for the adjustment, unique per resource", Example: "adj-1"},
		colResource, colUsername,
		{Name: "Comment", Kind: colText, Doc: "optional: why", Example: "job failed"},
		colLocalRef}
)

// adjustmentTypes are the AdjustmentType values AMIE accepts.
var adjustmentTypes = []string{"credit", "refund", "storage-credit", "debit", "reservation", "storage-debit"}

var usageSchemas = []*usageSchema{
	newSchema("compute", "Compute", "Compute (jobs)", false, computeCols),
	newSchema("storage", "Storage", "Storage", false, storageCols),
	newSchema("adjustment", "Adjustment", "Adjustment (credits, refunds, …)", true, adjustmentCols),
}

func newSchema(key, typ, label string, negative bool, cols []usageColumn) *usageSchema {
	s := &usageSchema{Key: key, Type: typ, Label: label, Negative: negative, Columns: cols, index: map[string]int{}}
	for i, c := range cols {
		s.index[strings.ToLower(c.Name)] = i
	}
	return s
}

// schemaByKey returns the schema of a record type key (compute, storage, adjustment).
func schemaByKey(key string) *usageSchema {
	for _, s := range usageSchemas {
		if s.Key == key {
			return s
		}
	}
	return nil
}

// schemaByType returns the schema of a wire UsageType.
func schemaByType(typ string) *usageSchema {
	for _, s := range usageSchemas {
		if s.Type == typ {
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
