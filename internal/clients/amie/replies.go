package amie

import (
	"bytes"
	"encoding/json"
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

// decodeSendReply reads {"Message": str, "ValidationFailedRecords": [...]}.
func decodeSendReply(body []byte) (sendReply, error) {
	var r sendReply
	if err := validJSON(body); err != nil {
		return r, err
	}
	obj, err := object(body, "")
	if err != nil {
		return r, err
	}
	if r.Message, err = requiredString(obj["Message"], "Message"); err != nil {
		return r, err
	}
	r.Failed, err = decodeFailedList(obj["ValidationFailedRecords"], "ValidationFailedRecords")
	return r, err
}

// decodeFailedAnswer reads usage/failed: {"ValidationFailedRecords": [...]}.
// amieclient's own as_dict writes FailedRecords, so that key is read too (API.md §4.2).
func decodeFailedAnswer(body []byte) ([]FailedRecord, error) {
	if err := validJSON(body); err != nil {
		return nil, err
	}
	obj, err := object(body, "")
	if err != nil {
		return nil, err
	}
	if raw, ok := obj["ValidationFailedRecords"]; ok {
		return decodeFailedList(raw, "ValidationFailedRecords")
	}
	return decodeFailedList(obj["FailedRecords"], "FailedRecords")
}

func decodeFailedList(raw json.RawMessage, path string) ([]FailedRecord, error) {
	list, err := array(raw, path)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	out := make([]FailedRecord, 0, len(list))
	for i, e := range list {
		f, err := decodeFailedRecord(e, "", fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// decodeStatus reads the usage/status array (API.md §4.3).
func decodeStatus(body []byte) ([]ResourceStatus, error) {
	if err := validJSON(body); err != nil {
		return nil, err
	}
	list, err := array(body, "")
	if err != nil || (len(list) == 0 && isNull(bytes.TrimSpace(body))) {
		return nil, errAt("", "not a JSON array")
	}
	out := make([]ResourceStatus, 0, len(list))
	for i, e := range list {
		rs, err := decodeResourceStatus(e, fmt.Sprintf("[%d]", i))
		if err != nil {
			return nil, err
		}
		out = append(out, rs)
	}
	return out, nil
}

func decodeResourceStatus(raw json.RawMessage, path string) (ResourceStatus, error) {
	var rs ResourceStatus
	obj, err := object(raw, path)
	if err != nil {
		return rs, err
	}
	if rs.Resource, err = requiredString(obj["Resource"], path+".Resource"); err != nil {
		return rs, err
	}
	if rs.LoadedRecordCount, err = integer(obj["LoadedRecordCount"], path+".LoadedRecordCount"); err != nil {
		return rs, err
	}
	if rs.FailedJobCount, err = integer(obj["FailedJobCount"], path+".FailedJobCount"); err != nil {
		return rs, err
	}
	if rs.TotalCharge, err = amount(obj["TotalCharge"], path+".TotalCharge"); err != nil {
		return rs, err
	}
	groups, err := array(obj["Errors"], path+".Errors")
	if err != nil {
		return rs, err
	}
	for gi, g := range groups {
		eg, err := decodeErrorGroup(g, fmt.Sprintf("%s.Errors[%d]", path, gi))
		if err != nil {
			return rs, err
		}
		rs.Errors = append(rs.Errors, eg)
	}
	return rs, nil
}

// decodeErrorGroup reads {"Error": str, "UsageType": str, "Records": [...]};
// a record without its own UsageType takes the group's.
func decodeErrorGroup(raw json.RawMessage, path string) (ErrorGroup, error) {
	var g ErrorGroup
	obj, err := object(raw, path)
	if err != nil {
		return g, err
	}
	if g.Error, err = requiredString(obj["Error"], path+".Error"); err != nil {
		return g, err
	}
	ut, err := optionalString(obj["UsageType"], path+".UsageType")
	if err != nil {
		return g, err
	}
	if g.UsageType = UsageType(ut); ut != "" && !g.UsageType.Valid() {
		return g, errAt(path+".UsageType", "%q is not Compute, Storage or Adjustment", ut)
	}
	recs, err := array(obj["Records"], path+".Records")
	if err != nil {
		return g, err
	}
	for i, r := range recs {
		f, err := decodeFailedRecord(r, g.UsageType, fmt.Sprintf("%s.Records[%d]", path, i))
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
