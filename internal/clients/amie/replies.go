package amie

import (
	"fmt"

	"github.com/accounting-portal/portal/internal/decimal"
)

// ResourceStatus is one element of usage/status: a resource's records
// processed in the window.
type ResourceStatus struct {
	Resource          string
	LoadedRecordCount int64
	FailedJobCount    int64
	// TotalCharge is the sum of the loaded records' charges.
	TotalCharge decimal.Decimal
	// Errors groups the records that failed processing by error.
	Errors []ErrorGroup
}

// ErrorGroup is the failed records of one error (and record type).
type ErrorGroup struct {
	Error     string
	UsageType UsageType
	Records   []FailedRecord
}

// sendReply is the answer to POST usage/ (API.md §4.1).
type sendReply struct {
	Message string
	Failed  []FailedRecord
}

// sendReplyWire is {"Message": str, "ValidationFailedRecords": [...]}.
type sendReplyWire struct {
	Message                 scalar
	ValidationFailedRecords []*failedWire
}

// decodeSendReply reads the answer to POST usage/.
func decodeSendReply(body []byte) (sendReply, error) {
	var r sendReply
	var w sendReplyWire
	if err := unmarshal(body, &w, "object"); err != nil {
		return r, err
	}
	var err error
	if r.Message, err = w.Message.requiredString("Message"); err != nil {
		return r, err
	}
	r.Failed, err = failedList(w.ValidationFailedRecords, "ValidationFailedRecords")
	return r, err
}

func failedList(list []*failedWire, path string) ([]FailedRecord, error) {
	if len(list) == 0 {
		return nil, nil
	}
	out := make([]FailedRecord, 0, len(list))
	for i := range list {
		f, err := list[i].record("", fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// resourceStatusWire is one element of the usage/status array (API.md §4.3).
type resourceStatusWire struct {
	Resource          scalar
	LoadedRecordCount scalar
	FailedJobCount    scalar
	TotalCharge       scalar
	Errors            []errorGroupWire
}

// errorGroupWire is {"Error": str, "UsageType": str, "Records": [...]}.
type errorGroupWire struct {
	Error     scalar
	UsageType scalar
	Records   []*failedWire
}

// decodeStatus reads the answer to GET usage/status.
func decodeStatus(body []byte) ([]ResourceStatus, error) {
	var w []resourceStatusWire
	if err := unmarshal(body, &w, "array"); err != nil {
		return nil, err
	}
	out := make([]ResourceStatus, 0, len(w))
	for i := range w {
		rs, err := w[i].status(fmt.Sprintf("[%d]", i))
		if err != nil {
			return nil, err
		}
		out = append(out, rs)
	}
	return out, nil
}

func (w *resourceStatusWire) status(path string) (ResourceStatus, error) {
	var rs ResourceStatus
	var err error
	if rs.Resource, err = w.Resource.requiredString(path + ".Resource"); err != nil {
		return rs, err
	}
	if rs.LoadedRecordCount, err = w.LoadedRecordCount.integer(path + ".LoadedRecordCount"); err != nil {
		return rs, err
	}
	if rs.FailedJobCount, err = w.FailedJobCount.integer(path + ".FailedJobCount"); err != nil {
		return rs, err
	}
	if rs.TotalCharge, err = w.TotalCharge.amount(path + ".TotalCharge"); err != nil {
		return rs, err
	}
	for gi := range w.Errors {
		eg, err := w.Errors[gi].group(fmt.Sprintf("%s.Errors[%d]", path, gi))
		if err != nil {
			return rs, err
		}
		rs.Errors = append(rs.Errors, eg)
	}
	return rs, nil
}

// group reads an error group; a record without its own UsageType takes the group's.
func (w *errorGroupWire) group(path string) (ErrorGroup, error) {
	var g ErrorGroup
	var err error
	if g.Error, err = w.Error.requiredString(path + ".Error"); err != nil {
		return g, err
	}
	ut, err := w.UsageType.optionalString(path + ".UsageType")
	if err != nil {
		return g, err
	}
	if g.UsageType = UsageType(ut); ut != "" && !g.UsageType.Valid() {
		return g, errAt(path+".UsageType", "%q is not Compute, Storage or Adjustment", ut)
	}
	for i := range w.Records {
		f, err := w.Records[i].record(g.UsageType, fmt.Sprintf("%s.Records[%d]", path, i))
		if err != nil {
			return g, err
		}
		if g.UsageType == "" {
			g.UsageType = f.UsageType
		}
		g.Records = append(g.Records, f)
	}
	return g, nil
}
