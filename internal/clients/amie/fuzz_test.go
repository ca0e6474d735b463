package amie

import (
	"errors"
	"testing"
)

// seedFuzz adds the parseable examples and some broken bodies.
func seedFuzz(f *testing.F) {
	for _, ex := range loadExamples(f) {
		f.Add([]byte(ex.Body))
	}
	for _, s := range []string{"", "null", "{}", "[]", `{"Message": 1}`, `[{"Resource": "r"}]`,
		`{"ValidationFailedRecords": [{"UsageType": "Storage", "Attributes": 3, "Charge": {}}]}`,
		`[{"Resource":"r","LoadedRecordCount":"1","FailedJobCount":0,"TotalCharge":1e3,"Errors":[{"Error":"e","Records":[{"UsageType":"Compute","ParentRecordID":[[1]]}]}]}]`,
		`{"Message":"m","ValidationFailedRecords":[{"UsageType":"Compute","StartTime":"yesterday","Attributes":{"NodeCount":"x"}}]}`,
	} {
		f.Add([]byte(s))
	}
}

// checkDecodeError requires a decoding failure to say where it is.
func checkDecodeError(t *testing.T, err error) {
	var de *decodeError
	if err != nil && !errors.As(err, &de) {
		t.Fatalf("error %T %v is not a decodeError", err, err)
	}
}

func FuzzDecodeSendReply(f *testing.F) {
	seedFuzz(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeSendReply(body)
		checkDecodeError(t, err)
		for _, fr := range r.Failed {
			if fr.Compute == nil && fr.Storage == nil && fr.Adjustment == nil {
				t.Fatalf("failed record without a record: %+v", fr)
			}
			_ = fr.Key()
		}
	})
}

func FuzzDecodeFailedRecords(f *testing.F) {
	seedFuzz(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := decodeFailedAnswer(body)
		checkDecodeError(t, err)
	})
}

func FuzzDecodeStatus(f *testing.F) {
	seedFuzz(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		st, err := decodeStatus(body)
		checkDecodeError(t, err)
		for _, rs := range st {
			_ = rs.TotalCharge.String()
		}
	})
}
