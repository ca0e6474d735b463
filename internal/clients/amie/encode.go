package amie

import (
	"bytes"
	"encoding/json"
	"time"
)

// TimeLayout is how the client sends times: ISO 8601 in UTC, whole seconds.
const TimeLayout = "2006-01-02T15:04:05Z"

// Records are sent as amieclient sends them (API.md §3): keys in its
// order, every value a string as its docstrings ask, attributes only when
// set, ParentRecordID a plain string and left out when empty. The wire
// structs below say so with encoding/json tags; the planner encodes each
// record on its own to know its exact length.

type computeWire struct {
	Username       string
	LocalProjectID string
	LocalRecordID  string
	Resource       string
	SubmitTime     string
	StartTime      string
	EndTime        string
	Charge         string
	Attributes     computeAttributesWire
	ParentRecordID string `json:",omitempty"`
	LocalReference string `json:",omitempty"`
}

type computeAttributesWire struct {
	NodeCount    *int64 `json:",omitempty,string"`
	CpuCoreCount *int64 `json:",omitempty,string"`
	JobName      string `json:",omitempty"`
	Memory       *int64 `json:",omitempty,string"`
	Queue        string `json:",omitempty"`
}

type storageWire struct {
	Charge         string
	CollectionTime string
	LocalProjectID string
	LocalRecordID  string
	Resource       string
	Username       string
	Attributes     storageAttributesWire
	LocalReference string `json:",omitempty"`
}

type storageAttributesWire struct {
	BytesRead          *int64 `json:",omitempty,string"`
	BytesStored        *int64 `json:",omitempty,string"`
	BytesWritten       *int64 `json:",omitempty,string"`
	CollectionInterval *int64 `json:",omitempty,string"`
	FileCount          *int64 `json:",omitempty,string"`
	FilesRead          *int64 `json:",omitempty,string"`
	FilesWritten       *int64 `json:",omitempty,string"`
	MediaType          string `json:",omitempty"`
	SystemCopies       *int64 `json:",omitempty,string"`
	UserCopies         *int64 `json:",omitempty,string"`
}

type adjustmentWire struct {
	AdjustmentType AdjustmentType
	Charge         string
	StartTime      string
	LocalProjectID string
	LocalRecordID  string
	Resource       string
	Username       string
	Comment        string `json:",omitempty"`
	LocalReference string `json:",omitempty"`
}

func wireTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// recordEncoder encodes records one at a time, reusing its buffer and
// wire structs.
type recordEncoder struct {
	buf        bytes.Buffer
	enc        *json.Encoder
	compute    computeWire
	storage    storageWire
	adjustment adjustmentWire
}

func newRecordEncoder() *recordEncoder {
	e := &recordEncoder{}
	e.enc = json.NewEncoder(&e.buf)
	// As amieclient (Python's json.dumps) writes them: <, > and & as they are.
	e.enc.SetEscapeHTML(false)
	return e
}

// encode returns the JSON of a wire struct, valid until the next call.
func (e *recordEncoder) encode(v any) ([]byte, error) {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")), nil
}

func (r *ComputeRecord) encodeJSON(e *recordEncoder) ([]byte, error) {
	a := &r.Attributes
	e.compute = computeWire{Username: r.Username, LocalProjectID: r.LocalProjectID, LocalRecordID: r.LocalRecordID, Resource: r.Resource,
		SubmitTime: wireTime(r.SubmitTime), StartTime: wireTime(r.StartTime), EndTime: wireTime(r.EndTime), Charge: r.Charge.String(),
		Attributes:     computeAttributesWire{NodeCount: a.NodeCount, CpuCoreCount: a.CpuCoreCount, JobName: a.JobName, Memory: a.Memory, Queue: a.Queue},
		ParentRecordID: r.ParentRecordID, LocalReference: r.LocalReference}
	return e.encode(&e.compute)
}

func (r *StorageRecord) encodeJSON(e *recordEncoder) ([]byte, error) {
	a := &r.Attributes
	e.storage = storageWire{Charge: r.Charge.String(), CollectionTime: wireTime(r.CollectionTime), LocalProjectID: r.LocalProjectID,
		LocalRecordID: r.LocalRecordID, Resource: r.Resource, Username: r.Username,
		Attributes: storageAttributesWire{BytesRead: a.BytesRead, BytesStored: a.BytesStored, BytesWritten: a.BytesWritten,
			CollectionInterval: a.CollectionInterval, FileCount: a.FileCount, FilesRead: a.FilesRead, FilesWritten: a.FilesWritten,
			MediaType: a.MediaType, SystemCopies: a.SystemCopies, UserCopies: a.UserCopies},
		LocalReference: r.LocalReference}
	return e.encode(&e.storage)
}

func (r *AdjustmentRecord) encodeJSON(e *recordEncoder) ([]byte, error) {
	e.adjustment = adjustmentWire{AdjustmentType: r.AdjustmentType, Charge: r.Charge.String(), StartTime: wireTime(r.StartTime),
		LocalProjectID: r.LocalProjectID, LocalRecordID: r.LocalRecordID, Resource: r.Resource, Username: r.Username,
		Comment: r.Comment, LocalReference: r.LocalReference}
	return e.encode(&e.adjustment)
}
