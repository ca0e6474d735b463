package amie

import (
	"time"

	"github.com/accounting-portal/portal/internal/jsonbytes"
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

// canon is a validated record in the simulator's canonical form. Byte
// slices point into the request body (or into generated text) and are only
// valid while it is; the store keeps the encoded form.
type canon struct {
	typ                                  uint8
	username, project, localID, resource []byte
	submit, start, end, collection       time.Time
	charge                               []byte // as sent (number text or string content)
	adjType, comment, localRef, parent   []byte
	attrs                                [maxAttrs][]byte // nil: absent
}

// appendCanon appends r as a JSON object, fields in amieclient's order,
// every value a string, times in UTC RFC 3339, ParentRecordID a plain
// string. This is what the simulator stores and echoes, and what it
// compares to tell an identical resend.
func appendCanon(b []byte, r *canon) []byte {
	switch r.typ {
	case typCompute:
		b = field(b, '{', "Username", r.username)
		b = ids(b, r)
		b = timeField(b, "SubmitTime", r.submit)
		b = timeField(b, "StartTime", r.start)
		b = timeField(b, "EndTime", r.end)
		b = field(b, ',', "Charge", r.charge)
		b = appendAttrs(b, r)
		b = optField(b, "ParentRecordID", r.parent)
	case typStorage:
		b = field(b, '{', "Charge", r.charge)
		b = timeField(b, "CollectionTime", r.collection)
		b = ids(b, r)
		b = field(b, ',', "Username", r.username)
		b = appendAttrs(b, r)
	default:
		b = field(b, '{', "AdjustmentType", r.adjType)
		b = field(b, ',', "Charge", r.charge)
		b = timeField(b, "StartTime", r.start)
		b = ids(b, r)
		b = field(b, ',', "Username", r.username)
		b = optField(b, "Comment", r.comment)
	}
	b = optField(b, "LocalReference", r.localRef)
	return append(b, '}')
}

func ids(b []byte, r *canon) []byte {
	b = field(b, ',', "LocalProjectID", r.project)
	b = field(b, ',', "LocalRecordID", r.localID)
	return field(b, ',', "Resource", r.resource)
}

func field(b []byte, sep byte, name string, v []byte) []byte {
	b = append(b, sep, '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return jsonbytes.AppendString(b, v)
}

func optField(b []byte, name string, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	return field(b, ',', name, v)
}

func timeField(b []byte, name string, t time.Time) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':', '"')
	if t.Nanosecond() == 0 {
		b = jsonbytes.AppendUTC(b, t)
	} else {
		b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	return append(b, '"')
}

func appendAttrs(b []byte, r *canon) []byte {
	b = append(b, `,"Attributes":{`...)
	first := true
	for i, name := range attrNames[r.typ] {
		if r.attrs[i] == nil {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = jsonbytes.AppendString(b, r.attrs[i])
	}
	return append(b, '}')
}
