package handlers

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/usage"
)

var usageNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func usageTestCheck() *usageCheck {
	return &usageCheck{
		Projects:  map[string]string{"TG-NEU240001": "neuro-sim", "neuro-sim": "neuro-sim"},
		Resources: map[string]bool{"lynx.example.org": true, "orca.example.org": true},
		Now:       usageNow,
	}
}

const usageComputeHeader = "Username,LocalProjectID,LocalRecordID,Resource,SubmitTime,StartTime,EndTime,Charge\n"

func usageComputeRow(id string) string {
	return "asmith,TG-NEU240001," + id + ",lynx.example.org,2026-11-01T10:00:00Z,2026-11-01T10:05:00Z,2026-11-01T11:05:00Z,12.5\n"
}

// read reads a file as an upload does: a first pass checks it, and only
// a clean file is read again for its records.
func readUsage(t *testing.T, key, file string, chk *usageCheck) (*uploadReport, []usage.Record) {
	t.Helper()
	rep, err := readUsageCSV(strings.NewReader(file), usageSchemaByKey(key), chk, nil)
	if err != nil || !rep.Clean() {
		return rep, nil
	}
	var recs []usage.Record
	again, err := readUsageCSV(strings.NewReader(file), usageSchemaByKey(key), chk, func(r *usage.Record) error {
		recs = append(recs, *r)
		return nil
	})
	if err != nil || !again.Clean() || again.Rows != rep.Rows {
		t.Fatalf("second pass: %v %+v", err, again)
	}
	return rep, recs
}

func TestReadUsageCSV_CleanFileGivesRecords(t *testing.T) {
	file := "\xef\xbb\xbf" + "username, localprojectid ,LocalRecordID,Resource,SubmitTime,StartTime,EndTime,Charge,NodeCount,JobName\n" +
		"asmith,TG-NEU240001,1,lynx.example.org,2026-11-01T10:00:00Z,2026-11-01T12:05:00+02:00,2026-11-01 11:05:00,128.000001,2,\"a, b\"\n" +
		"\n" + // blank lines are skipped
		"bjones,neuro-sim,1,orca.example.org,2026-11-01T10:00:00Z,2026-11-01T10:05:00Z,2026-11-01T10:05:00Z,0,,\n"
	rep, recs := readUsage(t, "compute", file, usageTestCheck())
	if !rep.Clean() || rep.Rows != 2 || len(recs) != 2 {
		t.Fatalf("report %+v, %d records", rep, len(recs))
	}
	r := recs[0]
	if r.Line != 2 || r.Seq != 0 || r.Username != "asmith" || r.Charge != "128.000001" || r.Ints["NodeCount"] != 2 || r.JobName != "a, b" {
		t.Errorf("record 1: %+v", r)
	}
	if !r.StartTime.Equal(time.Date(2026, 11, 1, 10, 5, 0, 0, time.UTC)) || !r.EndTime.Equal(time.Date(2026, 11, 1, 11, 5, 0, 0, time.UTC)) {
		t.Errorf("times: %v %v", r.StartTime, r.EndTime)
	}
	// The same LocalRecordID on another resource is another record.
	if recs[1].Line != 4 || recs[1].Seq != 1 || recs[1].Resource != "orca.example.org" {
		t.Errorf("record 2: %+v", recs[1])
	}
	if got := rep.Charge.String(); got != "128.000001" {
		t.Errorf("total charge %s", got)
	}
	if strings.Join(rep.Projects, ",") != "TG-NEU240001,neuro-sim" {
		t.Errorf("projects %v", rep.Projects)
	}
}

// TestReadUsageCSV_BadFilesRefusedWithLines checks each kind of bad file:
// the file is refused (no record is emitted) and the problem names the
// line, the column and the reason.
func TestReadUsageCSV_BadFilesRefusedWithLines(t *testing.T) {
	cases := []struct {
		name, key, file string
		line            int
		col, reason     string
	}{
		{"missing column", "compute", "Username,LocalProjectID,LocalRecordID,Resource,SubmitTime,StartTime,Charge\n", 1, "EndTime", "required column is missing"},
		{"bad time", "compute", usageComputeHeader + usageComputeRow("1") + strings.Replace(usageComputeRow("2"), "2026-11-01T10:05:00Z", "yesterday", 1), 3, "StartTime", "not a time"},
		{"end before start", "compute", usageComputeHeader + usageComputeRow("1") + usageComputeRow("2") + strings.Replace(usageComputeRow("3"), "2026-11-01T11:05:00Z", "2026-11-01T09:00:00Z", 1), 4, "EndTime", "before it starts"},
		{"bad charge", "compute", usageComputeHeader + strings.Replace(usageComputeRow("1"), "12.5", "12,5", 1), 0, "", ""},
		{"charge not a number", "compute", usageComputeHeader + strings.Replace(usageComputeRow("1"), "12.5", "lots", 1), 2, "Charge", "not a decimal number"},
		{"too many decimals", "compute", usageComputeHeader + strings.Replace(usageComputeRow("1"), "12.5", "12.1234567", 1), 2, "Charge", "more than 6 decimals"},
		{"negative compute charge", "compute", usageComputeHeader + strings.Replace(usageComputeRow("1"), "12.5", "-1", 1), 2, "Charge", "must not be negative"},
		{"project not managed", "compute", usageComputeHeader + usageComputeRow("1") + strings.Replace(usageComputeRow("2"), "TG-NEU240001", "TG-CLI240003", 1), 3, "LocalProjectID", "not a project you manage"},
		{"duplicate LocalRecordID", "compute", usageComputeHeader + usageComputeRow("7") + usageComputeRow("8") + usageComputeRow("7"), 4, "LocalRecordID", "already used on line 2"},
		{"unknown resource", "compute", usageComputeHeader + strings.Replace(usageComputeRow("1"), "lynx.example.org", "nowhere.example.org", 1), 2, "Resource", "not a resource AMIE has reported"},
		{"missing value", "compute", usageComputeHeader + strings.Replace(usageComputeRow("1"), "asmith", "", 1), 2, "Username", "a value is required"},
		{"future time", "compute", usageComputeHeader + strings.Replace(usageComputeRow("1"), "2026-11-01T11:05:00Z", "2027-01-01T00:00:00Z", 1), 2, "EndTime", "in the future"},
		{"wrong record type", "compute", "Charge,CollectionTime,LocalProjectID,LocalRecordID,Resource,Username\n10,2026-11-01T00:00:00Z,TG-NEU240001,s1,lynx.example.org,asmith\n", 1, "CollectionTime", "one of storage records"},
		{"unknown column", "storage", "Charge,CollectionTime,LocalProjectID,LocalRecordID,Resource,Username,Colour\n", 1, "Colour", "not a column of storage records"},
		{"empty file", "compute", "", 1, "", "the file is empty"},
		{"header only", "compute", usageComputeHeader, 2, "", "no records"},
		{"not a CSV", "compute", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, "", "not a CSV text file"},
		{"broken quotes", "compute", usageComputeHeader + usageComputeRow("1") + "asmith,\"TG-NEU240001,2,x\n", 3, "", "not valid CSV"},
		{"short row", "compute", usageComputeHeader + usageComputeRow("1") + "asmith,TG-NEU240001\n", 3, "", "has 2 cells"},
		{"bad adjustment type", "adjustment", "AdjustmentType,Charge,StartTime,LocalProjectID,LocalRecordID,Resource,Username\ngift,-5,2026-11-01T00:00:00Z,TG-NEU240001,a1,lynx.example.org,asmith\n", 2, "AdjustmentType", "not one of credit"},
		{"bad integer", "storage", "Charge,CollectionTime,LocalProjectID,LocalRecordID,Resource,Username,FileCount\n1,2026-11-01T00:00:00Z,TG-NEU240001,s1,lynx.example.org,asmith,-3\n", 2, "FileCount", "not a whole number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, _ := readUsage(t, tc.key, tc.file, usageTestCheck())
			if rep.Clean() {
				t.Fatalf("accepted: %+v", rep)
			}
			if tc.reason == "" { // "12,5" makes an extra cell
				if !strings.Contains(rep.Problems[0].Reason, "cells") {
					t.Errorf("problems %+v", rep.Problems)
				}
				return
			}
			for _, p := range rep.Problems {
				if p.Line == tc.line && p.Column == tc.col && strings.Contains(p.Reason, tc.reason) {
					return
				}
			}
			t.Errorf("no problem at line %d column %q with %q in %+v", tc.line, tc.col, tc.reason, rep.Problems)
		})
	}
}

func TestReadUsageCSV_EveryBadRowReported_ManyCapped(t *testing.T) {
	var b strings.Builder
	b.WriteString(usageComputeHeader)
	for i := range 500 {
		row := usageComputeRow(fmt.Sprint(i))
		if i%2 == 1 {
			row = strings.Replace(row, "12.5", "x", 1)
		}
		b.WriteString(row)
	}
	rep, _ := readUsage(t, "compute", b.String(), usageTestCheck())
	if rep.Total() != 250 || len(rep.Problems) != uploadMaxProblems || rep.More != 250-uploadMaxProblems {
		t.Fatalf("total %d shown %d more %d", rep.Total(), len(rep.Problems), rep.More)
	}
	if rep.Problems[0].Line != 3 || rep.Problems[1].Line != 5 {
		t.Errorf("first problems %+v", rep.Problems[:2])
	}
}

func TestReadUsageCSV_AdminAnyProject_UnknownResourcesWhenNoneKnown(t *testing.T) {
	chk := &usageCheck{AnyProject: true, Now: usageNow}
	file := usageComputeHeader + strings.NewReplacer("TG-NEU240001", "TG-ANY000001", "lynx.example.org", "new.example.org").Replace(usageComputeRow("1"))
	if rep, recs := readUsage(t, "compute", file, chk); !rep.Clean() || len(recs) != 1 {
		t.Fatalf("admin file refused: %+v", rep.Problems)
	}
}

func TestReadUsageCSV_TooManyRows(t *testing.T) {
	rep, err := readUsageCSV(&usageRowSource{n: maxUploadRows + 1}, usageSchemaByKey("compute"), usageTestCheck(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Clean() || !strings.Contains(rep.Problems[0].Reason, "more than") || rep.Problems[0].Line != maxUploadRows+2 {
		t.Fatalf("problems %+v", rep.Problems)
	}
}

// usageRowSource streams a header and n distinct clean compute rows.
type usageRowSource struct {
	n, i int
	buf  []byte
}

func (s *usageRowSource) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.i <= s.n {
		if s.i == 0 {
			s.buf = append(s.buf, usageComputeHeader...)
		} else {
			s.buf = append(s.buf, usageComputeRow(fmt.Sprint(s.i))...)
		}
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// FuzzReadUsageCSV feeds any bytes as a file of any type: reading must
// never panic, a clean file must have emitted one record per row in
// order, and every problem must have a line.
func FuzzReadUsageCSV(f *testing.F) {
	for _, seed := range []string{
		usageComputeHeader + usageComputeRow("1"),
		usageComputeHeader + usageComputeRow("1") + usageComputeRow("1"),
		"\xef\xbb\xbf" + usageComputeHeader + "a,\"b\nc\",1,lynx.example.org,2026-11-01T10:00:00Z,2026-11-01T10:00:00Z,2026-11-01T10:00:00Z,1.5\n",
		"Charge,CollectionTime,LocalProjectID,LocalRecordID,Resource,Username\n10,2026-11-01 00:00:00,TG-NEU240001,s,orca.example.org,u\n",
		"AdjustmentType,Charge,StartTime,LocalProjectID,LocalRecordID,Resource,Username,Comment\nREFUND,-0.5,2026-11-01T00:00:00+05:00,neuro-sim,a,lynx.example.org,u,\"x\"\"y\"\n",
		"", "\n\n", "\"", "a\"b", "\x00\xff", ",,,\n,,,",
	} {
		for _, key := range []string{"compute", "storage", "adjustment"} {
			f.Add([]byte(seed), key)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		s := usageSchemaByKey(key)
		if s == nil {
			s = usageSchemas[len(data)%len(usageSchemas)]
		}
		seq := 0
		rep, err := readUsageCSV(bytes.NewReader(data), s, usageTestCheck(), func(r *usage.Record) error {
			if r.Seq != seq || r.Line < 2 || r.LocalRecordID == "" || r.Charge == "" {
				t.Fatalf("record %d: %+v", seq, r)
			}
			seq++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Clean() && seq != rep.Rows {
			t.Fatalf("clean file: %d rows, %d records emitted", rep.Rows, seq)
		}
		for _, p := range rep.Problems {
			if p.Line < 1 || p.Reason == "" {
				t.Fatalf("problem without a line or reason: %+v", p)
			}
		}
	})
}

// BenchmarkReadUsageCSV_100k checks a file of 100,000 compute records (the
// first pass of an upload).
func BenchmarkReadUsageCSV_100k(b *testing.B) {
	var file bytes.Buffer
	io.Copy(&file, &usageRowSource{n: 100_000})
	b.SetBytes(int64(file.Len()))
	b.ReportAllocs()
	for b.Loop() {
		rep, err := readUsageCSV(bytes.NewReader(file.Bytes()), usageSchemaByKey("compute"), usageTestCheck(), nil)
		if err != nil || !rep.Clean() || rep.Rows != 100_000 {
			b.Fatalf("%v %+v", err, rep.Problems)
		}
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "rows/s")
}
