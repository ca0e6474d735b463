package obi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// detailsOf returns the 422 details of an answer.
func detailsOf(t *testing.T, b []byte) []detail {
	t.Helper()
	var env struct {
		ErrorCode string   `json:"error_code"`
		Message   string   `json:"message"`
		Details   []detail `json:"details"`
	}
	if err := json.Unmarshal(b, &env); err != nil || env.ErrorCode != "INVALID_REQUEST" || env.Message != "Validation error" {
		t.Fatalf("not a validation error: %s", b)
	}
	return env.Details
}

func locString(loc []any) string {
	parts := make([]string, len(loc))
	for i, l := range loc {
		parts[i] = fmt.Sprint(l)
	}
	return strings.Join(parts, ".")
}

func TestValidation_LikePydantic(t *testing.T) {
	f := newFixture(t)
	setupFunded(f)
	now := f.clock().Unix()
	cases := []struct {
		name, path, body string
		want             []string // "type loc msg"
	}{
		{"extra field", "/budget/top-up", `{"vlab_id":"` + vlabID + `","amount":"1","note":"x"}`,
			[]string{"extra_forbidden body.note Extra inputs are not permitted"}},
		{"missing fields in order", "/budget/move", `{"amount":"1"}`,
			[]string{"missing body.vlab_id Field required", "missing body.debited_from Field required", "missing body.credited_to Field required"}},
		{"zero amount", "/budget/assign", `{"vlab_id":"` + vlabID + `","proj_id":"` + projID + `","amount":0}`,
			[]string{"greater_than body.amount Input should be greater than 0"}},
		{"not a decimal", "/budget/top-up", `{"vlab_id":"` + vlabID + `","amount":"ten"}`,
			[]string{"decimal_parsing body.amount Input should be a valid decimal"}},
		{"bad uuid", "/budget/grant", `{"proj_id":"nope","amount":"1"}`,
			[]string{"uuid_parsing body.proj_id Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1"}},
		{"int from a non-numeric string", "/reservation/oneshot", `{"proj_id":"` + projID + `","user_id":"` + userID + `","type":"oneshot","subtype":"ml-llm","count":"ten"}`,
			[]string{"int_parsing body.count Input should be a valid integer, unable to parse string as an integer"}},
		{"int from a fraction", "/reservation/oneshot", `{"proj_id":"` + projID + `","user_id":"` + userID + `","type":"oneshot","subtype":"ml-llm","count":1.5}`,
			[]string{"int_from_float body.count Input should be a valid integer, got a number with a fractional part"}},
		{"wrong type literal", "/reservation/oneshot", `{"proj_id":"` + projID + `","user_id":"` + userID + `","type":"longrun","subtype":"ml-llm","count":1}`,
			[]string{"literal_error body.type Input should be 'oneshot'"}},
		{"legacy subtype", "/reservation/oneshot", `{"proj_id":"` + projID + `","user_id":"` + userID + `","type":"oneshot","subtype":"ml-rag","count":1}`,
			[]string{"value_error body.subtype Value error, subtype `ml-rag` is legacy"}},
		{"upper-case status", "/usage/longrun", fmt.Sprintf(`{"type":"longrun","subtype":"notebook","proj_id":%q,"job_id":%q,"status":"STARTED","timestamp":%d}`, projID, projID, now),
			[]string{"enum body.status Input should be 'started', 'running' or 'finished'"}},
		{"old timestamp", "/usage/storage", fmt.Sprintf(`{"type":"storage","proj_id":%q,"size":1,"timestamp":%d}`, projID, now-35*86400),
			[]string{fmt.Sprintf("value_error body.timestamp Value error, Invalid timestamp %d: it must be expressed in seconds since the Unix epoch, and fall in the configured expected interval [detected delta=-3024000]", now-35*86400)}},
		// The clock is at .123456 s: now+300 is 299.88 s ahead, truncated
		// to 299 and accepted, as the service does; now+301 is not.
		{"future timestamp", "/usage/storage", fmt.Sprintf(`{"type":"storage","proj_id":%q,"size":1,"timestamp":"%d"}`, projID, now+301),
			[]string{fmt.Sprintf("value_error body.timestamp Value error, Invalid timestamp %d: it must be expressed in seconds since the Unix epoch, and fall in the configured expected interval [detected delta=300]", now+301)}},
		{"naive datetime", "/discount", `{"vlab_id":"` + vlabID + `","discount":"0.1","valid_from":"2024-01-01T00:00:00"}`,
			[]string{"timezone_aware body.valid_from Input should have timezone info"}},
		{"discount over 1", "/discount", `{"vlab_id":"` + vlabID + `","discount":"1.5","valid_from":"2024-01-01T00:00:00Z"}`,
			[]string{"less_than_equal body.discount Input should be less than or equal to 1"}},
		{"valid_to before valid_from", "/discount", `{"vlab_id":"` + vlabID + `","discount":"0.1","valid_from":"2024-01-02T00:00:00Z","valid_to":"2024-01-01T00:00:00Z"}`,
			[]string{"value_error body Value error, valid_to must be greater than valid_from"}},
		{"price keys required", "/price", `{"service_type":"oneshot","service_subtype":"ml-llm","valid_from":"2024-01-01T00:00:00Z","tiers":[]}`,
			[]string{"missing body.valid_to Field required", "too_short body.tiers List should have at least 1 item after validation, not 0", "missing body.vlab_id Field required"}},
		{"tier starts above 0", "/price", `{"service_type":"oneshot","service_subtype":"ml-llm","valid_from":"2024-01-01T00:00:00Z","valid_to":null,"vlab_id":null,"tiers":[{"min_quantity":5,"fixed_cost":"0","multiplier":"1"}]}`,
			[]string{"value_error body Value error, First tier must start at min_quantity=0"}},
		{"open tier not last", "/price", `{"service_type":"oneshot","service_subtype":"ml-llm","valid_from":"2024-01-01T00:00:00Z","valid_to":null,"vlab_id":null,"tiers":[{"min_quantity":0,"fixed_cost":"0","multiplier":"1"},{"min_quantity":10,"fixed_cost":"0","multiplier":"1"}]}`,
			[]string{"value_error body Value error, Only the last tier can have max_quantity=None"}},
		{"nested tier error", "/price", `{"service_type":"oneshot","service_subtype":"ml-llm","valid_from":"2024-01-01T00:00:00Z","valid_to":null,"vlab_id":null,"tiers":[{"min_quantity":-1,"fixed_cost":"0","multiplier":"1","x":1}]}`,
			[]string{"greater_than_equal body.tiers.0.min_quantity Input should be greater than or equal to 0", "extra_forbidden body.tiers.0.x Extra inputs are not permitted"}},
		{"no body", "/budget/top-up", ``, []string{"missing body Field required"}},
		{"not an object", "/budget/top-up", `[1]`, []string{"model_attributes_type body Input should be a valid dictionary or object to extract fields from"}},
		{"broken JSON", "/budget/top-up", `{"vlab_id": }`, []string{"json_invalid body.13 JSON decode error"}},
	}
	for _, tc := range cases {
		code, b := f.do("POST", tc.path, tc.body)
		if code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", tc.name, code, b)
			continue
		}
		var got []string
		for _, d := range detailsOf(t, b) {
			got = append(got, d.Type+" "+locString(d.Loc)+" "+d.Msg)
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestValidation_LaxCoercion: what pydantic's lax mode accepts.
func TestValidation_LaxCoercion(t *testing.T) {
	f := newFixture(t)
	setupSystem(f)
	b := f.must(201, "POST", "/account/virtual-lab", `{"id":"`+strings.ToUpper(vlabID)+`","name":"v","balance":2000.0}`)
	if !strings.Contains(string(b), `"id":"`+vlabID+`","name":"v","balance":"2000.0"`) {
		t.Fatalf("float balance, upper-case id: %s", b)
	}
	f.must(201, "POST", "/account/project", `{"id":"`+strings.ReplaceAll(projID, "-", "")+`","name":"p","vlab_id":"urn:uuid:`+vlabID+`"}`)
	f.must(200, "POST", "/budget/assign", `{"vlab_id":"`+vlabID+`","proj_id":"`+projID+`","amount":1e2}`)
	addPrice(f, "longrun", "notebook", "0", "0.001")
	// Strings for ints (the SDK's form), a body without Content-Type.
	req := `{"proj_id":"` + projID + `","user_id":"` + userID + `","type":"longrun","subtype":"notebook","duration":"60","instances":"2.0","instance_type":null}`
	f.must(201, "POST", "/reservation/longrun", req)
	if bal, _, _ := f.sim.ProjectBalance(projID); bal.String() != "99.880" {
		t.Fatalf("balance after reserving 0.120: %s", bal)
	}
	f.must(201, "POST", "/discount", `{"vlab_id":"`+vlabID+`","discount":0,"valid_from":1700000000}`)
}

func TestRouting(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		method, path string
		status       int
		body, header string
	}{
		{"GET", "/", 302, "", "Location: /docs"},
		{"GET", "/nowhere", 404, `{"detail":"Not Found"}`, ""},
		{"GET", "/budget/top-up", 405, `{"detail":"Method Not Allowed"}`, "Allow: POST"},
		{"POST", "/price/", 307, "", "Location: http://test/price"},
		{"GET", "/report/system/?page=2", 307, "", "Location: http://test/report/system?page=2"},
		{"GET", "/balance/project/xyz", 422, `"loc":["path","proj_id"]`, ""},
		{"GET", "/report/system?page=0", 422, `{"type":"greater_than_equal","loc":["query","page"],"msg":"Input should be greater than or equal to 1"}`, ""},
		{"GET", "/report/system?page_size=x", 422, `"loc":["query","page_size"]`, ""},
		{"GET", "/balance/virtual-lab/" + vlabID + "?include_projects=maybe", 422, `"type":"bool_parsing"`, ""},
		{"GET", "/job/longrun/open?subtype=nope", 422, `"loc":["query","subtype"]`, ""},
		{"GET", "/health", 200, `{"status":"OK"}`, ""},
		{"GET", "/docs", 200, "Swagger", ""},
		{"GET", "/openapi.json", 200, `"/budget/top-up"`, ""},
		{"GET", "/balance/system", 404, `{"error_code":"ENTITY_NOT_FOUND","message":"System account not found","details":null}`, ""},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, f.srv.URL+tc.path, nil)
		req.Host = "test"
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		sb.Write(buf[:n])
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(sb.String(), tc.body) {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, resp.StatusCode, sb.String())
		}
		if k, v, ok := strings.Cut(tc.header, ": "); ok && resp.Header.Get(k) != v {
			t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, k, resp.Header.Get(k), v)
		}
	}
}

// FuzzBody checks the validator never panics and always answers 201/200,
// 4xx or the documented 500, whatever a client sends.
func FuzzBody(f *testing.F) {
	for _, ex := range loadExamples(f) {
		if len(ex.Request) > 0 {
			f.Add(ex.Method+" "+ex.Path, string(ex.Request))
		}
	}
	f.Add("POST /usage/longrun", `{"type":"longrun","timestamp":"1e400"}`)
	f.Add("POST /price", `{"tiers":[{"min_quantity":0},[],null]}`)
	fx := newFixture(f)
	setupFunded(fx)
	f.Fuzz(func(t *testing.T, route, body string) {
		method, path, _ := strings.Cut(route, " ")
		if method != "POST" || !strings.HasPrefix(path, "/") || strings.ContainsFunc(path, func(r rune) bool {
			return r <= ' ' || r > '~' || strings.ContainsRune("?#%", r)
		}) {
			return
		}
		fx.set(time.Duration(len(body)) * time.Second)
		code, b, err := fx.send(method, path, body)
		if err != nil {
			t.Fatal(err)
		}
		if code >= 500 && string(b) != "Internal Server Error" {
			t.Fatalf("%s %q: %d %s", path, body, code, b)
		}
	})
}

// TestCORS: the service allows every origin, with credentials.
func TestCORS(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest("OPTIONS", f.srv.URL+"/budget/top-up", nil)
	req.Header.Set("Origin", "https://portal.example.org")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://portal.example.org" {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}
