package obi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// captured is one line of the SDK wire capture.
type captured struct {
	Seq     int               `json:"seq"`
	Call    string            `json:"call"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   string            `json:"query"`
	Headers map[string]string `json:"headers"`
	BodyRaw string            `json:"body_raw"`
}

func loadCapture(t testing.TB) []captured {
	fh, err := os.Open(sharedDir + "sdk-v0.6.2-wire-capture.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var out []captured
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		var c captured
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

const (
	captureProj = "8eb248a8-672c-4158-9365-b95286cba796"
	// captureJob is the job id the recorder answered every reservation with.
	captureJob   = "00000000-0000-0000-0000-000000000002"
	captureStamp = 1795300345
)

// setupCapture registers the SDK capture's project with budget and the
// prices its calls need.
func setupCapture(f *fixture, budget string) {
	setupVlab(f)
	f.must(201, "POST", "/account/project", `{"id":"`+captureProj+`","name":"vlab-01/sdk","vlab_id":"`+vlabID+`"}`)
	f.must(200, "POST", "/budget/top-up", `{"vlab_id":"`+vlabID+`","amount":"1000"}`)
	f.must(200, "POST", "/budget/assign", `{"vlab_id":"`+vlabID+`","proj_id":"`+captureProj+`","amount":"`+budget+`"}`)
	addPrice(f, "oneshot", "ml-llm", "0", "0.00001")
	addPrice(f, "longrun", "single-cell-sim", "0.5", "0.001")
	addPrice(f, "longrun", "notebook", "0", "0.0005")
}

// replay sends one captured request byte for byte: the same method, path,
// query, headers and body, except for the two values the replay must
// substitute (a fresh timestamp for the 35-day window, and the job id
// the simulator gave the preceding reservation).
func replay(t *testing.T, f *fixture, c captured, job string) (int, []byte) {
	t.Helper()
	body := c.BodyRaw
	stamp := f.clock().Unix() - 60
	for d := 0; d < 10; d++ {
		body = strings.ReplaceAll(body, fmt.Sprintf(`"%d"`, captureStamp+d), fmt.Sprintf(`"%d"`, stamp+int64(d)))
	}
	path := c.Path
	if job != "" {
		body = strings.ReplaceAll(body, captureJob, job)
		path = strings.ReplaceAll(path, captureJob, job)
	}
	if len(body) != len(c.BodyRaw) {
		t.Fatalf("seq %d: substitution changed the body length", c.Seq)
	}
	url := f.srv.URL + path
	if c.Query != "" {
		url += "?" + c.Query
	}
	var rd io.Reader
	if c.Method != "DELETE" || body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(c.Method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.Headers {
		if k != "Content-Length" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestCapture_SDK replays the real SDK's requests in order and checks the
// answers it needs: the statuses, data.job_id and data.cost; then that
// the consumer applied every usage event and the chargers billed them.
func TestCapture_SDK(t *testing.T) {
	lines := loadCapture(t)
	if len(lines) != 12 {
		t.Fatalf("%d captured requests, want 12", len(lines))
	}
	f := newFixture(t)
	setupCapture(f, "100")
	want := map[int]int{1: 200, 2: 201, 3: 201, 4: 201, 5: 200, 6: 201, 7: 201, 8: 201, 9: 201, 10: 201, 11: 201, 12: 200}
	var job string
	var jobs []string
	for _, c := range lines {
		status, b := replay(t, f, c, job)
		if status != want[c.Seq] {
			t.Fatalf("seq %d %s: %d %s, want %d", c.Seq, c.Call, status, b, want[c.Seq])
		}
		var env struct {
			Data struct {
				JobID string `json:"job_id"`
				Cost  string `json:"cost"`
			} `json:"data"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatalf("seq %d: %s is not JSON", c.Seq, b)
		}
		switch {
		case c.Seq == 1:
			if env.Data.Cost != "5.00" {
				t.Fatalf("estimate cost %q, want 5.00", env.Data.Cost)
			}
		case strings.HasPrefix(c.Path, "/reservation/") && c.Method == "POST":
			if _, msg := parseUUID(env.Data.JobID); msg != "" {
				t.Fatalf("seq %d: job_id %q: %s", c.Seq, env.Data.JobID, msg)
			}
			job = env.Data.JobID
			jobs = append(jobs, job)
		}
	}
	if fe := f.sim.FailedEvents(); len(fe) > 0 {
		t.Fatalf("consumer rejected %+v", fe)
	}
	f.set(10 * time.Minute)
	f.sim.RunChargers()
	b := f.must(200, "GET", "/report/project/"+captureProj, "")
	var rep struct {
		Data struct {
			Items []map[string]any `json:"items"`
		} `json:"data"`
	}
	json.Unmarshal(b, &rep)
	if len(rep.Data.Items) != 2 {
		t.Fatalf("report has %d jobs, want the used oneshot and longrun: %s", len(rep.Data.Items), b)
	}
	for _, it := range rep.Data.Items {
		switch it["job_id"] {
		case jobs[0]: // reserved 10, used 20: 0.0002 charged
			if it["count"] != 20.0 || it["amount"] != "0.00020" || it["reserved_amount"] != "0.00010" || it["name"] != "job a" {
				t.Fatalf("oneshot item %v", it)
			}
		case jobs[2]: // 1 instance, started, 3 s: 0.5 + 0.001*3
			if it["duration"] != 3.0 || it["amount"] != "0.503" || it["reserved_duration"] != 5.0 {
				t.Fatalf("longrun item %v", it)
			}
		default:
			t.Fatalf("unexpected job in the report: %v", it)
		}
	}
	bal, res, _ := f.sim.ProjectBalance(captureProj)
	if want := decimal.MustParse("100").Sub(decimal.MustParse("0.00020")).Sub(decimal.MustParse("0.503")); !bal.Equal(want) || !res.IsZero() {
		t.Fatalf("balance %s reservation %s, want %s and 0", bal, res, want)
	}
}

// TestCapture_InsufficientFunds: the SDK maps exactly 402 to
// InsufficientFundsError.
func TestCapture_InsufficientFunds(t *testing.T) {
	lines := loadCapture(t)
	f := newFixture(t)
	setupCapture(f, "0.00001")
	for _, seq := range []int{2, 6, 11} {
		status, b := replay(t, f, lines[seq-1], "")
		if status != http.StatusPaymentRequired || !strings.Contains(string(b), `"error_code":"INSUFFICIENT_FUNDS"`) {
			t.Fatalf("seq %d: %d %s, want 402", seq, status, b)
		}
	}
}
