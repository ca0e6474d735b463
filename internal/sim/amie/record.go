package amie

import (
	"bytes"
	"encoding/json"
	"time"
)

// Usage types, as small numbers.
const (
	typCompute uint8 = iota
	typStorage
	typAdjustment
	nTypes
)

var typeNames = [nTypes]string{"Compute", "Storage", "Adjustment"}

// typeOf returns the usage type named s (exact capitalisation), or false.
func typeOf(s string) (uint8, bool) {
	for i, n := range typeNames {
		if n == s {
			return uint8(i), true
		}
	}
	return 0, false
}

// Attribute names per usage type, in amieclient's emitted order (API.md §3).
var attrNames = [nTypes][]string{
	typCompute: {"NodeCount", "CpuCoreCount", "JobName", "Memory", "Queue"},
	typStorage: {"BytesRead", "BytesStored", "BytesWritten", "CollectionInterval", "FileCount",
		"FilesRead", "FilesWritten", "MediaType", "SystemCopies", "UserCopies"},
}

// textAttrs are the attributes that are free text; the others must be numbers.
var textAttrs = map[string]bool{"JobName": true, "Queue": true, "MediaType": true}

const maxAttrs = 10

// adjustmentTypes are the accepted AdjustmentType values (amieclient lower-cases them).
var adjustmentTypes = []string{"credit", "refund", "storage-credit", "debit", "reservation", "storage-debit"}

// canon is a validated record in the simulator's canonical form; the
// store keeps it encoded (appendCanon).
type canon struct {
	typ                                  uint8
	username, project, localID, resource []byte
	submit, start, end, collection       time.Time
	charge                               []byte // as sent (number text or string content)
	adjType, comment, localRef, parent   []byte
	attrs                                [maxAttrs][]byte // nil: absent
}

// head leads a record in an answer: its UsageType (status Errors and
// failed records), and for a failed record the Error and FailedRecordID
// (API.md §4.3, §4.4). A stored record has none of them.
type head struct {
	UsageType      string `json:",omitempty"`
	Error          string `json:",omitempty"`
	FailedRecordID int64  `json:",omitempty"`
}

// The records as the simulator writes them: fields in amieclient's order,
// every value a string, times in UTC RFC 3339, ParentRecordID a plain
// string, empty optional fields and absent attributes left out.

type computeJSON struct {
	head
	Username       string
	LocalProjectID string
	LocalRecordID  string
	Resource       string
	SubmitTime     string
	StartTime      string
	EndTime        string
	Charge         string
	Attributes     computeAttrsJSON
	ParentRecordID string `json:",omitempty"`
	LocalReference string `json:",omitempty"`
}

type computeAttrsJSON struct {
	NodeCount    *string `json:",omitempty"`
	CpuCoreCount *string `json:",omitempty"`
	JobName      *string `json:",omitempty"`
	Memory       *string `json:",omitempty"`
	Queue        *string `json:",omitempty"`
}

type storageJSON struct {
	head
	Charge         string
	CollectionTime string
	LocalProjectID string
	LocalRecordID  string
	Resource       string
	Username       string
	Attributes     storageAttrsJSON
	LocalReference string `json:",omitempty"`
}

type storageAttrsJSON struct {
	BytesRead          *string `json:",omitempty"`
	BytesStored        *string `json:",omitempty"`
	BytesWritten       *string `json:",omitempty"`
	CollectionInterval *string `json:",omitempty"`
	FileCount          *string `json:",omitempty"`
	FilesRead          *string `json:",omitempty"`
	FilesWritten       *string `json:",omitempty"`
	MediaType          *string `json:",omitempty"`
	SystemCopies       *string `json:",omitempty"`
	UserCopies         *string `json:",omitempty"`
}

type adjustmentJSON struct {
	head
	AdjustmentType string
	Charge         string
	StartTime      string
	LocalProjectID string
	LocalRecordID  string
	Resource       string
	Username       string
	Comment        string `json:",omitempty"`
	LocalReference string `json:",omitempty"`
}

// answerRecord is a record to write: one of the three types above.
type answerRecord interface{ lead() *head }

func (h *head) lead() *head { return h }

// out returns r as the simulator writes it, led by h.
func (r *canon) out(h head) answerRecord {
	attr := func(i int) *string {
		if r.attrs[i] == nil {
			return nil
		}
		s := string(r.attrs[i])
		return &s
	}
	switch r.typ {
	case typCompute:
		return &computeJSON{head: h, Username: string(r.username), LocalProjectID: string(r.project), LocalRecordID: string(r.localID),
			Resource: string(r.resource), SubmitTime: isoTime(r.submit), StartTime: isoTime(r.start), EndTime: isoTime(r.end),
			Charge:         string(r.charge),
			Attributes:     computeAttrsJSON{NodeCount: attr(0), CpuCoreCount: attr(1), JobName: attr(2), Memory: attr(3), Queue: attr(4)},
			ParentRecordID: string(r.parent), LocalReference: string(r.localRef)}
	case typStorage:
		return &storageJSON{head: h, Charge: string(r.charge), CollectionTime: isoTime(r.collection), LocalProjectID: string(r.project),
			LocalRecordID: string(r.localID), Resource: string(r.resource), Username: string(r.username),
			Attributes: storageAttrsJSON{BytesRead: attr(0), BytesStored: attr(1), BytesWritten: attr(2), CollectionInterval: attr(3),
				FileCount: attr(4), FilesRead: attr(5), FilesWritten: attr(6), MediaType: attr(7), SystemCopies: attr(8), UserCopies: attr(9)},
			LocalReference: string(r.localRef)}
	}
	return &adjustmentJSON{head: h, AdjustmentType: string(r.adjType), Charge: string(r.charge), StartTime: isoTime(r.start),
		LocalProjectID: string(r.project), LocalRecordID: string(r.localID), Resource: string(r.resource), Username: string(r.username),
		Comment: string(r.comment), LocalReference: string(r.localRef)}
}

// isoTime writes t in UTC RFC 3339, with fractional seconds only when it has them.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// appendCanon appends r's canonical JSON: what the simulator stores and
// echoes, and what it compares to tell an identical resend.
func appendCanon(b []byte, r *canon) []byte {
	return append(b, marshal(r.out(head{}))...)
}

// stored returns a stored record of type typ, led by h.
func stored(typ uint8, canonJSON []byte, h head) answerRecord {
	var r answerRecord
	switch typ {
	case typCompute:
		r = &computeJSON{}
	case typStorage:
		r = &storageJSON{}
	default:
		r = &adjustmentJSON{}
	}
	// The simulator wrote it; it reads back.
	json.Unmarshal(canonJSON, r)
	*r.lead() = h
	return r
}

// marshal encodes v as the simulator writes JSON: <, > and & as they are,
// as Python's json.dumps writes them. What the simulator encodes is made
// of strings and integers only, which always encode.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("amie simulator: encoding its own JSON: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
