package amie

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// FailedRecord is a record the upstream refused: in a send reply (failed
// validation), in usage/failed or in a status error group (failed processing).
// Exactly one of Compute, Storage and Adjustment is set, per UsageType.
type FailedRecord struct {
	UsageType UsageType
	// Error is the upstream's reason ("Unknown user").
	Error string
	// FailedRecordID is the upstream's handle for ClearFailed; 0 when none was given.
	FailedRecordID int64
	Compute        *ComputeRecord
	Storage        *StorageRecord
	Adjustment     *AdjustmentRecord
	// Problems lists fields that could not be read (the record echoes what
	// was sent, which may be why it failed), e.g. `Charge: "abc" is not a number`.
	Problems []string
	// Raw is the record object exactly as the upstream sent it.
	Raw json.RawMessage
	// Index is the record's position in the slice given to a Send method,
	// or -1 when it is not from a send reply or could not be matched.
	Index int
}

// Key returns the failed record's key.
func (f *FailedRecord) Key() RecordKey {
	switch {
	case f.Compute != nil:
		return f.Compute.Key()
	case f.Storage != nil:
		return f.Storage.Key()
	case f.Adjustment != nil:
		return f.Adjustment.Key()
	}
	return RecordKey{UsageType: f.UsageType}
}

// LocalReference returns the caller's own key echoed with the record.
func (f *FailedRecord) LocalReference() string {
	switch {
	case f.Compute != nil:
		return f.Compute.LocalReference
	case f.Storage != nil:
		return f.Storage.LocalReference
	case f.Adjustment != nil:
		return f.Adjustment.LocalReference
	}
	return ""
}

// decodeFailedRecord reads a flat failed-record object (API.md §4.4). A
// missing UsageType falls back to deflt (a status group's type) when set.
func decodeFailedRecord(raw json.RawMessage, deflt UsageType, path string) (FailedRecord, error) {
	f := FailedRecord{Raw: bytes.Clone(raw), Index: -1}
	obj, err := object(raw, path)
	if err != nil {
		return f, err
	}
	ut, err := optionalString(obj["UsageType"], path+".UsageType")
	switch {
	case err != nil:
		return f, err
	case ut == "" && deflt != "":
		ut = string(deflt)
	case ut == "":
		return f, errAt(path+".UsageType", "missing")
	}
	if f.UsageType = UsageType(ut); !f.UsageType.Valid() {
		return f, errAt(path+".UsageType", "%q is not Compute, Storage or Adjustment", ut)
	}
	if f.Error, err = optionalString(obj["Error"], path+".Error"); err != nil {
		return f, err
	}
	if !isNull(obj["FailedRecordID"]) {
		if f.FailedRecordID, err = integer(obj["FailedRecordID"], path+".FailedRecordID"); err != nil {
			return f, err
		}
	}
	fr := &fields{obj: obj}
	switch f.UsageType {
	case Compute:
		f.Compute = fr.compute()
	case Storage:
		f.Storage = fr.storage()
	default:
		f.Adjustment = fr.adjustment()
	}
	f.Problems = fr.problems
	return f, nil
}

// fields reads record fields tolerantly, collecting what it cannot read.
type fields struct {
	obj      map[string]json.RawMessage
	prefix   string
	problems []string
}

func (r *fields) problem(k, format string, args ...any) {
	r.problems = append(r.problems, r.prefix+k+": "+fmt.Sprintf(format, args...))
}

func (r *fields) text(k string) string {
	s, ok := scalarText(r.obj[k])
	if !ok {
		r.problem(k, "not a string: %s", clip(r.obj[k]))
	}
	return s
}

func (r *fields) time(k string) time.Time {
	s := r.text(k)
	if s == "" {
		return time.Time{}
	}
	t, err := ParseTime(s)
	if err != nil {
		r.problem(k, "not an ISO 8601 time: %q", s)
	}
	return t
}

func (r *fields) charge(k string) decimal.Decimal {
	s := r.text(k)
	if s == "" {
		return decimal.Zero
	}
	d, err := decimal.Parse(strings.TrimSpace(s))
	if err != nil {
		r.problem(k, "%s", strings.TrimPrefix(err.Error(), "decimal: "))
	}
	return d
}

func (r *fields) int(k string) *int64 {
	s := r.text(k)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		r.problem(k, "not an integer: %q", s)
		return nil
	}
	return &n
}

// parent reads ParentRecordID: a string, a number, null or amieclient's
// one-element array ([null] or ["12345"]).
func (r *fields) parent(k string) string {
	if raw := r.obj[k]; len(raw) > 0 && raw[0] == '[' {
		list, _ := array(raw, "")
		if len(list) == 0 {
			return ""
		}
		sub := &fields{obj: map[string]json.RawMessage{k: list[0]}, prefix: r.prefix}
		s := sub.text(k)
		r.problems = append(r.problems, sub.problems...)
		return s
	}
	return r.text(k)
}

// attributes returns a reader of the Attributes object (empty when missing or null).
func (r *fields) attributes() *fields {
	a := &fields{prefix: "Attributes."}
	raw := r.obj["Attributes"]
	if !isNull(raw) {
		if obj, err := object(raw, ""); err == nil {
			a.obj = obj
		} else {
			r.problem("Attributes", "not an object")
		}
	}
	return a
}

func (r *fields) compute() *ComputeRecord {
	c := &ComputeRecord{Username: r.text("Username"), LocalProjectID: r.text("LocalProjectID"),
		LocalRecordID: r.text("LocalRecordID"), Resource: r.text("Resource"),
		SubmitTime: r.time("SubmitTime"), StartTime: r.time("StartTime"), EndTime: r.time("EndTime"),
		Charge: r.charge("Charge"), ParentRecordID: r.parent("ParentRecordID"), LocalReference: r.text("LocalReference")}
	a := r.attributes()
	c.Attributes = ComputeAttributes{NodeCount: a.int("NodeCount"), CpuCoreCount: a.int("CpuCoreCount"),
		JobName: a.text("JobName"), Memory: a.int("Memory"), Queue: a.text("Queue")}
	r.problems = append(r.problems, a.problems...)
	return c
}

func (r *fields) storage() *StorageRecord {
	s := &StorageRecord{Charge: r.charge("Charge"), CollectionTime: r.time("CollectionTime"),
		LocalProjectID: r.text("LocalProjectID"), LocalRecordID: r.text("LocalRecordID"),
		Resource: r.text("Resource"), Username: r.text("Username"), LocalReference: r.text("LocalReference")}
	a := r.attributes()
	s.Attributes = StorageAttributes{BytesRead: a.int("BytesRead"), BytesStored: a.int("BytesStored"),
		BytesWritten: a.int("BytesWritten"), CollectionInterval: a.int("CollectionInterval"),
		FileCount: a.int("FileCount"), FilesRead: a.int("FilesRead"), FilesWritten: a.int("FilesWritten"),
		MediaType: a.text("MediaType"), SystemCopies: a.int("SystemCopies"), UserCopies: a.int("UserCopies")}
	r.problems = append(r.problems, a.problems...)
	return s
}

func (r *fields) adjustment() *AdjustmentRecord {
	return &AdjustmentRecord{AdjustmentType: AdjustmentType(r.text("AdjustmentType")), Charge: r.charge("Charge"),
		StartTime: r.time("StartTime"), LocalProjectID: r.text("LocalProjectID"),
		LocalRecordID: r.text("LocalRecordID"), Resource: r.text("Resource"), Username: r.text("Username"),
		Comment: r.text("Comment"), LocalReference: r.text("LocalReference")}
}
