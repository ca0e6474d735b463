package handlers

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/usage"
)

// usageGreedyPlan packs records into requests of at most limit bytes, each
// record weighing len(LocalRecordID)+100, the way the AMIE client fills
// requests: in order, greedily.
func usageGreedyPlan(limit int) func(string, []usage.Record) ([]usage.Chunk, error) {
	return func(_ string, recs []usage.Record) ([]usage.Chunk, error) {
		var out []usage.Chunk
		size := 0
		for _, r := range recs {
			w := len(r.LocalRecordID) + 100
			if len(out) == 0 || size+w > limit {
				out = append(out, usage.Chunk{Index: len(out), First: r.Seq})
				size = 0
			}
			out[len(out)-1].Count++
			size += w
		}
		return out, nil
	}
}

type usageChunkLog struct{ chunks []usage.Chunk }

func (l *usageChunkLog) Add(ch usage.Chunk, recs []usage.Record) error {
	if len(recs) != ch.Count || recs[0].Seq != ch.First {
		return fmt.Errorf("request %d: %d records from %d, records %d from %d", ch.Index, ch.Count, ch.First, len(recs), recs[0].Seq)
	}
	l.chunks = append(l.chunks, ch)
	return nil
}

// TestUploadPlanner_BatchesPlanLikeTheWholeFile checks that planning in
// batches, carrying the last request's records over, gives exactly the
// requests of planning every record at once.
func TestUploadPlanner_BatchesPlanLikeTheWholeFile(t *testing.T) {
	for _, n := range []int{1, 99, uploadPlanBatch - 1, uploadPlanBatch, uploadPlanBatch + 1, 3*uploadPlanBatch + 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			recs := make([]usage.Record, n)
			for i := range recs {
				recs[i] = usage.Record{Seq: i, LocalRecordID: fmt.Sprintf("job-%d", i*7919%100003)}
			}
			plan := usageGreedyPlan(20000)
			whole, _ := plan("Compute", recs)
			log := &usageChunkLog{}
			p := &uploadPlanner{plan: plan, typ: "Compute", w: log, flushAt: uploadPlanBatch}
			for i := range recs {
				if err := p.add(&recs[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.flush(true); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(log.chunks, whole) {
				t.Fatalf("batched planning gave %d requests, whole planning %d", len(log.chunks), len(whole))
			}
			if p.next != len(whole) {
				t.Errorf("next request %d, want %d", p.next, len(whole))
			}
		})
	}
}

// TestUploadPlanner_OneRequestHoldingABatch keeps planning when a whole
// batch fits one request.
func TestUploadPlanner_OneRequestHoldingABatch(t *testing.T) {
	recs := make([]usage.Record, 2*uploadPlanBatch+5)
	for i := range recs {
		recs[i] = usage.Record{Seq: i, LocalRecordID: "x"}
	}
	log := &usageChunkLog{}
	p := &uploadPlanner{plan: usageGreedyPlan(1 << 30), typ: "Compute", w: log, flushAt: uploadPlanBatch}
	for i := range recs {
		if err := p.add(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.flush(true); err != nil {
		t.Fatal(err)
	}
	if len(log.chunks) != 1 || log.chunks[0].Count != len(recs) {
		t.Fatalf("requests %+v", log.chunks)
	}
}

func TestCleanFilename(t *testing.T) {
	for in, want := range map[string]string{
		`C:\Users\me\usage.csv`: "usage.csv", "../../etc/passwd": "passwd", "a\x00b\nc.csv": "abc.csv", "": "upload.csv", "/": "upload.csv",
	} {
		if got := uploadFilename(in); got != want {
			t.Errorf("cleanFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestUsageTemplates_ExampleRowsPassTheChecks: each template's example row
// is a valid record of its type for the user who downloads it.
func TestUsageTemplates_ExampleRowsPassTheChecks(t *testing.T) {
	chk := usageTestCheck()
	day := usage.DayStart(usageNow).AddDate(0, 0, -1)
	for _, s := range usageSchemas {
		header := make([]string, len(s.Columns))
		example := make([]string, len(s.Columns))
		for i, col := range s.Columns {
			header[i], example[i] = col.Name, usageTemplateExample(col, day, chk)
		}
		file := strings.Join(header, ",") + "\n" + strings.Join(example, ",") + "\n"
		rep, recs := readUsage(t, s.Key, file, chk)
		if !rep.Clean() || len(recs) != 1 || recs[0].LocalProjectID != "TG-NEU240001" || recs[0].Resource != "lynx.example.org" {
			t.Errorf("%s template: %+v %+v", s.Key, rep.Problems, recs)
		}
	}
}
