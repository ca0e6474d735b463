package amie

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// recorder is a fake upstream that answers every request with a fixed
// status and body and keeps what it was sent.
type recorder struct {
	mu     sync.Mutex
	status int
	body   string
	reqs   []recorded
	// failAfter answers 500 from that request on (0: never).
	failAfter int
}

type recorded struct {
	method, uri string
	header      http.Header
	body        []byte
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, recorded{r.Method, r.RequestURI, r.Header.Clone(), b})
	n := len(rc.reqs)
	rc.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if rc.failAfter > 0 && n >= rc.failAfter {
		w.WriteHeader(500)
		w.Write([]byte(`{"error":"database is down"}`))
		return
	}
	w.WriteHeader(rc.status)
	w.Write([]byte(rc.body))
}

func newRecorder(t *testing.T, status int, body string) (*recorder, *Client, string) {
	t.Helper()
	rc := &recorder{status: status, body: body}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	c := newTestClient(t, srv.URL+"/api/v1/", 0)
	c.caller.Backoff = time.Millisecond
	return rc, c, srv.URL
}

func TestClient_RequestsCarryCredentialsAndISOTimes(t *testing.T) {
	rc, c, _ := newRecorder(t, 200, `[]`)
	ctx := context.Background()
	cet := time.FixedZone("CET", 3600)
	if _, err := c.Status(ctx, time.Date(2024, 5, 1, 1, 0, 0, 0, cet), time.Date(2024, 5, 2, 0, 0, 0, 999, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status(ctx, time.Time{}, time.Time{}); err != nil {
		t.Fatal(err)
	}
	rc.body = `{"Message":"ok"}`
	if _, err := c.SendCompute(ctx, []ComputeRecord{computeRec(1, "a")}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/api/v1/usage/status?FromTime=2024-05-01T00%3A00%3A00Z&ToTime=2024-05-02T00%3A00%3A00Z",
		"/api/v1/usage/status",
		"/api/v1/usage/",
	}
	for i, r := range rc.reqs {
		if r.uri != want[i] {
			t.Errorf("request %d: %s, want %s", i, r.uri, want[i])
		}
		if r.header.Get("XA-SITE") != "SIMSITE" || r.header.Get("XA-API-KEY") != "sim-amie-api-key" {
			t.Errorf("request %d headers %v", i, r.header)
		}
	}
	if ct := rc.reqs[2].header.Get("Content-Type"); ct != "application/json" || rc.reqs[2].method != "POST" {
		t.Fatalf("POST content type %q", ct)
	}
	body := string(rc.reqs[2].body)
	for _, s := range []string{`"SubmitTime":"2024-05-01T10:00:00Z"`, `"Charge":"12.50"`, `"Attributes":{"NodeCount":"1","CpuCoreCount":"16","JobName":"a"}`} {
		if !strings.Contains(body, s) {
			t.Errorf("body lacks %s: %s", s, body)
		}
	}
	if strings.Contains(body, "ParentRecordID") {
		t.Errorf("an empty ParentRecordID must be left out: %s", body)
	}
	if _, err := c.Status(ctx, time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)); !portal.IsCode(err, portal.EINVALID) {
		t.Fatalf("reversed window: %v", err)
	}
}

func TestClient_StatusCodesMapToPortalCodes(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		code   string
		msg    string
	}{
		{400, `{"error": "UsageType must be one of Compute, Storage, Adjustment"}`, portal.EINVALID, "UsageType must be one of"},
		{401, `{"error": "Invalid XA-API-KEY for site PSC"}`, portal.EUNAUTHORIZED, "Invalid XA-API-KEY"},
		{403, `{"error": "forbidden"}`, portal.EFORBIDDEN, "forbidden"},
		{404, `{"error": "no such path"}`, portal.ENOTFOUND, "no such path"},
		{413, `{"error": "Request too large"}`, portal.ETOOLARGE, "Request too large"},
		// A 5xx to a POST does not prove the records were not queued.
		{503, `<html>down</html>`, portal.EUNCERTAIN, "Service Unavailable"},
		{500, `plain words`, portal.EUNCERTAIN, "plain words"},
		{429, `{"error": "slow down"}`, portal.EUNAVAILABLE, "slow down"},
	} {
		_, c, _ := newRecorder(t, tc.status, tc.body)
		_, err := c.SendCompute(context.Background(), []ComputeRecord{computeRec(1, "a")})
		if !portal.IsCode(err, tc.code) || !strings.Contains(portal.ErrorMessage(err), tc.msg) {
			t.Errorf("%d: %v, want %s with %q", tc.status, err, tc.code, tc.msg)
		}
		read := tc.code
		if read == portal.EUNCERTAIN {
			read = portal.EUNAVAILABLE // a read has no unknown outcome
		}
		if _, err := c.FailedRecords(context.Background()); !portal.IsCode(err, read) {
			t.Errorf("%d on a read: %v", tc.status, err)
		}
	}
}

func TestClient_ClearFailedBatchesByURLLength(t *testing.T) {
	rc, _, base := newRecorder(t, 200, `{}`)
	const maxURL = 120
	c, err := New(Config{BaseURL: base + "/api/v1", Site: "S", APIKey: "K", MaxURLBytes: maxURL})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 300 {
		ids = append(ids, int64(100000+i*7))
	}
	ids = append(ids, ids[0]) // a duplicate is sent once
	n, err := c.ClearFailed(context.Background(), ids)
	if err != nil || n != 300 {
		t.Fatalf("cleared %d: %v", n, err)
	}
	var got []int64
	for _, r := range rc.reqs {
		if r.method != "DELETE" || len(base+r.uri) > maxURL {
			t.Fatalf("%s %s (%d bytes)", r.method, r.uri, len(base+r.uri))
		}
		for _, s := range strings.Split(strings.TrimPrefix(r.uri, "/api/v1/usage/failed/"), ",") {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("id %q in %s", s, r.uri)
			}
			got = append(got, id)
		}
	}
	if len(rc.reqs) < 2 || !slices.Equal(got, ids[:300]) {
		t.Fatalf("%d requests carried %d ids", len(rc.reqs), len(got))
	}
	rc.reqs, rc.failAfter = nil, 2
	n, err = c.ClearFailed(context.Background(), ids)
	if !portal.IsCode(err, portal.EUNCERTAIN) || len(rc.reqs) != 2 || n == 0 || n >= 300 {
		t.Fatalf("a failing second request: %d cleared, %d requests, %v", n, len(rc.reqs), err)
	}
	if _, err := c.ClearFailed(context.Background(), []int64{0}); !portal.IsCode(err, portal.EINVALID) {
		t.Fatalf("id 0: %v", err)
	}
}

func TestNew_ValidatesConfig(t *testing.T) {
	ok := Config{BaseURL: "https://usage.example.org/api/v1", Site: "PSC", APIKey: "k"}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
	for field, mutate := range map[string]func(*Config){
		"BaseURL":      func(c *Config) { c.BaseURL = "usage.example.org" },
		"query":        func(c *Config) { c.BaseURL += "?x=1" },
		"Site":         func(c *Config) { c.Site = "" },
		"APIKey":       func(c *Config) { c.APIKey = "a\nb" },
		"Timeout":      func(c *Config) { c.Timeout = -1 },
		"Retries":      func(c *Config) { c.Retries = -1 },
		"MaxBodyBytes": func(c *Config) { c.MaxBodyBytes = 100 },
		"MaxURLBytes":  func(c *Config) { c.MaxURLBytes = 40 },
	} {
		cfg := ok
		mutate(&cfg)
		_, err := New(cfg)
		want := field
		if field == "query" {
			want = "query"
		}
		if !portal.IsCode(err, portal.EINVALID) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", field, err)
		}
	}
}
