package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets the test binary be the simulators' child process too, as
// the command's own binary is.
func TestMain(m *testing.M) {
	if os.Getenv(simChildEnv) != "" {
		if err := runSimChild(os.Args[1:]); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBench_TinyScalePrintsEveryMeasure runs the whole benchmark at a tiny
// scale with very short loads and checks that it prints a line for every
// measure (or says why it skipped one). It checks that the command works,
// never how fast anything is.
func TestBench_TinyScalePrintsEveryMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the simulators and a portal")
	}
	var out, log strings.Builder
	err := run(context.Background(), []string{"-scale", "0.1", "-duration", "50ms", "-conns", "4", "-repeat", "1", "-seq", "1",
		"-loader", "go", "-dir", t.TempDir()}, &out, &log)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}
	report := out.String()
	want := []string{"| measure | portal | floor | ratio | goal | verdict |", "load average before"}
	for _, up := range []string{"ARGO Accounting", "OBI budgets", "ACCESS AMIE usage", "VergeOS billing"} {
		want = append(want, "| "+up+" first sync, scale 0.1", "| "+up+" incremental sync, scale 0.1", "| "+up+" first sync, peak RSS")
	}
	for _, pc := range pageCases("neuro-sim") {
		for _, user := range []string{"admin", "manager"} {
			want = append(want, "| "+user+" `"+pc.path+"`")
		}
	}
	want = append(want, "| ARGO store step", "| CSV: daily metric totals over a year", "| CSV: billing records over a year",
		"| CSV: one project's OBI jobs over a year", "| CSV: failed usage records")
	for _, w := range want {
		if !strings.Contains(report, w) {
			t.Errorf("the report has no line %q:\n%s", w, report)
		}
	}
	_, err = exec.LookPath("sqlite3")
	if hasSQLite := err == nil; hasSQLite == strings.Contains(report, "skipped: sqlite3 is not installed") {
		t.Errorf("sqlite3 installed: %v, but the report says otherwise:\n%s", hasSQLite, report)
	}
	if strings.Contains(report, "line counts differ") {
		t.Errorf("a CSV and its SELECT gave different rows:\n%s", report)
	}
}
