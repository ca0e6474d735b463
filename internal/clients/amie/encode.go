package amie

import (
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/jsonbytes"
)

// TimeLayout is how the client sends times: ISO 8601 in UTC, whole seconds.
const TimeLayout = "2006-01-02T15:04:05Z"

// The records are encoded by hand, not through encoding/json: the split
// into requests needs each record's exact byte length, and 100,000 records
// should not cost a reflection walk each. Keys come in amieclient's order
// (API.md §3) and every value is a string, as the docstrings ask.

func (r *ComputeRecord) appendJSON(b []byte) []byte {
	b = str(b, '{', "Username", r.Username)
	b = str(b, ',', "LocalProjectID", r.LocalProjectID)
	b = str(b, ',', "LocalRecordID", r.LocalRecordID)
	b = str(b, ',', "Resource", r.Resource)
	b = tm(b, "SubmitTime", r.SubmitTime)
	b = tm(b, "StartTime", r.StartTime)
	b = tm(b, "EndTime", r.EndTime)
	b = str(b, ',', "Charge", r.Charge.String())
	b = append(b, `,"Attributes":`...)
	a := &r.Attributes
	var o jsonObject
	b = o.num(b, "NodeCount", a.NodeCount)
	b = o.num(b, "CpuCoreCount", a.CpuCoreCount)
	b = o.str(b, "JobName", a.JobName)
	b = o.num(b, "Memory", a.Memory)
	b = o.str(b, "Queue", a.Queue)
	b = o.end(b)
	b = opt(b, "ParentRecordID", r.ParentRecordID)
	b = opt(b, "LocalReference", r.LocalReference)
	return append(b, '}')
}

func (r *StorageRecord) appendJSON(b []byte) []byte {
	b = str(b, '{', "Charge", r.Charge.String())
	b = tm(b, "CollectionTime", r.CollectionTime)
	b = str(b, ',', "LocalProjectID", r.LocalProjectID)
	b = str(b, ',', "LocalRecordID", r.LocalRecordID)
	b = str(b, ',', "Resource", r.Resource)
	b = str(b, ',', "Username", r.Username)
	b = append(b, `,"Attributes":`...)
	a := &r.Attributes
	var o jsonObject
	b = o.num(b, "BytesRead", a.BytesRead)
	b = o.num(b, "BytesStored", a.BytesStored)
	b = o.num(b, "BytesWritten", a.BytesWritten)
	b = o.num(b, "CollectionInterval", a.CollectionInterval)
	b = o.num(b, "FileCount", a.FileCount)
	b = o.num(b, "FilesRead", a.FilesRead)
	b = o.num(b, "FilesWritten", a.FilesWritten)
	b = o.str(b, "MediaType", a.MediaType)
	b = o.num(b, "SystemCopies", a.SystemCopies)
	b = o.num(b, "UserCopies", a.UserCopies)
	b = o.end(b)
	b = opt(b, "LocalReference", r.LocalReference)
	return append(b, '}')
}

func (r *AdjustmentRecord) appendJSON(b []byte) []byte {
	b = str(b, '{', "AdjustmentType", string(r.AdjustmentType))
	b = str(b, ',', "Charge", r.Charge.String())
	b = tm(b, "StartTime", r.StartTime)
	b = str(b, ',', "LocalProjectID", r.LocalProjectID)
	b = str(b, ',', "LocalRecordID", r.LocalRecordID)
	b = str(b, ',', "Resource", r.Resource)
	b = str(b, ',', "Username", r.Username)
	b = opt(b, "Comment", r.Comment)
	b = opt(b, "LocalReference", r.LocalReference)
	return append(b, '}')
}

func str(b []byte, sep byte, key, v string) []byte {
	b = append(b, sep, '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return jsonbytes.AppendString(b, v)
}

func opt(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return str(b, ',', key, v)
}

func tm(b []byte, key string, t time.Time) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, `":"`...)
	b = jsonbytes.AppendUTC(b, t)
	return append(b, '"')
}

// jsonObject writes a JSON object member by member, leaving out empty values.
type jsonObject struct{ n int }

func (o *jsonObject) key(b []byte, k string) []byte {
	if o.n == 0 {
		b = append(b, '{')
	} else {
		b = append(b, ',')
	}
	o.n++
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func (o *jsonObject) num(b []byte, k string, v *int64) []byte {
	if v == nil {
		return b
	}
	b = append(o.key(b, k), '"')
	b = strconv.AppendInt(b, *v, 10)
	return append(b, '"')
}

func (o *jsonObject) str(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return jsonbytes.AppendString(o.key(b, k), v)
}

func (o *jsonObject) end(b []byte) []byte {
	if o.n == 0 {
		return append(b, '{', '}')
	}
	return append(b, '}')
}
