package argo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/sim/simtls"
	"github.com/accounting-portal/portal/internal/sim/world"
)

const upstreamDir = "testdata/upstream/"

// captured is one line of argo-acc-library-wire-capture.jsonl.
type captured struct {
	Seq     int               `json:"seq"`
	Example string            `json:"example"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   string            `json:"query"`
	Headers map[string]string `json:"headers"`
	BodyRaw *string           `json:"body_raw"`
	Status  int               `json:"mock_response_status"`
}

func readCapture(t *testing.T) []captured {
	t.Helper()
	f, err := os.Open(upstreamDir + "argo-acc-library-wire-capture.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []captured
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c captured
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if len(out) != 13 {
		t.Fatalf("%d captured requests, want 13", len(out))
	}
	return out
}

// seedCaptureIDs adds the entities the captured examples name (project
// P01, provider PROV01, installation 681795460000000000000001 and metric
// definition 678f89694665a309e8a6c9b2) to a simulator whose token is the
// capture's, so the exact captured bytes can be replayed.
func seedCaptureIDs(t *testing.T) *Server {
	t.Helper()
	s := newSim(t, Options{World: world.New(7, 2.5), Token: "tok123"}) // 12 projects + P01: two pages, as captured
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddProject(Project{ID: "P01", Acronym: "P01", Title: "Captured project 01", StartDate: "2024-04-01", EndDate: "2027-03-31"}))
	must(s.AddProvider(Provider{ID: "PROV01", Name: "Captured provider 01", Website: "https://example.org", Abbreviation: "PROV01", Logo: "https://example.org/logo.png"}))
	must(s.AddMetricDefinition(MetricDefinition{ID: "678f89694665a309e8a6c9b2", Name: "storage", Description: "Storage size", UnitType: "TB/year", MetricType: "aggregated", CreatorID: "someone@example.org"}))
	must(s.AddInstallation(Installation{
		ID: "681795460000000000000001", ProjectID: "P01", ProviderID: "PROV01", Infrastructure: "TESTINFRA01",
		Name: "TESTINSTA01", Resource: "TESTRES01", MetricDefinitionIDs: []string{"678f89694665a309e8a6c9b2"},
	}))
	return s
}

func TestCapture_EveryLibraryRequestGetsTheReplyItNeeds(t *testing.T) {
	s := seedCaptureIDs(t)
	ca, err := simtls.New()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(s)
	ts.TLS = ca.ServerConfig()
	ts.StartTLS()
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}

	for _, c := range readCapture(t) {
		u := ts.URL + c.Path
		if c.Query != "" {
			u += "?" + c.Query
		}
		var body io.Reader
		if c.BodyRaw != nil {
			body = strings.NewReader(*c.BodyRaw)
		}
		req, err := http.NewRequest(c.Method, u, body)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range c.Headers {
			if k != "content-length" && k != "connection" { // the transport writes these itself
				req.Header[k] = []string{v} // as captured: lower-case names, no Content-Type
			}
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("seq %d: %v", c.Seq, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.Status {
			t.Fatalf("seq %d %s %s: status %d, the library needs %d: %s", c.Seq, c.Method, c.Path, resp.StatusCode, c.Status, b)
		}
		checkLibraryReply(t, c, b)
	}
	posted := s.PostedMetrics()
	if len(posted) != 1 || posted[0].Value != 12.5 || posted[0].GroupID != "g1" || posted[0].UserID != "u1" {
		t.Fatalf("posted %+v", posted)
	}
}

// checkLibraryReply asserts what argo-acc-library reads from each reply (API.md §10).
func checkLibraryReply(t *testing.T, c captured, body []byte) {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("seq %d: reply is not a JSON object: %s", c.Seq, body)
	}
	if c.Method == http.MethodPost {
		if id, _ := m["metric_id"].(string); id == "" {
			t.Fatalf("seq %d: POST reply without metric_id: %s", c.Seq, body)
		}
		return
	}
	if c.Query == "" { // an entry: its id is read back
		if !strings.HasSuffix(c.Path, "/"+m["id"].(string)) {
			t.Fatalf("seq %d: entry id %v", c.Seq, m["id"])
		}
		return
	}
	tp, err := m["total_pages"].(json.Number).Int64()
	content, ok := m["content"].([]any)
	if err != nil || tp < 1 || !ok || len(content) > 10 {
		t.Fatalf("seq %d: envelope %s", c.Seq, body)
	}
	if c.Query == "page=1" && len(content) == 0 {
		t.Fatalf("seq %d: the first page is empty; the example would print nothing", c.Seq)
	}
	if c.Query == "page=2" && c.Path == "/accounting-system/projects" && (tp < 2 || len(content) == 0) {
		t.Fatalf("seq %d: the captured second page of projects is empty", c.Seq)
	}
	for _, it := range content {
		item := it.(map[string]any)
		if _, ok := item["id"].(string); !ok {
			t.Fatalf("seq %d: item without id (the library raises KeyError): %v", c.Seq, item)
		}
		if strings.HasSuffix(c.Path, "/metrics") {
			md, _ := item["metric_definition"].(map[string]any)
			if _, ok := md["metric_type"].(string); !ok || item["value"] == nil {
				t.Fatalf("seq %d: metric item without value or metric_definition.metric_type: %v", c.Seq, item)
			}
		}
	}
	wantKey := map[string]string{"/accounting-system/projects": "title", "/accounting-system/providers": "name"}[c.Path]
	for _, it := range content {
		if _, ok := it.(map[string]any)[wantKey]; wantKey != "" && !ok {
			t.Fatalf("seq %d: item without %s", c.Seq, wantKey)
		}
	}
}
