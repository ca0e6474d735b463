package amie

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
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

// decodeFailedAnswer reads a whole answer to GET usage/failed through
// the streaming decoder, in batches of 3 so that tests see several.
func decodeFailedAnswer(body []byte) ([]FailedRecord, error) {
	var out []FailedRecord
	err := decodeFailedStream(bytes.NewReader(body), 3, func(recs []FailedRecord) error {
		out = append(out, recs...)
		return nil
	}, func() error {
		out = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// failedAnswerWhole is usage/failed decoded whole with encoding/json, as
// the client read it before it streamed: the reference of what the
// streaming decoder must give.
type failedAnswerWhole struct {
	ValidationFailedRecords *[]*failedWire
	FailedRecords           []*failedWire
}

func decodeFailedWhole(body []byte) ([]FailedRecord, error) {
	var w failedAnswerWhole
	if err := unmarshal(body, &w, "object"); err != nil {
		return nil, err
	}
	if w.ValidationFailedRecords != nil {
		return failedList(*w.ValidationFailedRecords, "ValidationFailedRecords")
	}
	return failedList(w.FailedRecords, "FailedRecords")
}

// FuzzDecodeFailedRecords checks the streaming decoder against decoding
// the whole answer: the same records, or both refuse the answer (with
// where, though not always the same place: the stream stops at the
// first problem in reading order). The one answer only the stream
// refuses is a list key given twice.
func FuzzDecodeFailedRecords(f *testing.F) {
	seedFuzz(f)
	for _, s := range []string{
		`{"FailedRecords": [{"UsageType": "Storage"}], "ValidationFailedRecords": [{"UsageType": "Compute", "Attributes": {}}]}`,
		`{"FailedRecords": [{"UsageType": "Nope"}], "validationfailedrecords": []}`,
		`{"ValidationFailedRecords": null, "FailedRecords": [{"UsageType": "Adjustment"}, {"UsageType": "Adjustment"}, {"UsageType": "Adjustment"}, {"UsageType": "Adjustment"}]}`,
		`{"ValidationFailedRecords": [], "FailedRecords": [1, {"x": [}]}`,
		`{"x": {"y": [1, {"z": null}]}, "ValidationFailedRecords": [null]} `,
		`{"ValidationFailedRecords": []} {}`,
		`{"ValidationFailedRecords": [], "VALIDATIONFAILEDRECORDS": []}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decodeFailedAnswer(body)
		checkDecodeError(t, err)
		want, werr := decodeFailedWhole(body)
		if err != nil && strings.Contains(err.Error(), "given twice") {
			return
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("stream: %v; whole: %v", err, werr)
		}
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("stream read %d records, whole %d", len(got), len(want))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("record %d: stream %+v, whole %+v", i, got[i], want[i])
			}
		}
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

// FuzzScalar checks the reading of a string-or-number value against
// encoding/json: a string's text is what encoding/json decodes, a number
// is kept as written, anything else is notScalar.
func FuzzScalar(f *testing.F) {
	for _, s := range []string{`"plain"`, `"esc\"aped\\"`, `"\u00e9\ud83d\ude42"`, "\"\xff bad\"", `12.50`, `-1e3`, `null`, `true`, `{"a":1}`, `[null]`, `""`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v scalar
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return
		}
		var want any
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		if d.Decode(&want) != nil {
			t.Fatalf("%s: read as a scalar, not by encoding/json", s)
		}
		switch w := want.(type) {
		case nil:
			if v.kind != absent {
				t.Fatalf("%s: kind %d, want absent", s, v.kind)
			}
		case string:
			if v.kind != isString || v.text != w {
				t.Fatalf("%s: %d %q, want the string %q", s, v.kind, v.text, w)
			}
		case json.Number:
			if v.kind != isNumber || v.text != w.String() {
				t.Fatalf("%s: %d %q, want the number as written", s, v.kind, v.text)
			}
		default:
			if v.kind != notScalar || v.value() != "" {
				t.Fatalf("%s: %d %q, want notScalar", s, v.kind, v.text)
			}
		}
	})
}

// FuzzEncodeCompute checks that any text in a record's fields goes out as
// JSON that encoding/json reads back as the same text (invalid UTF-8
// replaced), and that the client's own reader reads the record back.
func FuzzEncodeCompute(f *testing.F) {
	f.Add("asmith", "job-1", "a<b>&c", "\"q\" \\ \t\n\x01", "é🙂\u2028")
	f.Add("", "\xff\xfe", "", "}", "null")
	c := newTestClient(f, "http://x", 1<<30)
	f.Fuzz(func(t *testing.T, user, id, job, queue, ref string) {
		rec := computeRec(1, job)
		rec.Username, rec.LocalRecordID, rec.Attributes.Queue, rec.LocalReference = user, id, queue, ref
		chunks, err := c.PlanCompute([]ComputeRecord{rec})
		if err != nil {
			return // an invalid record (an empty id) is refused before encoding
		}
		var msg struct {
			UsageType string
			Records   []json.RawMessage
		}
		if err := json.Unmarshal(chunks[0].Body, &msg); err != nil || len(msg.Records) != 1 {
			t.Fatalf("%q: not a message: %v", chunks[0].Body, err)
		}
		var w failedWire
		if err := json.Unmarshal(msg.Records[0], &w); err != nil {
			t.Fatal(err)
		}
		back, err := w.record(Compute, "")
		if err != nil || len(back.Problems) > 0 {
			t.Fatalf("%s: %v %v", msg.Records[0], err, back.Problems)
		}
		got := back.Compute
		if got.Username != asJSON(user) || got.LocalRecordID != asJSON(id) || got.Attributes.JobName != asJSON(job) ||
			got.Attributes.Queue != asJSON(queue) || got.LocalReference != asJSON(ref) ||
			!got.EndTime.Equal(rec.EndTime) || !got.Charge.Equal(rec.Charge) || *got.Attributes.CpuCoreCount != 16 {
			t.Fatalf("%s read back as %+v", msg.Records[0], got)
		}
	})
}

// asJSON is s as encoding/json writes and reads it (invalid UTF-8 replaced).
func asJSON(s string) string {
	b, _ := json.Marshal(s)
	var back string
	json.Unmarshal(b, &back)
	return back
}
