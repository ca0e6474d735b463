package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/handlers"
	"github.com/accounting-portal/portal/internal/portal"
)

// Every answer of the JSON API that a test of this package provokes goes
// through apiClient, which checks it against the OpenAPI document the
// portal serves: a field, status or error the document does not describe
// fails the test that provoked it, so the document cannot drift from
// the API.
//
// The check uses pb33f/libopenapi-validator, which validates OpenAPI 3.1
// schemas as JSON Schema 2020-12 throughout (its own fork of
// santhosh-tekuri/jsonschema). kin-openapi v0.153.0 parses 3.1 too, but
// falls back to its OpenAPI 3.0 validator for any schema that holds a
// $ref and no 2020-12-only keyword (schema_jsonschema_validator.go,
// useJSONSchema2020) — which is every page schema here — so 3.1
// semantics such as "type": ["string", "null"] would be checked by 3.0
// rules.

var (
	apiValidatorOnce sync.Once
	apiValidator     validator.Validator
	apiValidatorErr  error
	// apiValidatorMu serialises validations: the validator's caches are
	// not documented as safe for concurrent use.
	apiValidatorMu sync.Mutex
	// validatedAPIAnswers counts the answers checked.
	validatedAPIAnswers atomic.Int64
)

// openAPIValidator is the validator of the document as the portal
// serves it with the demo's base currency.
func openAPIValidator(t testing.TB) validator.Validator {
	t.Helper()
	apiValidatorOnce.Do(func() {
		b, err := json.Marshal(handlers.OpenAPI("EUR"))
		if err != nil {
			apiValidatorErr = err
			return
		}
		doc, err := libopenapi.NewDocument(b)
		if err != nil {
			apiValidatorErr = err
			return
		}
		v, errs := validator.NewValidator(doc)
		if len(errs) > 0 {
			apiValidatorErr = errs[0]
			return
		}
		apiValidator = v
	})
	if apiValidatorErr != nil {
		t.Fatalf("the OpenAPI document does not load: %v", apiValidatorErr)
	}
	return apiValidator
}

// checkAnswer fails t when an API answer does not match the document.
func checkAnswer(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	v := openAPIValidator(t)
	resp := &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)), Request: req}
	apiValidatorMu.Lock()
	ok, errs := v.ValidateHttpResponse(req, resp)
	apiValidatorMu.Unlock()
	validatedAPIAnswers.Add(1)
	if ok {
		return
	}
	var msgs []string
	for _, e := range errs {
		m := e.Message + ": " + e.Reason
		for _, se := range e.SchemaValidationErrors {
			m += " [" + se.FieldPath + " " + se.KeywordLocation + ": " + se.Reason + "]"
		}
		msgs = append(msgs, m)
	}
	t.Errorf("%s %s answered %d, which the OpenAPI document does not describe: %s\nbody: %.400s", req.Method, req.URL.RequestURI(), status,
		strings.Join(msgs, "; "), body)
}

// apiClient calls the API with a token ("" for none) and checks every
// answer against the document.
type apiClient struct {
	t     testing.TB
	base  string
	token string
	// cookies, when set, is a signed-in browser whose cookies go along.
	cookies *apptest.Browser
}

func apiAs(t testing.TB, p *apptest.Portal, token string) *apiClient {
	return &apiClient{t: t, base: p.URL, token: token}
}

func (c *apiClient) do(method, path string, body io.Reader, contentType string, header http.Header) *apptest.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if c.cookies != nil {
		client = c.cookies.Client
	}
	resp, err := client.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if method != http.MethodHead {
		checkAnswer(c.t, req, resp.StatusCode, resp.Header, data)
	}
	return &apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: string(data)}
}

func (c *apiClient) get(path string) *apptest.Response {
	c.t.Helper()
	return c.do("GET", path, nil, "", nil)
}

func (c *apiClient) post(path string, body any) *apptest.Response {
	c.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do("POST", path, bytes.NewReader(b), "application/json", nil)
}

// apiPage is a table's JSON: its rows, with null as nil.
type apiPage struct {
	Data []map[string]*string `json:"data"`
	Next *string              `json:"next"`
}

// rows reads a table's JSON answer, failing unless it is one.
func (c *apiClient) rows(path string) apiPage {
	c.t.Helper()
	r := c.get(path)
	var p apiPage
	if r.Status != 200 || json.Unmarshal([]byte(r.Body), &p) != nil {
		c.t.Fatalf("GET %s: %d %.300s", path, r.Status, r.Body)
	}
	return p
}

// apiError reads an error answer's code and message.
func apiError(t testing.TB, r *apptest.Response) handlers.APIErrorBody {
	t.Helper()
	var e handlers.APIError
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil {
		t.Fatalf("not an API error: %d %.300s", r.Status, r.Body)
	}
	return e.Error
}

// demoSubjects are the demo people's subjects, by their sign-in name.
var demoSubjects = map[string]string{"admin": "demo-admin", "manager": "demo-manager", "manager-b": "demo-manager-b", "viewer": "demo-viewer"}

// newToken makes a token for a demo person who has signed in (or whose
// roles the demo recorded), straight in the database.
func newToken(t testing.TB, p *apptest.Portal, who, scope string) (string, int64) {
	t.Helper()
	secret, id, err := p.App.DB.CreateAPIToken(context.Background(), portal.NewAPIToken{Subject: demoSubjects[who], Name: "test " + who,
		Scope: scope, CreatedBy: "test", Expires: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return secret, id
}

// securityAPIRequest is how the security table requests an API row: with
// a read-write token of the role made for this one request (anonymous:
// none), so the table's burst of requests stays within each token's rate
// limit, and never with cookies.
func securityAPIRequest(t *testing.T, p *apptest.Portal, role, method, u string) *apptest.Response {
	t.Helper()
	token := ""
	if role != "anonymous" {
		token, _ = newToken(t, p, role, portal.ScopeReadWrite)
	}
	c := apiAs(t, p, token)
	if method == "POST" {
		return c.do("POST", u, strings.NewReader("{}"), "application/json", nil)
	}
	return c.do(method, u, nil, "", nil)
}

// TestOpenAPI_ValidatorCatchesDrift shows the check has teeth: an answer
// with a field the document does not name, a number where it says string
// or null, or an error without its code fails; the right shape passes.
func TestOpenAPI_ValidatorCatchesDrift(t *testing.T) {
	t.Parallel()
	if ok, errs := openAPIValidator(t).ValidateDocument(); !ok {
		t.Fatalf("the document is not valid OpenAPI 3.1: %v", errs[0].Message+": "+errs[0].Reason)
	}
	req, _ := http.NewRequest("GET", "http://portal.test/api/v1/budgets/labs", nil)
	h := http.Header{"Content-Type": {"application/json"}}
	good := `{"data":[{"virtual_lab":"L","obi_vlab_id":"x","balance_unassigned_credits":null,"projects":"2","projects_balance_credits":"1.00",
		"projects_reserved_credits":"0.00","discount_in_force":"none","projects_with_warnings":"0"}],"next":null}`
	for name, body := range map[string]string{
		"an extra field":        strings.Replace(good, `"projects":"2"`, `"projects":"2","colour":"red"`, 1),
		"a number":              strings.Replace(good, `"projects":"2"`, `"projects":2`, 1),
		"a missing column":      strings.Replace(good, `"projects":"2",`, ``, 1),
		"no next":               strings.Replace(good, `,"next":null`, ``, 1),
		"an error without code": `{"error":{"message":"x"}}`,
		"an error of no kind":   `{"error":{"code":"oops","message":"x"}}`,
	} {
		status := 200
		if strings.HasPrefix(body, `{"error"`) {
			status = 404
		}
		ok, _ := openAPIValidator(t).ValidateHttpResponse(req, &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req})
		if ok {
			t.Errorf("%s passed the document", name)
		}
	}
	ok, errs := openAPIValidator(t).ValidateHttpResponse(req, &http.Response{StatusCode: 200, Header: h, Body: io.NopCloser(strings.NewReader(good)), Request: req})
	if !ok {
		t.Fatalf("a right answer failed: %v", errs[0].Message)
	}
}

// TestREADME_PythonExampleIsTheOneCIRuns keeps the README's Python example
// the file .ci/run runs against the demo.
func TestREADME_PythonExampleIsTheOneCIRuns(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../examples/budgets.py")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte("```python\n"+string(example)+"```")) {
		t.Fatal("README.md's Python example is not examples/budgets.py: copy the file into its python block")
	}
}
