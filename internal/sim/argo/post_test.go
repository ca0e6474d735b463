package argo

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func postMetric(t *testing.T, s *Server, inst, body string, header map[string]string) reply {
	t.Helper()
	return call(t, s, http.MethodPost, basePath+"/installations/"+inst+"/metrics", DefaultToken, body, header)
}

func TestPost_LibraryStyle(t *testing.T) {
	s := newSim(t, Options{})
	in := s.Installations()[2]
	def := in.MetricDefinitionIDs[0]
	// As add_installation_metric.py sends it: no Content-Type, value as a string.
	body := fmt.Sprintf(`{"metric_definition_id": %q, "time_period_start": "2024-01-01T00:00:00Z", "time_period_end": "2024-01-02T00:00:00Z", "value": "12.5", "group_id": "g1", "user_id": "u1"}`, def)
	r := postMetric(t, s, in.ID, body, nil)
	wantStatus(t, r, http.StatusCreated)
	m := r.json(t)
	id, _ := m["metric_id"].(string)
	if len(id) != 24 || m["metric_definition_id"] != def || m["value"] != 12.5 || m["group_id"] != "g1" || m["user_id"] != "u1" ||
		m["time_period_start"] != "2024-01-01T00:00:00Z" || m["time_period_end"] != "2024-01-02T00:00:00Z" {
		t.Fatalf("reply %s", r.body)
	}
	if loc := r.header.Get("Location"); loc != "http://sim.test/accounting-system/installations/"+in.ID+"/metrics/"+id {
		t.Fatalf("Location %q", loc)
	}
	// Visible to every later read: by id, in the filtered list, in the project list, to the accessors.
	single := get(t, s, "/installations/"+in.ID+"/metrics/"+id).json(t)
	if single["metric_id"] != id || single["value"] != 12.5 {
		t.Fatalf("GET by id %v", single)
	}
	items := listAll(t, s, "/installations/"+in.ID+"/metrics", url.Values{"metric-definition-id": {def}, "start": {"2024-01-01"}, "end": {"2024-01-02"}})
	if len(items) != 1 || items[0]["id"] != id || items[0]["metric_definition"].(map[string]any)["metric_type"] == nil {
		t.Fatalf("filtered list %v", items)
	}
	p := getPage(t, s, "/projects/"+in.ProjectID+"/metrics?start=2024-01-01&end=2024-01-03")
	if p.TotalElements != 1 || p.Content[0]["id"] != id {
		t.Fatalf("project list %+v", p)
	}
	start, end := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	if got, ok := s.FindMetric(in.ID, def, start, end); !ok || got.ID != id || got.Value != 12.5 {
		t.Fatalf("FindMetric %+v %v", got, ok)
	}
	before, _ := s.InstallationMetricCount(in.ID)
	if s.MetricCount() != int64(len(s.Installations())*4*365+1) || before != 4*365+1 {
		t.Fatalf("counts %d %d", s.MetricCount(), before)
	}
}

func TestPost_ContentTypesAndValues(t *testing.T) {
	s := newSim(t, Options{})
	in := s.Installations()[0]
	def := in.MetricDefinitionIDs[0]
	body := func(day int, value string) string {
		return fmt.Sprintf(`{"metric_definition_id":%q,"time_period_start":"2024-02-%02dT03:43:40Z","time_period_end":"2024-02-%02dT09:20:37.5Z"%s}`, def, day, day, value)
	}
	wantError(t, postMetric(t, s, in.ID, body(1, `,"value":1`), map[string]string{"Content-Type": "text/plain"}), http.StatusUnsupportedMediaType, "Cannot consume content type.")
	r := postMetric(t, s, in.ID, body(2, `,"value":66.0336`), map[string]string{"Content-Type": "application/json; charset=UTF-8"})
	wantStatus(t, r, http.StatusCreated)
	if m := r.json(t); m["value"] != 66.0336 || m["time_period_end"] != "2024-02-02T09:20:37.500Z" {
		t.Fatalf("reply %s", r.body)
	}
	if _, ok := r.json(t)["group_id"]; ok {
		t.Fatal("an absent group_id is sent")
	}
	r = postMetric(t, s, in.ID, body(3, ``), nil)
	wantStatus(t, r, http.StatusCreated)
	if !strings.Contains(string(r.body), `"value":0.0`) {
		t.Fatalf("a missing value must become 0.0: %s", r.body)
	}
	r = postMetric(t, s, in.ID, body(4, `,"value":7`), nil)
	if !strings.Contains(string(r.body), `"value":7.0`) {
		t.Fatalf("doubles print as Java does: %s", r.body)
	}
	// ARGO keeps a double (API.md §8.4, the server's Metric.value): it
	// answers with the double, and the simulator also records the text
	// the request carried, for tests of what a client sent.
	for day, c := range []struct{ sent, received, answer string }{
		{`999999999999999.99`, "999999999999999.99", `"value":1.0E15`},
		{`"999999999999999.99"`, "999999999999999.99", `"value":1.0E15`},
		{`0.` + strings.Repeat("0", 5000) + `1`, "0." + strings.Repeat("0", 5000) + "1", `"value":0.0`},
		{`1E-100`, "1E-100", `"value":1.0E-100`},
	} {
		r = postMetric(t, s, in.ID, body(10+day, `,"value":`+c.sent), nil)
		wantStatus(t, r, http.StatusCreated)
		if !strings.Contains(string(r.body), c.answer) {
			t.Fatalf("%.30s: reply %s", c.sent, r.body)
		}
		m, _ := s.Metric(r.json(t)["metric_id"].(string))
		if m.Received != c.received {
			t.Fatalf("%.30s: received %.30q", c.sent, m.Received)
		}
	}
	if m, _ := s.Metric(s.PostedMetrics()[1].ID); m.Received != "" {
		t.Fatalf("a missing value was received as %q", m.Received)
	}
}

func TestPost_Conflicts(t *testing.T) {
	s := newSim(t, Options{})
	in := s.Installations()[0]
	def := in.MetricDefinitionIDs[0]
	body := fmt.Sprintf(`{"metric_definition_id":%q,"time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-02T00:00:00Z","value":1}`, def)
	wantStatus(t, postMetric(t, s, in.ID, body, nil), http.StatusCreated)
	pr := s.Projects()[0]
	want := fmt.Sprintf("There is a Metric at {%s, %s, %s} with the following attributes : {%s, 2024-01-01T00:00:00Z, 2024-01-02T00:00:00Z}", pr.Acronym, in.ProviderID, in.Name, def)
	wantError(t, postMetric(t, s, in.ID, body, nil), http.StatusConflict, want)
	// The same period on another installation is fine.
	wantStatus(t, postMetric(t, s, s.Installations()[4].ID, strings.Replace(body, def, s.Installations()[4].MetricDefinitionIDs[0], 1), nil), http.StatusCreated)
	// A generated metric is in the unique index too.
	gen, _ := s.InstallationMetrics(in.ID, 40, 1)
	g := gen[0]
	dup := fmt.Sprintf(`{"metric_definition_id":%q,"time_period_start":%q,"time_period_end":%q,"value":1}`, g.MetricDefinitionID, g.Start.Format(time.RFC3339), g.End.Format(time.RFC3339))
	if r := postMetric(t, s, in.ID, dup, nil); r.status != http.StatusConflict {
		t.Fatalf("duplicate of a generated metric: %d %s", r.status, r.body)
	}
}

func TestPost_Validation(t *testing.T) {
	s := newSim(t, Options{})
	in := s.Installations()[0]
	def := in.MetricDefinitionIDs[0]
	j := func(fields string) string { return "{" + fields + "}" }
	d := fmt.Sprintf(`"metric_definition_id":%q,`, def)
	future := testNow.Add(time.Hour).Format(time.RFC3339)
	for _, c := range []struct {
		body   string
		status int
		msg    string
	}{
		{"", 400, "The request body is empty."},
		{j(`"time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-02T00:00:00Z"`), 400, "metric_definition_id may not be empty."},
		{j(d + `"time_period_end":"2024-01-02T00:00:00Z"`), 400, "time_period_start may not be empty."},
		{j(d + `"time_period_start":"2024-01-02T00:00:00Z"`), 400, "time_period_end may not be empty."},
		{j(d + `"time_period_start":"2024-01-01","time_period_end":"2024-01-02T00:00:00Z"`), 400, "time_period_start must be a valid zulu timestamp. found: 2024-01-01"},
		{j(d + `"time_period_start":"2024-01-01T00:00:00Z","time_period_end":"soon"`), 400, "time_period_end must be a valid zulu timestamp. found: soon"},
		{j(d + `"time_period_start":"2024-01-01T00:00:00Z","time_period_end":"` + future + `"`), 400, "Timestamp cannot be after the current date-time."},
		{j(d + `"time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-01T00:00:00Z"`), 400, "Timestamp of the starting date time cannot be equal to Timestamp of the end date time."},
		{j(d + `"time_period_start":"2024-01-02T00:00:00Z","time_period_end":"2024-01-01T00:00:00Z"`), 400, "Timestamp of the starting date time cannot be after of Timestamp of the end date time."},
		{j(`"metric_definition_id":"nope","time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-02T00:00:00Z"`), 404, "There is no Metric Definition with the following id: nope"},
		{j(d + `"time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-02T00:00:00Z","value":"abc"`), 400, "Cannot deserialize value of type `double` from String \"abc\": not a valid `double` value"},
	} {
		wantError(t, postMetric(t, s, in.ID, c.body, nil), c.status, c.msg)
	}
	if r := postMetric(t, s, in.ID, "{not json", nil); r.status != http.StatusBadRequest {
		t.Fatalf("malformed JSON: %d", r.status)
	}
	wantError(t, postMetric(t, s, "nope", j(d), nil), http.StatusNotFound, "There is no Installation with the following id: nope")
	if n := len(s.PostedMetrics()); n != 0 {
		t.Fatalf("%d invalid metrics stored", n)
	}
}
