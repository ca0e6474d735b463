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

// failedWire is a flat failed-record object (API.md §4.4): UsageType,
// Error and FailedRecordID beside every field of the record as it was
// sent, of any of the three types.
type failedWire struct {
	raw       json.RawMessage
	notObject bool

	UsageType, Error, FailedRecordID scalar

	Username, LocalProjectID, LocalRecordID, Resource scalar
	SubmitTime, StartTime, EndTime, CollectionTime    scalar
	Charge, AdjustmentType, Comment, LocalReference   scalar
	ParentRecordID                                    parentID
	Attributes                                        attributesWire
}

// UnmarshalJSON keeps the record as sent (FailedRecord.Raw) and reads its
// fields; a value that is not an object is reported by record, with its path.
func (w *failedWire) UnmarshalJSON(b []byte) error {
	*w = failedWire{raw: bytes.Clone(b)}
	if b[0] != '{' {
		w.notObject = true
		return nil
	}
	type fields failedWire // without this method
	return json.Unmarshal(b, (*fields)(w))
}

// parentID is ParentRecordID: a string, a number, null or amieclient's
// one-element array ([null] or ["12345"], API.md §3.1).
type parentID struct{ scalar }

// UnmarshalJSON implements json.Unmarshaler.
func (p *parentID) UnmarshalJSON(b []byte) error {
	if b[0] != '[' {
		return p.scalar.UnmarshalJSON(b)
	}
	var list []scalar
	p.scalar = scalar{}
	if err := json.Unmarshal(b, &list); err != nil {
		p.scalar = scalar{kind: notScalar, text: clip(b)}
	} else if len(list) > 0 {
		p.scalar = list[0]
	}
	return nil
}

// attributesWire is a record's Attributes object, of either record type.
type attributesWire struct {
	present, notObject bool

	NodeCount, CpuCoreCount, JobName, Memory, Queue          scalar
	BytesRead, BytesStored, BytesWritten, CollectionInterval scalar
	FileCount, FilesRead, FilesWritten, MediaType            scalar
	SystemCopies, UserCopies                                 scalar
}

// UnmarshalJSON implements json.Unmarshaler; a value that is not an
// object is noted, not an error, as the record may have failed for it.
func (a *attributesWire) UnmarshalJSON(b []byte) error {
	*a = attributesWire{}
	switch b[0] {
	case 'n':
		return nil
	case '{':
		type fields attributesWire // without this method
		a.present = true
		return json.Unmarshal(b, (*fields)(a))
	}
	a.notObject = true
	return nil
}

// record checks a failed record. A missing UsageType falls back to deflt
// (a status group's type) when set.
func (w *failedWire) record(deflt UsageType, path string) (FailedRecord, error) {
	if w == nil { // null
		return FailedRecord{Index: -1}, errAt(path, "not a JSON object")
	}
	f := FailedRecord{Raw: w.raw, Index: -1}
	if w.notObject {
		return f, errAt(path, "not a JSON object")
	}
	ut, err := w.UsageType.optionalString(path + ".UsageType")
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
	if f.Error, err = w.Error.optionalString(path + ".Error"); err != nil {
		return f, err
	}
	if w.FailedRecordID.kind != absent {
		if f.FailedRecordID, err = w.FailedRecordID.integer(path + ".FailedRecordID"); err != nil {
			return f, err
		}
	}
	r := &reader{}
	switch f.UsageType {
	case Compute:
		f.Compute = r.compute(w)
	case Storage:
		f.Storage = r.storage(w)
	default:
		f.Adjustment = r.adjustment(w)
	}
	f.Problems = r.problems
	return f, nil
}

// reader reads record fields tolerantly, collecting what it cannot read.
type reader struct{ problems []string }

func (r *reader) problem(k, format string, args ...any) {
	r.problems = append(r.problems, k+": "+fmt.Sprintf(format, args...))
}

func (r *reader) text(k string, v scalar) string {
	if v.kind == notScalar {
		r.problem(k, "not a string: %s", v)
	}
	return v.value()
}

func (r *reader) time(k string, v scalar) time.Time {
	s := r.text(k, v)
	if s == "" {
		return time.Time{}
	}
	t, err := ParseTime(s)
	if err != nil {
		r.problem(k, "not an ISO 8601 time: %q", s)
	}
	return t
}

func (r *reader) charge(k string, v scalar) decimal.Decimal {
	s := r.text(k, v)
	if s == "" {
		return decimal.Zero
	}
	d, err := decimal.Parse(strings.TrimSpace(s))
	if err != nil {
		r.problem(k, "%s", strings.TrimPrefix(err.Error(), "decimal: "))
	}
	return d
}

func (r *reader) int(k string, v scalar) *int64 {
	s := r.text(k, v)
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

// attributes returns the Attributes object (empty when missing or null).
func (r *reader) attributes(w *failedWire) *attributesWire {
	if w.Attributes.notObject {
		r.problem("Attributes", "not an object")
	}
	return &w.Attributes
}

func (r *reader) compute(w *failedWire) *ComputeRecord {
	c := &ComputeRecord{Username: r.text("Username", w.Username), LocalProjectID: r.text("LocalProjectID", w.LocalProjectID),
		LocalRecordID: r.text("LocalRecordID", w.LocalRecordID), Resource: r.text("Resource", w.Resource),
		SubmitTime: r.time("SubmitTime", w.SubmitTime), StartTime: r.time("StartTime", w.StartTime), EndTime: r.time("EndTime", w.EndTime),
		Charge: r.charge("Charge", w.Charge), ParentRecordID: r.text("ParentRecordID", w.ParentRecordID.scalar),
		LocalReference: r.text("LocalReference", w.LocalReference)}
	a := r.attributes(w)
	c.Attributes = ComputeAttributes{NodeCount: r.int("Attributes.NodeCount", a.NodeCount), CpuCoreCount: r.int("Attributes.CpuCoreCount", a.CpuCoreCount),
		JobName: r.text("Attributes.JobName", a.JobName), Memory: r.int("Attributes.Memory", a.Memory), Queue: r.text("Attributes.Queue", a.Queue)}
	return c
}

func (r *reader) storage(w *failedWire) *StorageRecord {
	s := &StorageRecord{Charge: r.charge("Charge", w.Charge), CollectionTime: r.time("CollectionTime", w.CollectionTime),
		LocalProjectID: r.text("LocalProjectID", w.LocalProjectID), LocalRecordID: r.text("LocalRecordID", w.LocalRecordID),
		Resource: r.text("Resource", w.Resource), Username: r.text("Username", w.Username), LocalReference: r.text("LocalReference", w.LocalReference)}
	a := r.attributes(w)
	s.Attributes = StorageAttributes{BytesRead: r.int("Attributes.BytesRead", a.BytesRead), BytesStored: r.int("Attributes.BytesStored", a.BytesStored),
		BytesWritten: r.int("Attributes.BytesWritten", a.BytesWritten), CollectionInterval: r.int("Attributes.CollectionInterval", a.CollectionInterval),
		FileCount: r.int("Attributes.FileCount", a.FileCount), FilesRead: r.int("Attributes.FilesRead", a.FilesRead),
		FilesWritten: r.int("Attributes.FilesWritten", a.FilesWritten), MediaType: r.text("Attributes.MediaType", a.MediaType),
		SystemCopies: r.int("Attributes.SystemCopies", a.SystemCopies), UserCopies: r.int("Attributes.UserCopies", a.UserCopies)}
	return s
}

func (r *reader) adjustment(w *failedWire) *AdjustmentRecord {
	return &AdjustmentRecord{AdjustmentType: AdjustmentType(r.text("AdjustmentType", w.AdjustmentType)), Charge: r.charge("Charge", w.Charge),
		StartTime: r.time("StartTime", w.StartTime), LocalProjectID: r.text("LocalProjectID", w.LocalProjectID),
		LocalRecordID: r.text("LocalRecordID", w.LocalRecordID), Resource: r.text("Resource", w.Resource), Username: r.text("Username", w.Username),
		Comment: r.text("Comment", w.Comment), LocalReference: r.text("LocalReference", w.LocalReference)}
}
