package obi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
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
	Notes    string          `json:"notes"`
}

func loadExamples(t testing.TB) []example {
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
	return doc.Examples
}

// Setups build the state each example presupposes, through the API, as
// the service's tests do with their fixtures.

func setupSystem(f *fixture) {
	f.must(201, "POST", "/account/system", `{"id":"`+sysID+`","name":"sys"}`)
}

func setupVlab(f *fixture) {
	setupSystem(f)
	f.must(201, "POST", "/account/virtual-lab", `{"id":"`+vlabID+`","name":"vlab-01"}`)
}

func addPrice(f *fixture, typ, subtype, fixed, mult string) {
	f.must(201, "POST", "/price", fmt.Sprintf(`{"service_type":%q,"service_subtype":%q,"valid_from":"2024-01-01T00:00:00Z",`+
		`"valid_to":null,"vlab_id":null,"tiers":[{"min_quantity":0,"max_quantity":null,"fixed_cost":%q,"multiplier":%q}]}`,
		typ, subtype, fixed, mult))
}

// setupBalances is the balance tests' state: SYS -3000, the lab 2000,
// project 1 400 with 100 reserved, project 2 500.
func setupBalances(f *fixture) {
	setupVlab(f)
	f.must(201, "POST", "/account/project", `{"id":"`+projID+`","name":"vlab-01/proj-01","vlab_id":"`+vlabID+`"}`)
	f.must(201, "POST", "/account/project", `{"id":"`+proj2ID+`","name":"vlab-01/proj-02","vlab_id":"`+vlabID+`"}`)
	f.must(200, "POST", "/budget/top-up", `{"vlab_id":"`+vlabID+`","amount":"3000"}`)
	f.must(200, "POST", "/budget/assign", `{"vlab_id":"`+vlabID+`","proj_id":"`+projID+`","amount":"500"}`)
	f.must(200, "POST", "/budget/assign", `{"vlab_id":"`+vlabID+`","proj_id":"`+proj2ID+`","amount":"500"}`)
	addPrice(f, "oneshot", "ml-llm", "0", "0.00001")
	f.must(201, "POST", "/reservation/oneshot", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"oneshot","subtype":"ml-llm","count":10000000}`)
}

// setupFunded is the reservation tests' state: project 1 with 100, and
// the prices of their assertions.
func setupFunded(f *fixture) {
	setupVlab(f)
	f.must(201, "POST", "/account/project", `{"id":"`+projID+`","name":"vlab-01/proj-01","vlab_id":"`+vlabID+`"}`)
	f.must(200, "POST", "/budget/top-up", `{"vlab_id":"`+vlabID+`","amount":"1000"}`)
	f.must(200, "POST", "/budget/assign", `{"vlab_id":"`+vlabID+`","proj_id":"`+projID+`","amount":"100"}`)
	addPrice(f, "oneshot", "ml-llm", "0", "0.00001")
	addPrice(f, "longrun", "single-cell-sim", "1.5", "0.01")
}

// setupRelease leaves a job of each type with 12.34 reserved.
func setupRelease(f *fixture) {
	setupFunded(f)
	addPrice(f, "oneshot", "single-cell-build", "12.34", "0")
	addPrice(f, "longrun", "notebook", "12.34", "0")
	f.must(201, "POST", "/reservation/oneshot", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"oneshot","subtype":"single-cell-build","count":1}`)
	f.must(201, "POST", "/reservation/longrun", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"longrun","subtype":"notebook","duration":1,"instances":1}`)
}

// setupReport makes the report test's three jobs: a oneshot, a longrun
// and a storage job, all charged.
func setupReport(f *fixture) {
	setupFunded(f)
	addPrice(f, "longrun", "notebook", "0", "0")
	addPrice(f, "storage", "storage", "0", "0")
	f.must(201, "POST", "/price", `{"service_type":"longrun","service_subtype":"single-cell-sim","valid_from":"2024-06-01T00:00:00Z","valid_to":null,"vlab_id":null,"tiers":[{"min_quantity":0,"fixed_cost":"0","multiplier":"0"}]}`)
	ts := func(d time.Duration) string { return fmt.Sprint(testT0.Add(d).Unix()) }
	f.must(201, "POST", "/reservation/oneshot", `{"proj_id":"`+projID+`","user_id":"`+userID+`","group_id":"`+groupID+`","name":"test job 0","type":"oneshot","subtype":"ml-llm","count":1000}`)
	f.must(201, "POST", "/usage/oneshot", `{"type":"oneshot","subtype":"ml-llm","proj_id":"`+projID+`","job_id":"923cc386-ae77-44f1-88cd-0cc85cea60b9","count":1500,"timestamp":`+ts(10*time.Second)+`}`)
	f.must(201, "POST", "/reservation/longrun", `{"proj_id":"`+projID+`","user_id":"`+userID+`","group_id":"fa2499af-f678-429f-ab2e-6653a0fc4b2e","type":"longrun","subtype":"single-cell-sim","duration":60,"instances":1}`)
	for _, st := range []struct {
		status string
		at     time.Duration
	}{{"started", 30 * time.Second}, {"running", time.Minute}, {"finished", 2 * time.Minute}} {
		f.must(201, "POST", "/usage/longrun", `{"type":"longrun","subtype":"single-cell-sim","proj_id":"`+projID+`","job_id":"3dade995-fe19-4386-a71a-e24dacf0f0e1","status":"`+st.status+`","instances":1,"timestamp":`+ts(st.at)+`}`)
	}
	f.must(201, "POST", "/usage/storage", `{"type":"storage","proj_id":"`+projID+`","size":1000,"timestamp":`+ts(2*time.Minute)+`}`)
	f.set(4 * time.Minute)
	f.must(201, "POST", "/usage/storage", `{"type":"storage","proj_id":"`+projID+`","size":2000,"timestamp":`+ts(4*time.Minute)+`}`)
	f.set(5 * time.Minute)
	f.sim.RunChargers()
}

// setupOpen leaves two open notebook jobs, the first started.
func setupOpen(f *fixture) {
	setupFunded(f)
	addPrice(f, "longrun", "notebook", "0", "0.0001")
	f.must(201, "POST", "/reservation/longrun", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"longrun","subtype":"notebook","duration":600,"instances":1}`)
	f.set(10 * time.Second)
	f.must(201, "POST", "/usage/longrun", `{"type":"longrun","subtype":"notebook","proj_id":"`+projID+`","job_id":"923cc386-ae77-44f1-88cd-0cc85cea60b9","status":"started","timestamp":`+fmt.Sprint(testT0.Unix()+10)+`}`)
	f.must(201, "POST", "/usage/longrun", `{"type":"longrun","subtype":"notebook","proj_id":"`+projID+`","job_id":"923cc386-ae77-44f1-88cd-0cc85cea60b9","status":"running","timestamp":`+fmt.Sprint(testT0.Unix()+30)+`}`)
	f.must(201, "POST", "/reservation/longrun", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"longrun","subtype":"notebook","duration":600,"instances":2}`)
}

// exampleSetup says, per example, the job ids to mock and the state to build.
var exampleSetup = map[string]struct {
	ids   []string
	setup func(*fixture)
}{
	"create vlab account, no balance":        {nil, setupSystem},
	"create vlab account, balance as string": {nil, setupSystem},
	"create vlab account, negative balance":  {nil, setupSystem},
	"create project account":                 {nil, setupVlab},
	"system balance":                         {nil, setupBalances},
	"vlab balance":                           {nil, setupBalances},
	"vlab balance including projects":        {nil, setupBalances},
	"project balance":                        {nil, setupBalances},
	"top-up":                                 {nil, setupBalances},
	"assign":                                 {nil, setupBalances},
	"reverse":                                {nil, setupBalances},
	"move":                                   {nil, setupBalances},
	"grant":                                  {nil, setupBalances},
	"grant zero amount":                      {nil, setupBalances},
	"deplete project":                        {nil, setupBalances},
	"deplete vlab":                           {nil, setupBalances},
	"oneshot reservation":                    {[]string{sysID}, setupFunded},
	"oneshot reservation, insufficient funds": {nil, setupFunded},
	"longrun reservation":                     {[]string{sysID}, setupFunded},
	"longrun reservation, insufficient funds": {nil, setupFunded},
	"release oneshot reservation":             {[]string{"923cc386-ae77-44f1-88cd-0cc85cea60b9"}, setupRelease},
	"release longrun reservation":             {[]string{"00000000-0000-4000-8000-000000000009", "923cc386-ae77-44f1-88cd-0cc85cea60b9"}, setupRelease},
	"oneshot usage": {[]string{sysID}, func(f *fixture) {
		setupFunded(f)
		f.must(201, "POST", "/reservation/oneshot", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"oneshot","subtype":"ml-llm","count":1000000}`)
	}},
	"longrun usage, started": {[]string{sysID}, func(f *fixture) {
		setupFunded(f)
		f.must(201, "POST", "/reservation/longrun", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"longrun","subtype":"single-cell-sim","duration":3600,"instances":2}`)
	}},
	"storage usage": {nil, setupFunded},
	"add discount":  {nil, setupVlab},
	"list vlab discounts": {nil, func(f *fixture) {
		setupVlab(f)
		f.must(201, "POST", "/discount", `{"vlab_id":"`+vlabID+`","discount":"0.2","valid_from":"2024-01-01T00:00:00Z"}`)
	}},
	"current vlab discount, none":              {nil, setupVlab},
	"estimate oneshot":                         {nil, setupFunded},
	"estimate oneshot, unknown project":        {nil, setupFunded},
	"project job report page 1":                {[]string{"923cc386-ae77-44f1-88cd-0cc85cea60b9", "3dade995-fe19-4386-a71a-e24dacf0f0e1", "d2304a0d-f19e-404b-b327-211de0d515b7"}, setupReport},
	"project job report page 2":                {[]string{"923cc386-ae77-44f1-88cd-0cc85cea60b9", "3dade995-fe19-4386-a71a-e24dacf0f0e1", "d2304a0d-f19e-404b-b327-211de0d515b7"}, setupReport},
	"project job report page 3 (past the end)": {[]string{"923cc386-ae77-44f1-88cd-0cc85cea60b9", "3dade995-fe19-4386-a71a-e24dacf0f0e1", "d2304a0d-f19e-404b-b327-211de0d515b7"}, setupReport},
	"open longrun jobs, paginated":             {[]string{"923cc386-ae77-44f1-88cd-0cc85cea60b9"}, setupOpen},
	"add price, non-contiguous tiers":          {nil, nil},
	"estimate oneshot, missing proj_id":        {nil, nil},
}

var stampRe = regexp.MustCompile(`"timestamp":\s*\d+`)

// TestExamples replays every example of the service's tests and checks
// the status and the whole answer, key order included. Datetimes are
// compared by shape only where the example's were synthetic.
func TestExamples(t *testing.T) {
	examples := loadExamples(t)
	if len(examples) != 42 {
		t.Fatalf("%d examples, want 42", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex.Name, func(t *testing.T) {
			st := exampleSetup[ex.Name]
			f := newFixture(t, st.ids...)
			if st.setup != nil {
				st.setup(f)
			}
			path := ex.Path
			if ex.Query != "" {
				path += "?" + ex.Query
			}
			body := ""
			if len(ex.Request) > 0 {
				body = stampRe.ReplaceAllString(string(ex.Request), fmt.Sprintf(`"timestamp": %d`, f.clock().Unix()))
			}
			status, got := f.do(ex.Method, path, body)
			if status != ex.Status {
				t.Fatalf("status %d %s, want %d", status, got, ex.Status)
			}
			if fe := f.sim.FailedEvents(); strings.HasPrefix(ex.Path, "/usage/") && len(fe) > 0 {
				t.Fatalf("the consumer rejected the event: %+v", fe)
			}
			if string(ex.Response) == "null" || len(ex.Response) == 0 {
				return
			}
			loose := strings.Contains(ex.Notes, "synthetic")
			if d := diff("", decodeOrdered(t, ex.Response), decodeOrdered(t, got), loose); d != "" {
				t.Fatalf("%s\n got %s", d, got)
			}
		})
	}
}

// TestExamples_Effects checks what the examples' writes did.
func TestExamples_Effects(t *testing.T) {
	f := newFixture(t)
	setupBalances(f)
	f.must(200, "POST", "/budget/move", `{"vlab_id":"`+vlabID+`","debited_from":"`+projID+`","credited_to":"`+proj2ID+`","amount":"20.00"}`)
	b := f.must(200, "GET", "/balance/virtual-lab/"+vlabID+"?include_projects=1", "")
	if !strings.Contains(string(b), `"balance":"380.00","reservation":"100.00"`) || !strings.Contains(string(b), `"balance":"520.00","reservation":"0.00"`) {
		t.Fatalf("after move: %s", b)
	}
	f.must(200, "POST", "/budget/grant", `{"proj_id":"`+projID+`","amount":50.0}`)
	b = f.must(200, "GET", "/balance/virtual-lab/"+vlabID, "")
	if !strings.Contains(string(b), `"balance":"2000.00"}`) {
		t.Fatalf("grant changed the lab: %s", b)
	}
	if b = f.must(200, "GET", "/balance/system", ""); !strings.Contains(string(b), `"-3050.00"`) {
		t.Fatalf("grant: system %s", b)
	}
	f.must(200, "POST", "/budget/deplete/project", `{"proj_id":"`+projID+`"}`)
	if b = f.must(200, "POST", "/budget/deplete/project", `{"proj_id":"`+projID+`"}`); !strings.Contains(string(b), `"total_amount":"0.00"`) {
		t.Fatalf("second deplete: %s", b)
	}
	if _, res, _ := f.sim.ProjectBalance(projID); res.StringFixed(2) != "100.00" {
		t.Fatalf("deplete touched the reservation: %s", res)
	}
	if code, b := f.do("POST", "/account/system", `{"id":"`+sysID+`","name":"again"}`); code != http.StatusInternalServerError || string(b) != "Internal Server Error" {
		t.Fatalf("duplicate system account: %d %s", code, b)
	}
}
