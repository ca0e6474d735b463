package vergeos

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/world"
)

func TestAuth(t *testing.T) {
	s := newTestServer(t, Options{})
	cases := []struct {
		name   string
		set    func(*http.Request)
		status int
	}{
		{"none", func(*http.Request) {}, 401},
		{"wrong password", func(r *http.Request) { r.SetBasicAuth(DefaultUser, "nope") }, 401},
		{"wrong key", func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401},
		{"token header is not supported", func(r *http.Request) { r.Header.Set("x-yottabyte-token", DefaultAPIKey) }, 401},
		{"basic", func(r *http.Request) { r.SetBasicAuth(DefaultUser, DefaultPassword) }, 200},
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+DefaultAPIKey) }, 200},
	}
	for _, c := range cases {
		for _, path := range []string{"/api/v4/billing?limit=1", "/api/v4/billing/1", "/api/v4/system"} {
			req := httptest.NewRequest("GET", path, nil)
			c.set(req)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != c.status {
				t.Errorf("%s %s: %d, want %d", c.name, path, rec.Code, c.status)
			}
			if c.status == 401 {
				errBody(t, rec.Body.Bytes())
			}
		}
	}
	// Health and version need no credentials.
	for _, path := range []string{"/health", "/version.json"} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 {
			t.Errorf("%s: %d", path, rec.Code)
		}
	}
}

func TestCustomCredentials(t *testing.T) {
	s := newTestServer(t, Options{User: "u", Password: "p", APIKey: "k"})
	if s.User() != "u" || s.Password() != "p" || s.APIKey() != "k" {
		t.Fatal("accessors do not return the options")
	}
	req := httptest.NewRequest("GET", "/api/v4/system", nil)
	req.SetBasicAuth("u", "p")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("custom credentials refused: %d", rec.Code)
	}
}

func TestList_DefaultsAndShape(t *testing.T) {
	s := newTestServer(t, Options{})
	status, h, b := call(t, s, "GET", "/api/v4/billing", "")
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", status, h.Get("Content-Type"))
	}
	all := rows(t, b)
	if int64(len(all)) != s.RecordCount() || len(all) != 90*24 {
		t.Fatalf("got %d rows, RecordCount %d, want 90 days of hours", len(all), s.RecordCount())
	}
	var absent, zero int
	for i, r := range all {
		if num(t, r, "$key") != int64(i+1) {
			t.Fatalf("row %d has key %d: without sort rows come by $key", i, num(t, r, "$key"))
		}
		want := len(fieldNames)
		switch num(t, r, "sent") {
		case -1:
			absent++
			want--
		case 0:
			zero++
		default:
			if num(t, r, "sent") != num(t, r, "created")+1 {
				t.Fatalf("row %d: sent %d is not a second after created %d", i, num(t, r, "sent"), num(t, r, "created"))
			}
		}
		if len(r) != want {
			t.Fatalf("row %d has %d fields, want %d: %v", i, len(r), want, r)
		}
		from, to, created := num(t, r, "from"), num(t, r, "to"), num(t, r, "created")
		if to-from != 3600 || created <= to || created > to+60 {
			t.Fatalf("row %d: from %d to %d created %d", i, from, to, created)
		}
	}
	if absent == 0 || zero == 0 || absent+zero > len(all)/10 {
		t.Fatalf("sent absent %d, zero %d of %d: want a few of each", absent, zero, len(all))
	}
	last := all[len(all)-1]
	if end := testNow.Truncate(time.Hour).Unix(); num(t, last, "to") != end {
		t.Fatalf("history ends at %d, want the last full hour %d", num(t, last, "to"), end)
	}
}

func TestList_SortLimitOffset(t *testing.T) {
	s := newTestServer(t, Options{})
	_, _, b := call(t, s, "GET", "/api/v4/billing?fields=$key,created,used_cores", "")
	all := rows(t, b)
	n := len(all)
	for _, sortParam := range []string{"-created", "%2Bcreated", "+created", "created", "-$key", "-used_cores,-created", "used_cores"} {
		_, _, b := call(t, s, "GET", "/api/v4/billing?fields=$key,created,used_cores&sort="+sortParam, "")
		got := rows(t, b)
		if len(got) != n {
			t.Fatalf("sort %s: %d rows", sortParam, len(got))
		}
		field, desc := "created", false
		switch sortParam {
		case "-created", "-$key":
			desc = true
		case "-used_cores,-created":
			field, desc = "used_cores", true
		case "used_cores":
			field = "used_cores"
		}
		ok := sort.SliceIsSorted(got, func(i, j int) bool {
			a, b := num(t, got[i], field), num(t, got[j], field)
			if desc {
				return a > b
			}
			return a < b
		})
		if !ok {
			t.Fatalf("sort %s: rows are not ordered by %s (desc %v)", sortParam, field, desc)
		}
	}
	// Paging through -created in pages of 500 gives the unlimited listing.
	_, _, b = call(t, s, "GET", "/api/v4/billing?fields=$key&sort=-created&limit=0", "")
	whole := rows(t, b)
	var paged []map[string]any
	for off := 0; ; off += 500 {
		_, _, b := call(t, s, "GET", fmt.Sprintf("/api/v4/billing?fields=$key&sort=-created&limit=500&offset=%d", off), "")
		page := rows(t, b)
		paged = append(paged, page...)
		if len(page) < 500 {
			break
		}
	}
	if len(paged) != len(whole) || num(t, paged[0], "$key") != int64(n) || num(t, paged[n-1], "$key") != 1 {
		t.Fatalf("paged %d rows, whole %d", len(paged), len(whole))
	}
	for i := range whole {
		if num(t, whole[i], "$key") != num(t, paged[i], "$key") {
			t.Fatalf("row %d differs between paged and whole listing", i)
		}
	}
	// Offset past the end is an empty list, not an error.
	if _, _, b := call(t, s, "GET", "/api/v4/billing?offset=99999", ""); string(b) != "[]" {
		t.Fatalf("offset past the end: %s", b)
	}
}

func TestList_BadParameters(t *testing.T) {
	s := newTestServer(t, Options{})
	for _, q := range []string{"limit=-1", "limit=abc", "offset=-5", "offset=1.5", "sort=-nosuch",
		"filter=" + url.QueryEscape("created ge"), "filter=" + url.QueryEscape("created ge 1 and (gpus eq 1")} {
		status, _, b := call(t, s, "GET", "/api/v4/billing?"+q, "")
		if status != 400 {
			t.Errorf("%s: %d", q, status)
			continue
		}
		errBody(t, b)
	}
}

func TestList_Fields(t *testing.T) {
	s := newTestServer(t, Options{})
	_, _, b := call(t, s, "GET", "/api/v4/billing?limit=1&fields="+url.QueryEscape("$key, created,nosuch,count(x),gpus as gpus_used,created"), "")
	r := rows(t, b)[0]
	if len(r) != 3 || num(t, r, "$key") != 1 || num(t, r, "created") <= 0 || num(t, r, "gpus_used") < 0 {
		t.Fatalf("fields: %v", r)
	}
	// The JSON keys come in the requested order.
	if !bytes.HasPrefix(b, []byte(`[{"$key":1,"created":`)) {
		t.Fatalf("key order: %s", b)
	}
	for _, f := range []string{"all", "most", "summary"} {
		_, _, b := call(t, s, "GET", "/api/v4/billing?limit=1&offset=1&fields="+f, "")
		if r := rows(t, b)[0]; len(r) < len(fieldNames)-1 {
			t.Fatalf("fields=%s gives %d fields", f, len(r))
		}
	}
}

func TestList_FilterAgreesWithBruteForce(t *testing.T) {
	s := newTestServer(t, Options{})
	s.Generate()
	_, _, b := call(t, s, "GET", "/api/v4/billing", "")
	all := rows(t, b)
	mid := num(t, all[len(all)/2], "created")
	filters := []struct {
		f    string
		keep func(r map[string]any) bool
	}{
		{fmt.Sprintf("created ge %d and created le %d", mid-7200, mid+7200), func(r map[string]any) bool {
			return num(t, r, "created") >= mid-7200 && num(t, r, "created") <= mid+7200
		}},
		{fmt.Sprintf("created gt %d", mid), func(r map[string]any) bool { return num(t, r, "created") > mid }},
		{fmt.Sprintf("created lt %d and gpus ge 3", mid), func(r map[string]any) bool {
			return num(t, r, "created") < mid && num(t, r, "gpus") >= 3
		}},
		{"used_cores gt 150 or (vgpus le 4 and $key le 100)", func(r map[string]any) bool {
			return num(t, r, "used_cores") > 150 || (num(t, r, "vgpus") <= 4 && num(t, r, "$key") <= 100)
		}},
		{"sent eq 0", func(r map[string]any) bool { return num(t, r, "sent") <= 0 }},
		{"online_nodes ne 4", func(r map[string]any) bool { return num(t, r, "online_nodes") != 4 }},
		{"$key gt 2100 and $key lt 2150", func(r map[string]any) bool { return num(t, r, "$key") > 2100 && num(t, r, "$key") < 2150 }},
		{"description ct 'GENERATED'", func(r map[string]any) bool { return strings.Contains(r["description"].(string), "generated") }},
	}
	for _, c := range filters {
		var want []int64
		for _, r := range all {
			if c.keep(r) {
				want = append(want, num(t, r, "$key"))
			}
		}
		for _, order := range []string{"+created", "-created", "-phys_total_cpu"} {
			_, _, b := call(t, s, "GET", "/api/v4/billing?fields=$key&sort="+url.QueryEscape(order)+"&filter="+url.QueryEscape(c.f), "")
			var got []int64
			for _, r := range rows(t, b) {
				got = append(got, num(t, r, "$key"))
			}
			sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%q sort %s: %d keys, want %d", c.f, order, len(got), len(want))
			}
		}
		if len(want) == 0 {
			t.Errorf("%q matches nothing: a weak case", c.f)
		}
	}
}

func TestGetOne(t *testing.T) {
	s := newTestServer(t, Options{})
	status, _, b := call(t, s, "GET", "/api/v4/billing/42?fields=$key,created,sent", "")
	if status != 200 || !bytes.HasPrefix(b, []byte(`{"$key":42,"created":`)) {
		t.Fatalf("%d %s", status, b)
	}
	_, _, list := call(t, s, "GET", "/api/v4/billing?limit=1&offset=41", "")
	_, _, one := call(t, s, "GET", "/api/v4/billing/42", "")
	if !bytes.Equal(list, append(append([]byte("["), one...), ']')) {
		t.Fatalf("row 42 differs between list and get:\n%s\n%s", list, one)
	}
	for _, k := range []string{"0", "99999", "abc", "-1"} {
		status, _, b := call(t, s, "GET", "/api/v4/billing/"+k, "")
		if status != 404 || errBody(t, b) != "not found" {
			t.Errorf("key %s: %d %s", k, status, b)
		}
	}
	if status, _, b := call(t, s, "GET", "/api/v4/nosuchtable", ""); status != 404 {
		t.Errorf("unknown table: %d %s", status, b)
	}
	if status, _, _ := call(t, s, "DELETE", "/api/v4/billing/1", ""); status != 405 {
		t.Errorf("DELETE: %d", status)
	}
}

func TestGenerate(t *testing.T) {
	clk := &clock{t: testNow}
	s := newTestServer(t, Options{Now: clk.Now})
	before := s.RecordCount()
	// The body exactly as pyvergeos (requests' json=) sends it.
	status, h, b := call(t, s, "POST", "/api/v4/billing_actions", `{"action": "generate"}`)
	if status != 201 {
		t.Fatalf("%d %s", status, b)
	}
	// The create reply shape of post-create-response.pyvergeos-test.json.
	if string(b) != `{"$key":"1","$row":1,"dbpath":"billing_actions/1","location":"/v4/billing_actions/1"}`+"\n" || h.Get("Location") == "" {
		t.Fatalf("create reply: %s", b)
	}
	if s.RecordCount() != before+1 || s.GeneratedCount() != 1 {
		t.Fatalf("records %d -> %d", before, s.RecordCount())
	}
	_, _, b = call(t, s, "GET", "/api/v4/billing?sort=-created&limit=1", "")
	latest := rows(t, b)[0]
	if num(t, latest, "$key") != before+1 || num(t, latest, "created") != testNow.Unix() || num(t, latest, "to") != testNow.Unix() ||
		num(t, latest, "from") != testNow.Truncate(time.Hour).Unix() || latest["description"] != generatedDescription ||
		num(t, latest, "total_cores") <= 0 || num(t, latest, "tier_0_total") <= 0 {
		t.Fatalf("generated record: %v", latest)
	}
	// An hour later the next hourly record comes after it, with the next key.
	clk.Add(time.Hour)
	_, _, b = call(t, s, "GET", "/api/v4/billing?sort=-created&limit=2&fields=$key,description", "")
	two := rows(t, b)
	if num(t, two[0], "$key") != before+2 || two[0]["description"] != hourlyDescription || num(t, two[1], "$key") != before+1 {
		t.Fatalf("after an hour: %v", two)
	}
	if _, _, b := call(t, s, "GET", fmt.Sprintf("/api/v4/billing/%d?fields=description", before+1), ""); !strings.Contains(string(b), "generated") {
		t.Fatalf("get generated: %s", b)
	}
	for body, want := range map[string]int{`{"action":"delete"}`: 422, `{}`: 422, `{"action":5}`: 422, `not json`: 400, ``: 400} {
		status, _, b := call(t, s, "POST", "/api/v4/billing_actions", body)
		if status != want {
			t.Errorf("body %q: %d, want %d", body, status, want)
			continue
		}
		errBody(t, b)
	}
	if s.GeneratedCount() != 1 {
		t.Fatalf("bad actions generated records: %d", s.GeneratedCount())
	}
}

func TestSystemAndVersion(t *testing.T) {
	s := newTestServer(t, Options{})
	_, _, b := call(t, s, "GET", "/api/v4/system?fields=%24key%2Cyb_version%2Cos_version%2Ccloud_name", "")
	want := `{"$key":1,"yb_version":"` + simYBVersion + `","os_version":"` + simOSVersion + `","cloud_name":"north-dc-vergeos"}`
	if string(b) != want {
		t.Fatalf("system: %s\nwant %s", b, want)
	}
	_, _, b = call(t, s, "GET", "/version.json", "")
	if !strings.Contains(string(b), `"version":"26.`) {
		t.Fatalf("version.json: %s", b)
	}
}

func TestFaultsStillApply(t *testing.T) {
	s := newTestServer(t, Options{})
	s.Faults().Set(fault.Fault{Mode: fault.Outage, Count: 1})
	if status, _, _ := call(t, s, "GET", "/api/v4/billing?limit=1", ""); status != 503 {
		t.Fatalf("outage: %d", status)
	}
	if status, _, _ := call(t, s, "GET", "/api/v4/billing?limit=1", ""); status != 200 {
		t.Fatalf("after the outage: %d", status)
	}
}

func TestDeterministic(t *testing.T) {
	a := newTestServer(t, Options{World: world.New(3, 1)})
	b := newTestServer(t, Options{World: world.New(3, 1)})
	c := newTestServer(t, Options{World: world.New(4, 1)})
	_, _, ba := call(t, a, "GET", "/api/v4/billing", "")
	_, _, bb := call(t, b, "GET", "/api/v4/billing", "")
	_, _, bc := call(t, c, "GET", "/api/v4/billing", "")
	if !bytes.Equal(ba, bb) {
		t.Fatal("same seed, scale and clock gave different data")
	}
	if bytes.Equal(ba, bc) {
		t.Fatal("different seeds gave the same data")
	}
}
