package amie

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

const upstreamDir = "testdata/upstream/"

// captured is one request amieclient 0.6.1 sent (the .jsonl capture).
type captured struct {
	Seq     int               `json:"seq"`
	Call    string            `json:"call"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   string            `json:"query"`
	Headers map[string]string `json:"headers"`
	BodyRaw string            `json:"body_raw"`
}

func loadCapture(t testing.TB) []captured {
	t.Helper()
	b, err := os.ReadFile(upstreamDir + "amieclient-0.6.1-wire-capture.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var out []captured
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var c captured
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatalf("capture line: %v", err)
		}
		out = append(out, c)
	}
	if len(out) != 9 {
		t.Fatalf("capture has %d requests, want 9", len(out))
	}
	return out
}

// clock is a settable clock for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// captureCast is what the capture names: site PSC, project TG-ABC123, user jdoe.
var captureCast = Cast{Projects: []string{"TG-ABC123"}, Resources: []string{"bridges2.psc.access-ci.org", "ocean.psc", "r1"}, Users: []string{"jdoe"}}

func newCaptureServer(clk *clock) *Server {
	return New(Options{World: world.New(1, 1), Now: clk.Now, Site: "PSC", APIKey: "secret-key",
		ProcessDelay: time.Minute, Extra: captureCast})
}

// replay sends a captured request byte for byte: method, path, query, headers and body.
func replay(t *testing.T, base string, c captured, headers map[string]string) (int, []byte) {
	t.Helper()
	url := base + c.Path
	if c.Query != "" {
		url += "?" + c.Query
	}
	var body io.Reader
	if c.BodyRaw != "" {
		body = strings.NewReader(c.BodyRaw)
	}
	req, err := http.NewRequest(c.Method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("seq %d: %v", c.Seq, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestCapture_EveryRequestGetsAParseableReply(t *testing.T) {
	clk := &clock{t: time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)}
	s := newCaptureServer(clk)
	srv := httptest.NewServer(s)
	defer srv.Close()
	for pass := 1; pass <= 2; pass++ {
		for _, c := range loadCapture(t) {
			if c.Method == "GET" {
				clk.Add(2 * time.Minute) // let the queued records be processed before reads
			}
			status, body := replay(t, srv.URL, c, c.Headers)
			rel := strings.TrimPrefix(c.Path, BasePath+"/")
			if p := checkReply(c.Method, rel, status, body); len(p) > 0 {
				t.Errorf("pass %d seq %d %s: %d %s\n%s", pass, c.Seq, c.Call, status, body, strings.Join(p, "\n"))
			}
		}
	}
}

func TestCapture_RefusedCredentialsAnswer401WithError(t *testing.T) {
	clk := &clock{t: time.Date(2024, 5, 3, 0, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(newCaptureServer(clk))
	defer srv.Close()
	for _, c := range loadCapture(t) {
		for name, mutate := range map[string]func(h map[string]string){
			"wrong key":    func(h map[string]string) { h["XA-API-KEY"] = "nope" },
			"wrong site":   func(h map[string]string) { h["XA-SITE"] = "NCSA" },
			"missing site": func(h map[string]string) { delete(h, "XA-SITE") },
		} {
			h := map[string]string{}
			for k, v := range c.Headers {
				h[k] = v
			}
			mutate(h)
			status, body := replay(t, srv.URL, c, h)
			if status != http.StatusUnauthorized {
				t.Errorf("seq %d %s: status %d, want 401", c.Seq, name, status)
			}
			if p := checkErrorReply(body); len(p) > 0 {
				t.Errorf("seq %d %s: %s: %v", c.Seq, name, body, p)
			}
		}
	}
}

// The checker itself must accept every reply amieclient was shown to parse.
func TestCapture_CheckerAcceptsTheParseableExamples(t *testing.T) {
	b, err := os.ReadFile(upstreamDir + "amieclient-parseable-responses.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Responses []struct {
			Name, Method, Path string
			Status             int
			Body               json.RawMessage
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Responses {
		var p []string
		if r.Status >= 400 {
			p = checkErrorReply(r.Body)
		} else {
			p = checkReply(r.Method, r.Path, r.Status, r.Body)
		}
		if len(p) > 0 {
			t.Errorf("%s: %v", r.Name, p)
		}
	}
	if len(doc.Responses) < 9 {
		t.Fatalf("only %d examples", len(doc.Responses))
	}
}
