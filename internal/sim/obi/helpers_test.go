package obi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Ids the service's own tests use (tests/constants.py).
const (
	sysID   = "00000000-0000-0000-0000-000000000001"
	vlabID  = "1b3bd3f4-3441-41b0-8fae-83a30c133dc2"
	projID  = "2cb0ea5a-0e6f-4080-a43c-25a4f0dd0ea2"
	proj2ID = "cccb843e-0b5e-4aed-88b0-6f218a27b6ae"
	userID  = "76693c58-8f5d-45b8-bb41-dbc3599402f5"
	groupID = "9f9ec707-5ad6-4b19-804b-f85220756b2c"
)

// testT0 is the pinned clock of the tests.
var testT0 = time.Date(2026, 11, 21, 10, 0, 0, 123456000, time.UTC)

// fixture is an empty simulator behind a real HTTP server, with a clock
// the test moves and a queue of job ids (like the service tests' mocked
// uuid4).
type fixture struct {
	t   testing.TB
	sim *Server
	srv *httptest.Server

	mu  sync.Mutex
	ids []string
	seq int
	now time.Time
}

func newFixture(t testing.TB, ids ...string) *fixture {
	return newFixtureWith(t, func(o *Options) { o.ChargeEvery = -1 }, ids...)
}

// newFixtureWith is newFixture with options of the test's choosing (the
// clock and the job ids are the fixture's).
func newFixtureWith(t testing.TB, opt func(*Options), ids ...string) *fixture {
	f := &fixture{t: t, ids: ids, now: testT0}
	o := Options{}
	opt(&o)
	o.Now, o.NewID = f.clock, f.nextID
	f.sim = New(o)
	f.srv = httptest.NewServer(f.sim)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// set moves the fixture's clock to t0 + d.
func (f *fixture) set(d time.Duration) {
	f.mu.Lock()
	f.now = testT0.Add(d)
	f.mu.Unlock()
}

func (f *fixture) nextID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.ids) == 0 {
		f.seq++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", f.seq)
	}
	id := f.ids[0]
	f.ids = f.ids[1:]
	return id
}

// do sends a request with Host "test" (the service tests' base URL).
func (f *fixture) do(method, path, body string) (int, []byte) {
	f.t.Helper()
	code, b, err := f.send(method, path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	return code, b
}

// send is do without the test helper (usable inside fuzz targets).
func (f *fixture) send(method, path, body string) (int, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.srv.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Host = "test"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// must sends a request and fails the test unless it answers status.
func (f *fixture) must(status int, method, path, body string) []byte {
	f.t.Helper()
	got, b := f.do(method, path, body)
	if got != status {
		f.t.Fatalf("%s %s: %d %s, want %d", method, path, got, b, status)
	}
	return b
}

// jobID returns data.job_id of a reservation answer.
func jobID(t testing.TB, b []byte) string {
	t.Helper()
	var v struct {
		Data struct {
			JobID string `json:"job_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Data.JobID == "" {
		t.Fatalf("no job_id in %s", b)
	}
	return v.Data.JobID
}

// ordered is a JSON value with object keys in their order, for comparing
// answers key order included.
type ordered struct {
	keys []string
	vals map[string]any
}

func decodeOrdered(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := readValue(dec)
	if err != nil {
		t.Fatalf("bad JSON %s: %v", b, err)
	}
	return v
}

func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &ordered{vals: map[string]any{}}
		for dec.More() {
			k, _ := dec.Token()
			v, err := readValue(dec)
			if err != nil {
				return nil, err
			}
			o.keys = append(o.keys, k.(string))
			o.vals[k.(string)] = v
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		var a []any
		for dec.More() {
			v, err := readValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return tok, nil
}

// diff describes the first difference between want and got, or "". With
// loose, two datetime strings are equal whatever their values.
func diff(path string, want, got any, loose bool) string {
	switch w := want.(type) {
	case *ordered:
		g, ok := got.(*ordered)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %v", path, got)
		}
		// Key order is compared inside data; the examples write the
		// envelope's keys in more than one order (one error example puts
		// details first), so the envelope is compared as a set.
		wk, gk := w.keys, g.keys
		if path == "" {
			wk, gk = slices.Sorted(slices.Values(wk)), slices.Sorted(slices.Values(gk))
		}
		if strings.Join(wk, ",") != strings.Join(gk, ",") {
			return fmt.Sprintf("%s: keys %v, want %v", path, g.keys, w.keys)
		}
		for _, k := range w.keys {
			if d := diff(path+"."+k, w.vals[k], g.vals[k], loose); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %v, want %d items", path, got, len(w))
		}
		for i := range w {
			if d := diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], loose); d != "" {
				return d
			}
		}
		return ""
	case string:
		if g, ok := got.(string); ok && loose && isDatetime(w) && isDatetime(g) {
			return ""
		}
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		return fmt.Sprintf("%s: got %v, want %v", path, got, want)
	}
	return ""
}

func isDatetime(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && strings.HasSuffix(s, "Z")
}
