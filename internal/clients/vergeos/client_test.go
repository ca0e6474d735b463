package vergeos

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

func TestNew_Validation(t *testing.T) {
	ok := []Config{
		{BaseURL: "https://v.example.org", User: "u", Password: "p"},
		{BaseURL: "https://v.example.org:8443/", APIKey: "k"},
		{BaseURL: "http://127.0.0.1:9/api/v4", APIKey: "k", PageSize: 1000},
	}
	for _, c := range ok {
		if _, err := New(c); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	bad := map[string]Config{
		"BaseURL is required":      {APIKey: "k"},
		"must be an http(s) URL":   {BaseURL: "ftp://x", APIKey: "k"},
		"with a host":              {BaseURL: "https://", APIKey: "k"},
		"not both":                 {BaseURL: "https://x", User: "u", Password: "p", APIKey: "k"},
		"Password is required":     {BaseURL: "https://x", User: "u"},
		"User is required":         {BaseURL: "https://x", Password: "p"},
		"credentials are required": {BaseURL: "https://x"},
		"PageSize must be":         {BaseURL: "https://x", APIKey: "k", PageSize: 1001},
		"Retries must not be":      {BaseURL: "https://x", APIKey: "k", Retries: -1},
		"must not carry":           {BaseURL: "https://x?a=b", APIKey: "k"},
	}
	for want, c := range bad {
		_, err := New(c)
		if portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want EINVALID saying %q", c, err, want)
		}
	}
	c, _ := New(Config{BaseURL: "https://x/api/v4/", APIKey: "k"})
	if c.base != "https://x" || c.PageSize() != DefaultPageSize {
		t.Errorf("base %q page size %d", c.base, c.PageSize())
	}
}

// recorder is a test server that records requests and answers from a script.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

// count returns the number of requests so far (handlers may still run).
func (rc *recorder) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

func (rc *recorder) server(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.reqs = append(rc.reqs, r)
		rc.body = append(rc.body, string(b))
		n := len(rc.reqs)
		rc.mu.Unlock()
		answer(n, w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHeadersAndAuth(t *testing.T) {
	for name, cfg := range map[string]Config{
		"basic":  {User: "admin", Password: "pw"},
		"bearer": {APIKey: "key-1"},
	} {
		rc := &recorder{}
		srv := rc.server(t, func(int, http.ResponseWriter, *http.Request) {})
		cfg.BaseURL = srv.URL
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.System(context.Background())
		r := rc.reqs[0]
		want := "Bearer key-1"
		if name == "basic" {
			want = "Basic YWRtaW46cHc="
		}
		if r.Header.Get("Authorization") != want || r.Header.Get("Accept") != "application/json" ||
			r.Header.Get("Content-Type") != "application/json" || r.Header.Get("X-JSON-Non-Compact") != "1" {
			t.Errorf("%s: headers %v", name, r.Header)
		}
		if r.URL.Path != "/api/v4/system" || r.URL.Query().Get("fields") != "$key,yb_version,os_version,cloud_name" {
			t.Errorf("%s: system check %s", name, r.URL)
		}
	}
}

func TestEach_QueryAndPaging(t *testing.T) {
	rc := &recorder{}
	// Pages of 2, 2 and 1 records.
	srv := rc.server(t, func(n int, w http.ResponseWriter, r *http.Request) {
		sizes := []int{2, 2, 1}
		var b strings.Builder
		b.WriteString("[")
		for i := range sizes[n-1] {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"$key":` + itoa(n*10+i) + `}`)
		}
		b.WriteString("]")
		io.WriteString(w, b.String())
	})
	c, _ := New(Config{BaseURL: srv.URL, APIKey: "k", PageSize: 2})
	since, until := time.Unix(1704000000, 0), time.Unix(1706745600, 999)
	var got []Key
	err := c.EachCreated(context.Background(), Window{Since: since, Until: until}, func(page []BillingRecord) error {
		for _, r := range page {
			got = append(got, r.Key)
		}
		return nil
	})
	if err != nil || strings.Join(keys(got), ",") != "10,11,20,21,30" {
		t.Fatalf("%v %v", err, got)
	}
	for i, r := range rc.reqs {
		q := r.URL.Query()
		if q.Get("filter") != "created ge 1704000000 and created le 1706745600" || q.Get("sort") != "-created" ||
			q.Get("limit") != "2" || q.Get("offset") != itoa(2*i) || q.Get("fields") != strings.Join(Fields, ",") {
			t.Fatalf("request %d: %s", i, r.URL.RawQuery)
		}
	}
	// The wire form percent-encodes "$" and "," and writes spaces as "+", as python-requests does.
	if raw := rc.reqs[0].URL.RawQuery; !strings.Contains(raw, "fields=%24key%2Ccreated%2C") || !strings.Contains(raw, "filter=created+ge+1704000000+and+created+le+1706745600") {
		t.Fatalf("raw query %s", raw)
	}
}

func TestEach_ServerIgnoringOffset(t *testing.T) {
	rc := &recorder{}
	srv := rc.server(t, func(n int, w http.ResponseWriter, r *http.Request) { io.WriteString(w, `[{"$key":1},{"$key":2}]`) })
	c, _ := New(Config{BaseURL: srv.URL, APIKey: "k", PageSize: 2})
	_, err := c.ListCreated(context.Background(), Window{})
	if portal.ErrorCode(err) != portal.EUNAVAILABLE || !strings.Contains(err.Error(), "ignores offset") || len(rc.reqs) != 2 {
		t.Fatalf("%v after %d requests", err, len(rc.reqs))
	}
}

func TestErrors_MappedWithUpstreamMessage(t *testing.T) {
	cases := []struct {
		status int
		body   string
		code   string
		msg    string
	}{
		{400, `{"err":"Invalid filter: unknown field 'x'"}`, portal.EINVALID, "Invalid filter: unknown field 'x'"},
		{401, `{"err":"Login required"}`, portal.EUNAUTHORIZED, "Login required"},
		{403, `{"error":{"message":"Permission denied"}}`, portal.EFORBIDDEN, "Permission denied"},
		{404, `{"err":"not found"}`, portal.ENOTFOUND, "not found"},
		{409, `{"message":"Row exists"}`, portal.ECONFLICT, "Row exists"},
		{422, `{"err":"Validation error on field: 'action' - 'fails validation test'"}`, portal.EINVALID, "Validation error on field: 'action'"},
		{500, `oops, plain text`, portal.EUNAVAILABLE, "oops, plain text"},
		{503, ``, portal.EUNAVAILABLE, "Service Unavailable"},
	}
	for _, c := range cases {
		cl := serveFixture(t, c.status, []byte(c.body))
		_, err := cl.Latest(context.Background())
		var pe *portal.Error
		if !asPortal(err, &pe) || pe.Code != c.code || pe.Status != c.status || !strings.Contains(pe.Message, c.msg) {
			t.Errorf("%d %s: %v", c.status, c.body, err)
		}
	}
}

func TestRetries_ReadsHonourRetryAfter_WritesNever(t *testing.T) {
	rc := &recorder{}
	srv := rc.server(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= 2 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			io.WriteString(w, `{"err":"Rate limit exceeded"}`)
			return
		}
		io.WriteString(w, `[{"$key":9}]`)
	})
	c, _ := New(Config{BaseURL: srv.URL, APIKey: "k", Retries: 3, Backoff: time.Millisecond})
	var waits []time.Duration
	c.caller.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	r, err := c.Latest(context.Background())
	if err != nil || r.Key != "9" || len(rc.reqs) != 3 {
		t.Fatalf("%v %+v after %d requests", err, r, len(rc.reqs))
	}
	if len(waits) != 2 || waits[0] != 7*time.Second || waits[1] != 7*time.Second {
		t.Fatalf("waits %v, want Retry-After honoured", waits)
	}

	// A write that fails with 503 is sent once, and its outcome is
	// unknown: VergeOS does not document a 503 that proves it did nothing.
	rc2 := &recorder{}
	srv2 := rc2.server(t, func(n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	c2, _ := New(Config{BaseURL: srv2.URL, APIKey: "k", Retries: 3})
	c2.caller.Sleep = func(context.Context, time.Duration) error { return nil }
	if _, err := c2.Generate(context.Background()); portal.ErrorCode(err) != portal.EUNCERTAIN || len(rc2.reqs) != 1 {
		t.Fatalf("generate: %v after %d requests", err, len(rc2.reqs))
	}
	if rc2.reqs[0].Method != "POST" || rc2.reqs[0].URL.Path != "/api/v4/billing_actions" || rc2.body[0] != `{"action":"generate"}` {
		t.Fatalf("generate request %s %s %s", rc2.reqs[0].Method, rc2.reqs[0].URL, rc2.body[0])
	}
}

func TestTimeout_ReadIsUnavailableAfterRetries_WriteIsUncertain(t *testing.T) {
	rc := &recorder{}
	srv := rc.server(t, func(n int, w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c, _ := New(Config{BaseURL: srv.URL, APIKey: "k", Timeout: 50 * time.Millisecond, Retries: 1, Backoff: time.Millisecond})
	if _, err := c.Generate(context.Background()); portal.ErrorCode(err) != portal.EUNCERTAIN {
		t.Fatalf("write timeout: %v", err)
	}
	if _, err := c.Latest(context.Background()); err == nil || rc.count() != 3 {
		t.Fatalf("read timeout: %v after %d requests (1 write + 2 reads)", err, rc.count())
	}
}

func TestGetAndLatest_Empty(t *testing.T) {
	if _, err := serveFixture(t, 200, nil).Get(context.Background(), "5"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("empty get: %v", err)
	}
	if _, err := serveFixture(t, 200, []byte(`[]`)).Latest(context.Background()); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("no latest: %v", err)
	}
	if _, err := serveFixture(t, 200, []byte(`[{"$key":1},{"$key":2}]`)).Get(context.Background(), "5"); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("two rows for one key: %v", err)
	}
	if _, err := serveFixture(t, 200, nil).Get(context.Background(), ""); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("empty key: %v", err)
	}
	_, err := serveFixture(t, 200, []byte(`[{"$key":1,"used_cores":"x"}]`)).ListCreated(context.Background(), Window{})
	if portal.ErrorCode(err) != portal.EUNAVAILABLE || !strings.Contains(err.Error(), "VergeOS: page 1 of /billing: [0].used_cores: not a number") {
		t.Fatalf("malformed page: %v", err)
	}
}

// An empty 2xx is success; a 2xx body that is not the create reply is an
// unknown outcome (it may come from something other than VergeOS), to be
// looked up rather than taken for success or sent again.
func TestGenerate_OddReplyIsUncertain(t *testing.T) {
	g, err := serveFixture(t, 201, nil).Generate(context.Background())
	if err != nil || g.Status != 201 || g.Key != "" {
		t.Errorf("empty reply: %v %+v", err, g)
	}
	for _, body := range []string{`[1,2]`, `"ok"`, `{"unexpected": [1, 2,`} {
		_, err := serveFixture(t, 201, []byte(body)).Generate(context.Background())
		if portal.ErrorCode(err) != portal.EUNCERTAIN {
			t.Errorf("%q: %v", body, err)
		}
	}
}

func asPortal(err error, pe **portal.Error) bool {
	e, ok := err.(*portal.Error)
	*pe = e
	return ok
}

func keys(ks []Key) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = string(k)
	}
	return out
}

func itoa(n int) string { return KeyOf(int64(n)).String() }
