package obi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

const sharedDir = "testdata/upstream/"

type example struct {
	Name     string          `json:"name"`
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Query    string          `json:"query"`
	Request  json.RawMessage `json:"request"`
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response"`
}

func loadExamples(t testing.TB) map[string]example {
	b, err := os.ReadFile(sharedDir + "api-examples.accounting-service-tests.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Examples []example `json:"examples"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]example{}
	for _, ex := range doc.Examples {
		out[ex.Name] = ex
	}
	return out
}

// replayServer answers exactly one example and records the request.
func replayServer(t *testing.T, ex example) (*Client, *[]byte) {
	t.Helper()
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		if r.Method != ex.Method || r.URL.Path != ex.Path {
			t.Errorf("%s: request %s %s, want %s %s", ex.Name, r.Method, r.URL.Path, ex.Method, ex.Path)
		}
		for _, kv := range strings.Split(ex.Query, "&") {
			if k, v, _ := strings.Cut(kv, "="); k != "" && r.URL.Query().Get(k) != v {
				t.Errorf("%s: query %s, want %s", ex.Name, r.URL.RawQuery, ex.Query)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ex.Status)
		w.Write(ex.Response)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c, &got
}

// sameJSON compares two bodies as JSON values; a missing key equals null.
func sameJSON(t *testing.T, name string, want, got []byte) {
	t.Helper()
	var w, g map[string]any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: example request %s: %v", name, want, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: sent %s: %v", name, got, err)
	}
	for k, v := range g {
		if _, ok := w[k]; !ok && v == nil {
			delete(g, k)
		}
	}
	if !reflect.DeepEqual(w, g) {
		t.Fatalf("%s: sent %s, example %s", name, got, want)
	}
}

var exID = map[string]string{"vlab": "1b3bd3f4-3441-41b0-8fae-83a30c133dc2", "proj": "2cb0ea5a-0e6f-4080-a43c-25a4f0dd0ea2", "proj2": "cccb843e-0b5e-4aed-88b0-6f218a27b6ae"}

// TestFixtures_Writes sends every write the client has and checks the
// bytes against the example's request (amounts as strings) and the answer.
func TestFixtures_Writes(t *testing.T) {
	ctx := context.Background()
	exs := loadExamples(t)
	cases := map[string]func(*Client) error{
		"top-up":  func(c *Client) error { return c.TopUp(ctx, exID["vlab"], d("123.45")) },
		"assign":  func(c *Client) error { return c.Assign(ctx, exID["vlab"], exID["proj"], d("23.45")) },
		"reverse": func(c *Client) error { return c.Reverse(ctx, exID["vlab"], exID["proj"], d("3.45")) },
		"move":    func(c *Client) error { return c.Move(ctx, exID["vlab"], exID["proj"], exID["proj2"], d("20.00")) },
		"grant":   func(c *Client) error { return c.Grant(ctx, exID["proj"], d("50.00")) },
		"create system account": func(c *Client) error {
			return c.CreateSystemAccount(ctx, "00000000-0000-0000-0000-000000000001", "")
		},
		"create vlab account, balance as string": func(c *Client) error {
			return c.CreateVirtualLab(ctx, "1b3bd3f4-3441-41b0-8fae-83a30c133dc3", "vlab-02", d("1000.0"))
		},
		"create project account": func(c *Client) error {
			return c.CreateProject(ctx, exID["proj"], "vlab-01/proj-01", exID["vlab"])
		},
		"add discount": func(c *Client) error {
			_, err := c.AddDiscount(ctx, exID["vlab"], d("0.2"), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{})
			return err
		},
		"add price": func(c *Client) error {
			id, err := c.AddPrice(ctx, Price{Type: "oneshot", Subtype: "ml-llm", ValidFrom: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
				Tiers: []Tier{{Min: 0, FixedCost: d("0"), Multiplier: d("0.00001")}}})
			if err == nil && id != 1 {
				t.Errorf("price id %d", id)
			}
			return err
		},
	}
	for name, call := range cases {
		ex, ok := exs[name]
		if !ok {
			t.Fatalf("no example %q", name)
		}
		c, sent := replayServer(t, ex)
		if err := call(c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameJSON(t, name, ex.Request, *sent)
		if bytes.Contains(*sent, []byte(`"amount":1`)) || bytes.Contains(*sent, []byte(`"amount":2`)) {
			t.Fatalf("%s: amount sent as a number: %s", name, *sent)
		}
	}
	for _, name := range []string{"deplete project", "deplete vlab"} {
		c, sent := replayServer(t, exs[name])
		var total interface{ String() string }
		var err error
		if name == "deplete project" {
			total, err = c.DepleteProject(ctx, exID["proj"])
		} else {
			total, err = c.DepleteVirtualLab(ctx, exID["vlab"])
		}
		if err != nil {
			t.Fatal(err)
		}
		sameJSON(t, name, exs[name].Request, *sent)
		want := map[string]string{"deplete project": "400.00", "deplete vlab": "2900.00"}[name]
		if total.String() != want {
			t.Fatalf("%s: total %s, want %s", name, total, want)
		}
	}
}

// TestFixtures_Reads decodes every read example the client has a call for.
func TestFixtures_Reads(t *testing.T) {
	ctx := context.Background()
	exs := loadExamples(t)
	c, _ := replayServer(t, exs["system balance"])
	if b, err := c.SystemBalance(ctx); err != nil || b.String() != "-3000.00" {
		t.Fatalf("system balance %s %v", b, err)
	}
	c, _ = replayServer(t, exs["vlab balance"])
	if v, err := c.VirtualLabBalance(ctx, exID["vlab"]); err != nil || v.Balance.String() != "2000.00" || v.Projects != nil {
		t.Fatalf("vlab balance %+v %v", v, err)
	}
	c, _ = replayServer(t, exs["vlab balance including projects"])
	v, err := c.VirtualLabBalanceWithProjects(ctx, exID["vlab"])
	if err != nil || len(v.Projects) != 2 || v.Projects[0].Reservation.String() != "100.00" || v.Projects[1].ProjID != exID["proj2"] {
		t.Fatalf("vlab with projects %+v %v", v, err)
	}
	c, _ = replayServer(t, exs["project balance"])
	if p, err := c.ProjectBalance(ctx, exID["proj"]); err != nil || p.Balance.String() != "400.00" || p.Reservation.String() != "100.00" {
		t.Fatalf("project balance %+v %v", p, err)
	}
	c, _ = replayServer(t, exs["list vlab discounts"])
	if ds, err := c.Discounts(ctx, exID["vlab"]); err != nil || len(ds) != 1 || ds[0].Discount.String() != "0.2" || ds[0].ID != 1 {
		t.Fatalf("discounts %+v %v", ds, err)
	}
	c, _ = replayServer(t, exs["current vlab discount, none"])
	if _, ok, err := c.CurrentDiscount(ctx, exID["vlab"]); ok || err != nil {
		t.Fatalf("no current discount: %v %v", ok, err)
	}
	for _, name := range []string{"health", "version"} {
		c, _ = replayServer(t, exs[name])
		if name == "health" {
			err = c.Health(ctx)
		} else {
			var ver Version
			ver, err = c.Version(ctx)
			if ver.AppName != "accounting-service" || ver.AppVersion != "2026.06.2" {
				t.Fatalf("version %+v", ver)
			}
		}
		if err != nil {
			t.Fatal(name, err)
		}
	}
}

// TestFixtures_ReportPages decodes the three report pages exactly.
func TestFixtures_ReportPages(t *testing.T) {
	ctx := context.Background()
	exs := loadExamples(t)
	var all []Job
	for i, name := range []string{"project job report page 1", "project job report page 2", "project job report page 3 (past the end)"} {
		c, _ := replayServer(t, exs[name])
		p, err := c.ProjectReportPage(ctx, exID["proj"], i+1, 2)
		if err != nil || p.TotalItems != 3 || p.TotalPages != 2 || p.Page != i+1 {
			t.Fatalf("%s: %+v %v", name, p, err)
		}
		all = append(all, p.Jobs...)
	}
	if len(all) != 3 {
		t.Fatalf("%d jobs", len(all))
	}
	st, lr, os := all[0], all[1], all[2]
	if st.Type != TypeStorage || st.Size != 1000 || st.Duration != 120 || st.Amount.String() != "0" || st.UserID != "" {
		t.Fatalf("storage %+v", st)
	}
	if lr.Type != TypeLongrun || lr.Duration != 90 || lr.ReservedDuration != 60 || !lr.CancelledAt.IsZero() || lr.GroupID != "fa2499af-f678-429f-ab2e-6653a0fc4b2e" || lr.Name != "" {
		t.Fatalf("longrun %+v", lr)
	}
	if os.Type != TypeOneshot || os.Name != "test job 0" || os.Amount.String() != "0.01500" || os.ReservedAmount.String() != "0.01000" ||
		os.Count != 1500 || os.ReservedCount != 1000 || !os.FinishedAt.Equal(os.StartedAt) ||
		!os.StartedAt.Equal(time.Date(2026, 11, 21, 10, 0, 10, 123456000, time.UTC)) {
		t.Fatalf("oneshot %+v", os)
	}
	// The open-jobs example is page 1 of 2 (page_size=1); its decoder is
	// checked here, the walk over pages against the simulator.
	d := &decoder{where: "test"}
	jobs, pages := decodeOpenJobs(d, mustData(t, exs["open longrun jobs, paginated"].Response))
	if d.err != nil || pages != 2 || len(jobs) != 1 || jobs[0].Subtype != "notebook" || jobs[0].StartedAt.IsZero() ||
		jobs[0].ProjID != exID["proj"] || jobs[0].VlabID != exID["vlab"] {
		t.Fatalf("open jobs %+v %d %v", jobs, pages, d.err)
	}
}

func mustData(t *testing.T, body []byte) json.RawMessage {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	return env.Data
}

// TestFixtures_Errors maps every error example to the portal's codes,
// keeping the service's message and the field-by-field details.
func TestFixtures_Errors(t *testing.T) {
	exs := loadExamples(t)
	want := map[string]struct{ code, msg string }{
		"create vlab account, negative balance":   {portal.EINVALID, "OBI answered 422: Validation error: body.balance: Input should be greater than or equal to 0"},
		"oneshot reservation, insufficient funds": {portal.EINVALID, "OBI answered 402: Reservation not allowed because of insufficient funds (requested amount 400.00000)"},
		"longrun reservation, insufficient funds": {portal.EINVALID, "OBI answered 402: Reservation not allowed because of insufficient funds (requested amount 433.50)"},
		"add price, non-contiguous tiers":         {portal.EINVALID, "OBI answered 422: Validation error: body: Value error, Tiers must be contiguous: each min_quantity must equal the previous max_quantity"},
		"current vlab discount, none":             {portal.ENOTFOUND, "OBI answered 404: No current discount found for the virtual lab"},
		"estimate oneshot, missing proj_id":       {portal.EINVALID, "OBI answered 422: Validation error: body.proj_id: Field required"},
		"estimate oneshot, unknown project":       {portal.ENOTFOUND, "OBI answered 404: Project not found"},
		"report, unknown vlab":                    {portal.ENOTFOUND, "OBI answered 404: Virtual lab not found"},
		"generic error":                           {portal.EINVALID, "OBI answered 400: Generic error returned for testing purposes"},
	}
	n := 0
	for _, ex := range exs {
		if ex.Status < 400 || ex.Response == nil || string(ex.Response) == "null" {
			continue
		}
		n++
		w, ok := want[ex.Name]
		if !ok {
			t.Fatalf("error example %q not covered", ex.Name)
		}
		c, _ := replayServer(t, ex)
		var body []byte
		if len(ex.Request) > 0 {
			body = ex.Request
		}
		q, _ := url.ParseQuery(ex.Query)
		rq := request{method: ex.Method, path: ex.Path, query: q}
		if body != nil {
			rq.body = json.RawMessage(body)
		}
		_, err := c.do(context.Background(), rq)
		var pe *portal.Error
		if !errors.As(err, &pe) || pe.Code != w.code || pe.Message != w.msg || pe.Status != ex.Status {
			t.Errorf("%s: %#v, want %s %q", ex.Name, err, w.code, w.msg)
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Code == "" {
			t.Errorf("%s: no APIError cause", ex.Name)
		}
	}
	if n != len(want) {
		t.Fatalf("%d error examples, want %d", n, len(want))
	}
}

// TestErrors_NotEnvelope covers the answers that are not the envelope.
func TestErrors_NotEnvelope(t *testing.T) {
	cases := []struct {
		status int
		ctype  string
		body   string
		code   string
		msg    string
	}{
		{404, "application/json", `{"detail":"Not Found"}`, portal.ENOTFOUND, "OBI answered 404: Not Found"},
		{405, "application/json", `{"detail":"Method Not Allowed"}`, portal.EINVALID, "OBI answered 405: Method Not Allowed"},
		// A budget write answered 5xx may have been applied.
		{500, "text/plain; charset=utf-8", "Internal Server Error", portal.EUNCERTAIN, "OBI answered 500: Internal Server Error (the request may or may not have taken effect)"},
		{502, "text/html", "<html><body>Bad gateway</body></html>", portal.EUNCERTAIN, "OBI answered 502: Bad Gateway (the request may or may not have taken effect)"},
		{422, "application/json", `{"detail":[{"type":"missing","loc":["query","page"],"msg":"Field required"}]}`, portal.EINVALID, "OBI answered 422: Validation error: query.page: Field required"},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", tc.ctype)
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		}))
		c, _ := New(Config{BaseURL: srv.URL})
		err := c.TopUp(context.Background(), exID["vlab"], d("1"))
		srv.Close()
		var pe *portal.Error
		if !errors.As(err, &pe) || pe.Code != tc.code || pe.Message != tc.msg {
			t.Errorf("%d %s: %v, want %s %q", tc.status, tc.body, err, tc.code, tc.msg)
		}
	}
}
