package argo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// testNow pins the simulator's clock: the generated metrics cover
// 2025-03-31 to 2026-03-31.
var testNow = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)

func newSim(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.World == nil {
		opts.World = world.New(7, 1)
	}
	return New(opts)
}

// reply is an answer of the simulator.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// call sends one request to the handler (no network) with a bearer token.
func call(t testing.TB, s *Server, method, path, token string, body string, header map[string]string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "http://sim.test"+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return reply{rec.Code, rec.Header(), rec.Body.Bytes()}
}

func get(t testing.TB, s *Server, path string) reply {
	t.Helper()
	return call(t, s, http.MethodGet, basePath+path, DefaultToken, "", nil)
}

func wantStatus(t testing.TB, r reply, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// wantError checks an error answer: status, JSON content type and the message.
func wantError(t testing.TB, r reply, status int, message string) {
	t.Helper()
	wantStatus(t, r, status)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error content type %q", ct)
	}
	m := r.json(t)
	if m["code"] != float64(status) || m["message"] != message {
		t.Fatalf("error body %s, want code %d message %q", r.body, status, message)
	}
}

// page is a decoded envelope.
type page struct {
	SizeOfPage    int              `json:"size_of_page"`
	NumberOfPage  int              `json:"number_of_page"`
	TotalElements int64            `json:"total_elements"`
	TotalPages    int              `json:"total_pages"`
	Content       []map[string]any `json:"content"`
	Links         []link           `json:"links"`
}

func getPage(t testing.TB, s *Server, path string) page {
	t.Helper()
	r := get(t, s, path)
	wantStatus(t, r, http.StatusOK)
	var p page
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if p.Content == nil {
		t.Fatalf("%s: content is not an array: %s", path, r.body)
	}
	return p
}

// firstInstallation returns the first seeded installation matching ok.
func firstInstallation(t testing.TB, s *Server, ok func(Installation) bool) Installation {
	t.Helper()
	for _, in := range s.Installations() {
		if ok(in) {
			return in
		}
	}
	t.Fatal("no such installation seeded")
	return Installation{}
}

func defByName(t testing.TB, s *Server, name string) MetricDefinition {
	t.Helper()
	for _, md := range s.MetricDefinitions() {
		if md.Name == name {
			return md
		}
	}
	t.Fatalf("no metric definition %s", name)
	return MetricDefinition{}
}
