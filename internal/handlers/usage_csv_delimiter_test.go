package handlers

import (
	"strings"
	"testing"
)

// TestReadUsageCSV_OtherDelimiterSaysSo: a file saved with semicolons
// (or tabs) between its columns gets one message that says so and how to
// fix it, not an error per column; a comma file with a semicolon inside
// a cell is read as usual.
func TestReadUsageCSV_OtherDelimiterSaysSo(t *testing.T) {
	header := "username,localprojectid,LocalRecordID,Resource,SubmitTime,StartTime,EndTime,Charge"
	for sep, want := range map[string]string{";": "this file uses semicolons (;) between its columns; save it with commas",
		"\t": "this file uses tabs between its columns; save it with commas"} {
		file := strings.ReplaceAll(header, ",", sep) + "\n" + strings.ReplaceAll(strings.ReplaceAll(usageComputeRow("1"), ",", sep), "12.5", "12,5")
		rep, _ := readUsage(t, "compute", file, usageTestCheck())
		if rep.Total() != 1 || rep.Problems[0].Line != 1 || !strings.Contains(rep.Problems[0].Reason, want) {
			t.Errorf("%q: %+v", sep, rep.Problems)
		}
	}
	rep, recs := readUsage(t, "compute", header+",JobName\n"+strings.TrimSuffix(usageComputeRow("1"), "\n")+",\"a;b\"\n", usageTestCheck())
	if !rep.Clean() || len(recs) != 1 || recs[0].JobName != "a;b" {
		t.Errorf("a comma file: %+v", rep.Problems)
	}
}
