package obi

import (
	"os"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/portal"
)

// Fuzz targets for every response decoder: whatever the body, decoding
// never panics, and either fails with an EUNAVAILABLE naming where, or
// gives values that hold what the types promise.

func seedExamples(f *testing.F, names ...string) {
	exs := loadExamples(f)
	for _, n := range names {
		f.Add(string(exs[n].Response))
	}
	f.Add(`{"message":"x","data":null}`)
	f.Add(`{"message":"x","data":{"items":[{"job_id":1}],"meta":{}}}`)
	f.Add(`[]`)
	f.Add(``)
}

func checkDecodeErr(t *testing.T, d *decoder) {
	if d.err != nil && (portal.ErrorCode(d.err) != portal.EUNAVAILABLE || !strings.Contains(d.err.Error(), "OBI: fuzz: ")) {
		t.Fatalf("decode error %v is not an EUNAVAILABLE saying where", d.err)
	}
}

func FuzzDecodeJobPage(f *testing.F) {
	seedExamples(f, "project job report page 1", "project job report page 2", "project job report page 3 (past the end)")
	f.Fuzz(func(t *testing.T, body string) {
		d := &decoder{where: "fuzz"}
		p := decodeReportBody(d, []byte(body))
		checkDecodeErr(t, d)
		if d.err == nil {
			for _, j := range p.Jobs {
				if !isUUID(j.ID) || j.Type == "" || j.StartedAt.IsZero() {
					t.Fatalf("accepted job %+v", j)
				}
			}
		}
	})
}

func FuzzDecodeVlabBalance(f *testing.F) {
	seedExamples(f, "vlab balance", "vlab balance including projects", "project balance", "system balance")
	f.Fuzz(func(t *testing.T, body string) {
		d := &decoder{where: "fuzz"}
		v := decodeVlabBalance(d, d.envelope([]byte(body)), true)
		checkDecodeErr(t, d)
		if d.err == nil && (!isUUID(v.VlabID) || v.Projects == nil) {
			t.Fatalf("accepted %+v", v)
		}
	})
}

func FuzzDecodeProjectBalance(f *testing.F) {
	seedExamples(f, "project balance", "vlab balance")
	f.Fuzz(func(t *testing.T, body string) {
		d := &decoder{where: "fuzz"}
		p := decodeProjBalance(d.object(d.envelope([]byte(body)), "data"))
		checkDecodeErr(t, d)
		if d.err == nil && !isUUID(p.ProjID) {
			t.Fatalf("accepted %+v", p)
		}
	})
}

func FuzzDecodeDiscounts(f *testing.F) {
	seedExamples(f, "list vlab discounts", "add discount")
	f.Fuzz(func(t *testing.T, body string) {
		d := &decoder{where: "fuzz"}
		ds := decodeDiscounts(d, d.envelope([]byte(body)))
		checkDecodeErr(t, d)
		for _, x := range ds {
			if d.err == nil && (x.ValidFrom.IsZero() || !isUUID(x.VlabID)) {
				t.Fatalf("accepted %+v", x)
			}
		}
	})
}

func FuzzDecodeOpenJobs(f *testing.F) {
	seedExamples(f, "open longrun jobs, paginated")
	f.Fuzz(func(t *testing.T, body string) {
		d := &decoder{where: "fuzz"}
		jobs, _ := decodeOpenJobs(d, d.envelope([]byte(body)))
		checkDecodeErr(t, d)
		for _, j := range jobs {
			if d.err == nil && (!isUUID(j.ID) || j.CreatedAt.IsZero()) {
				t.Fatalf("accepted %+v", j)
			}
		}
	})
}

func FuzzParseError(f *testing.F) {
	seedExamples(f, "create vlab account, negative balance", "oneshot reservation, insufficient funds",
		"add price, non-contiguous tiers", "report, unknown vlab", "generic error")
	f.Add(`{"detail":"Not Found"}`)
	f.Add(`{"detail":[{"loc":["query",1],"msg":"m"}]}`)
	f.Add("Internal Server Error")
	f.Fuzz(func(t *testing.T, body string) {
		e := parseError(400, []byte(body))
		if e.Message == "" || e.text() == "" {
			t.Fatalf("no message for %q", body)
		}
	})
}

// TestFuzzCorpusFiles makes sure the seed files exist where the fuzzers read them.
func TestFuzzCorpusFiles(t *testing.T) {
	if _, err := os.Stat(sharedDir + "api-examples.accounting-service-tests.json"); err != nil {
		t.Fatal(err)
	}
}
