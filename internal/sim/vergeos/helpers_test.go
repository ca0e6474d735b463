package vergeos

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// testNow is the pinned clock of most tests: a Monday afternoon.
var testNow = time.Date(2026, 3, 9, 15, 30, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newTestServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.World == nil {
		opts.World = world.New(7, 1)
	}
	return New(opts)
}

// call sends method path (with query) and body to s with Basic auth and
// returns the status, headers and body.
func call(t testing.TB, s http.Handler, method, target, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.SetBasicAuth(DefaultUser, DefaultPassword)
	req.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

// rows decodes a list answer into generic rows (numbers kept exact).
func rows(t testing.TB, b []byte) []map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var out []map[string]any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("not a JSON list of objects: %v: %.200s", err, b)
	}
	return out
}

// num returns row field f as int64 (missing: -1).
func num(t testing.TB, row map[string]any, f string) int64 {
	t.Helper()
	v, ok := row[f]
	if !ok {
		return -1
	}
	n, err := v.(json.Number).Int64()
	if err != nil {
		t.Fatalf("%s = %v is not an integer", f, v)
	}
	return n
}

// errBody asserts b is {"err": "..."} and returns the message.
func errBody(t testing.TB, b []byte) string {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body is not JSON: %s", b)
	}
	msg, ok := e["err"].(string)
	if !ok || msg == "" || len(e) != 1 {
		t.Fatalf("error body is not {\"err\": text}: %s", b)
	}
	return msg
}
