package argo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

const fixtureDir = "testdata/upstream/acc-library-fixtures/"

// fixtureServer answers each route with a fixture file, whatever the query.
func fixtureServer(t *testing.T, routes map[string]string) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok123" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		name, ok := routes[r.Method+" "+r.URL.Path+"?page="+r.URL.Query().Get("page")]
		if !ok {
			name, ok = routes[r.Method+" "+r.URL.Path]
		}
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"code":404,"message":"HTTP 404 Not Found"}`))
			return
		}
		b, err := os.ReadFile(fixtureDir + name)
		if err != nil {
			t.Error(err)
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL + "/accounting-system/", Token: "tok123"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFixtures_DecodeEveryLibraryFixture(t *testing.T) {
	const b = "/accounting-system"
	c := fixtureServer(t, map[string]string{
		"GET " + b + "/projects":                                                                "projects-list.page1.acclib-test.json",
		"GET " + b + "/projects/TESTPROJ01":                                                     "project-get.TESTPROJ01.acclib-test.json",
		"GET " + b + "/providers":                                                               "providers-list.page1.acclib-test.json",
		"GET " + b + "/providers/TESTPROV01":                                                    "provider-get.TESTPROV01.acclib-test.json",
		"GET " + b + "/installations/all?page=1":                                                "installations-all.page1.acclib-test.json",
		"GET " + b + "/installations/all?page=2":                                                "installations-all.page2.acclib-test.json",
		"GET " + b + "/installations/68179546f1a5b48f0c854353":                                  "installation-get.68179546f1a5b48f0c854353.acclib-test.json",
		"GET " + b + "/installations/68179546f1a5b48f0c854353/metrics":                          "installation-metrics-list.page1.acclib-test.json",
		"GET " + b + "/installations/68179546f1a5b48f0c854353/metrics/681bc483371ad01d931461bf": "installation-metric-get.681bc483371ad01d931461bf.acclib-test.json",
		"POST " + b + "/installations/68179546f1a5b48f0c854353/metrics":                         "installation-metric-get.681bc483371ad01d931461bf.acclib-test.json",
		"GET " + b + "/projects/TESTPROJ01/metrics":                                             "project-metrics-list.page1.acclib-test.json",
		"GET " + b + "/projects/TESTPROJ01/providers/TESTPROV01/metrics":                        "project-provider-metrics-list.page1.acclib-test.json",
	})
	ctx := context.Background()
	ps, err := c.Projects(ctx)
	if err != nil || len(ps) != 1 || ps[0].CallIdentifier != "TESTCALL01" || ps[0].Providers[0].Installations[0].Resource != "TESTRES01" ||
		ps[0].Providers[0].Installations[0].UnitOfAccess.IsSet() {
		t.Fatalf("projects %+v, %v", ps, err)
	}
	p, err := c.Project(ctx, "TESTPROJ01")
	if err != nil || p.StartDate != "2024-04-01" || p.Providers[0].Logo != "https://example.com" {
		t.Fatalf("project %+v, %v", p, err)
	}
	vs, err := c.Providers(ctx)
	if err != nil || len(vs) != 1 || vs[0].CreatorID != "0123456789abcdef" || vs[0].ExternalID != "" {
		t.Fatalf("providers %+v, %v", vs, err)
	}
	if v, err := c.Provider(ctx, "TESTPROV01"); err != nil || v.Name != "TEST PROVIDER 01" {
		t.Fatalf("provider %+v, %v", v, err)
	}
	// installations-all.page2 says size_of_page 10 for its 2 items: ignored, as it must be.
	ins, err := c.Installations(ctx)
	if err != nil || len(ins) != 12 || ins[11].ID != "68179546680552ca72c5c4bd" || ins[11].ProviderID != "TESTORG12" || ins[0].Capacities != nil {
		t.Fatalf("installations %d, %v", len(ins), err)
	}
	if in, err := c.Installation(ctx, "68179546f1a5b48f0c854353"); err != nil || in.ProjectID != "TESTPROJ01" || in.UnitOfAccess.IsSet() {
		t.Fatalf("installation %+v, %v", in, err)
	}
	start := time.Date(2024, 1, 1, 3, 43, 40, 0, time.UTC)
	for name, list := range map[string]func() ([]Metric, error){
		"installation": func() ([]Metric, error) {
			return c.InstallationMetrics(ctx, "68179546f1a5b48f0c854353", MetricFilter{})
		},
		"project":  func() ([]Metric, error) { return c.ProjectMetrics(ctx, "TESTPROJ01", MetricFilter{}) },
		"provider": func() ([]Metric, error) { return c.ProviderMetrics(ctx, "TESTPROJ01", "TESTPROV01", MetricFilter{}) },
	} {
		ms, err := list()
		if err != nil || len(ms) != 1 {
			t.Fatalf("%s metrics %+v, %v", name, ms, err)
		}
		m := ms[0]
		if m.Value != 66.0336 || !m.Start.Equal(start) || m.MetricDefinitionID != "678f89694665a309e8a6c9b2" || m.Definition.MetricType != "aggregated" ||
			m.Definition.UnitType != "TB/year" || m.Project != "TEST PROJECT 01" || m.ProjectID != "TESTPROJ01" || m.UserID != "0123456789abcdef" || m.GroupID != "" {
			t.Fatalf("%s metric %+v", name, m)
		}
	}
	single, err := c.InstallationMetric(ctx, "68179546f1a5b48f0c854353", "681bc483371ad01d931461bf")
	if err != nil || single.ID != "681bc483371ad01d931461bf" || single.MetricDefinitionID != "678f89694665a309e8a6c9b2" || single.Definition != nil {
		t.Fatalf("single %+v, %v", single, err)
	}
	// The POST fixture is the library's request; the reply has the single shape.
	created, err := c.AddInstallationMetric(ctx, "68179546f1a5b48f0c854353", NewMetric{
		MetricDefinitionID: "678f89694665a309e8a6c9b2", Start: start, End: time.Date(2024, 1, 1, 9, 20, 37, 0, time.UTC),
		Value: decimal.MustParse("66.0336"), GroupID: "3f5fc61f3e3af93b", UserID: "9936cb22d3c26a34",
	})
	if err != nil || created.ID != "681bc483371ad01d931461bf" {
		t.Fatalf("created %+v, %v", created, err)
	}
}

func TestFixtures_PostBodyHasTheLibrarysShape(t *testing.T) {
	want, err := os.ReadFile(fixtureDir + "installation-metric-post-request.acclib-test.json")
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = make([]byte, r.ContentLength)
		r.Body.Read(got)
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"metric_id":"x","metric_definition_id":"678f89694665a309e8a6c9b2","time_period_start":"2024-01-01T03:43:40Z","time_period_end":"2024-01-01T09:20:37Z","value":66.0336}`))
	}))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, Token: "t"})
	_, err = c.AddInstallationMetric(context.Background(), "i", NewMetric{
		MetricDefinitionID: "678f89694665a309e8a6c9b2", Start: time.Date(2024, 1, 1, 3, 43, 40, 0, time.UTC),
		End: time.Date(2024, 1, 1, 9, 20, 37, 0, time.UTC), Value: decimal.MustParse("66.0336"), GroupID: "3f5fc61f3e3af93b", UserID: "9936cb22d3c26a34",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, got, want) {
		t.Fatalf("body %s\nwant %s", got, want)
	}
}

// The value goes out as the decimal's own text, never through a float64:
// 999999999999999.99 is not 1e15 and 1E-100 is not 0.
func TestAddMetric_ValueIsSentExactly(t *testing.T) {
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"metric_id":"x","metric_definition_id":"d","time_period_start":"2024-01-01T03:43:40Z","time_period_end":"2024-01-01T09:20:37Z","value":1.0E15}`))
	}))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, Token: "t"})
	for value, wire := range map[string]string{"999999999999999.99": "999999999999999.99", "1E-100": "1E-100", "0.000001": "0.000001",
		"12": "12", "12.500": "12.500", "0." + strings.Repeat("0", 60) + "1": "1E-61"} {
		_, err := c.AddInstallationMetric(context.Background(), "i", NewMetric{MetricDefinitionID: "d", Start: time.Date(2024, 1, 1, 3, 43, 40, 0, time.UTC),
			End: time.Date(2024, 1, 1, 9, 20, 37, 0, time.UTC), Value: decimal.MustParse(value)})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(got), `,"value":`+wire+`}`) {
			t.Errorf("%.20s: body %s", value, got)
		}
		var back struct{ Value json.Number }
		if err := json.Unmarshal(got, &back); err != nil || !decimal.MustParse(back.Value.String()).Equal(decimal.MustParse(value)) {
			t.Errorf("%.20s: the body's value reads back as %s (%v)", value, back.Value, err)
		}
	}
}
