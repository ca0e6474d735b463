package argo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecodeInstallation_BothEras(t *testing.T) {
	for name, c := range map[string]struct {
		json       string
		uoa        string
		definition bool
		ext        string
		capacities int // -1: absent
	}{
		"1.7.0 null":       {`{"id":"i","unit_of_access":null}`, "", false, "", -1},
		"1.8 absent":       {`{"id":"i","external_id":"eosc.x","capacities":[]}`, "", false, "eosc.x", 0},
		"1.8 external nul": {`{"id":"i","external_id":null}`, "", false, "", -1},
		"object":           {`{"id":"i","unit_of_access":{"metric_definition_id":"m","metric_name":"n","unit_type":"#","metric_type":"count"},"capacities":[{"id":"c","value":700.0}]}`, "m", true, "", 1},
		"docs id":          {`{"id":"i","unit_of_access":{"id":"m","metric_name":"n"}}`, "m", true, "", -1},
		"id string":        {`{"id":"i","unit_of_access":"m"}`, "m", false, "", -1},
		"unknown keys":     {`{"id":"i","future":{"x":[1]}}`, "", false, "", -1},
	} {
		in, err := decodeInstallation([]byte(c.json))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if in.UnitOfAccess.MetricDefinitionID != c.uoa || (in.UnitOfAccess.Definition != nil) != c.definition || in.ExternalID != c.ext {
			t.Fatalf("%s: %+v", name, in)
		}
		if (c.capacities < 0) != (in.Capacities == nil) || (c.capacities >= 0 && len(in.Capacities) != c.capacities) {
			t.Fatalf("%s: capacities %v", name, in.Capacities)
		}
	}
}

func TestDecode_StrictWhereItMatters(t *testing.T) {
	for _, c := range []struct {
		decode func([]byte) error
		json   string
		want   string
	}{
		{metricErr, `{"id":"a","metric_definition_id":"d","time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-02T00:00:00Z","value":"12"}`, "value: expected a number, got JSON string"},
		{metricErr, `{"id":"a","metric_definition_id":"d","time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-02T00:00:00Z"}`, "value: missing"},
		{metricErr, `{"metric_definition_id":"d","value":1}`, "id: missing"},
		{metricErr, `{"id":"a","value":1,"time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-02T00:00:00Z"}`, "metric_definition_id: missing"},
		{metricErr, `{"id":"a","metric_definition":{"metric_name":"x"},"value":1}`, "metric_definition.metric_definition_id: missing"},
		{metricErr, `{"id":"a","metric_definition":{"metric_definition_id":"d","metric_type":5},"value":1}`, "metric_definition.metric_type: expected a string, got JSON number"},
		{metricErr, `{"id":"a","metric_definition_id":"d","value":1,"time_period_start":"yesterday","time_period_end":"2024-01-02T00:00:00Z"}`, `time_period_start: not a timestamp: "yesterday"`},
		{metricErr, `[1]`, "(the value): expected an object, got JSON array"},
		{installationErr, `{"id":"i","unit_of_access":7}`, "unit_of_access: expected null, an id or an object"},
		{installationErr, `{"id":"i","capacities":[{"id":"c"}]}`, "capacities[0].value: missing"},
		{installationErr, `{"project":"p"}`, "id: missing"},
		{projectErr, `{"id":"p","providers":[{"id":"v","installations":[{"id":"i","unit_of_access":[]}]}]}`, "providers[0].installations[0].unit_of_access: expected null"},
		{envelopeErr, `{"total_pages":1}`, "content: missing"},
		{envelopeErr, `{"content":[]}`, "total_pages: missing"},
		{envelopeErr, `{"content":{},"total_pages":1}`, "content: expected an array"},
		{envelopeErr, `<html>`, "not JSON"},
	} {
		err := c.decode([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.json, err, c.want)
		}
	}
}

func metricErr(b []byte) error       { _, err := decodeMetric(b); return err }
func installationErr(b []byte) error { _, err := decodeInstallation(b); return err }
func projectErr(b []byte) error      { _, err := decodeProject(b); return err }
func envelopeErr(b []byte) error     { _, err := decodeEnvelope(b); return err }

func TestDecode_ErrorsSayWhichPageAndItem(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page") == "1" {
			w.Write([]byte(`{"total_pages":3,"content":[{"id":"a","metric_definition_id":"d","time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-02T00:00:00Z","value":1}]}`))
			return
		}
		w.Write([]byte(`{"total_pages":3,"content":[{"id":"a"}]}`))
	}))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL, Token: "t"})
	_, err := c.InstallationMetrics(context.Background(), "i", MetricFilter{})
	wantCode(t, err, "unavailable")
	if want := "ARGO: page 2 of /installations/i/metrics: content[0].metric_definition_id: missing"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
}

func TestErrorMessage(t *testing.T) {
	for _, c := range []struct {
		status int
		body   string
		want   string
	}{
		{404, `{"code":404,"message":"There is no Installation with the following id: x"}`, "There is no Installation with the following id: x"},
		{401, ``, "the bearer token is missing, invalid or expired"},
		{503, "service unavailable (simulated outage)\n", "service unavailable (simulated outage)"},
		{500, `{"code":500}`, `{"code":500}`},
		{502, "", ""},
	} {
		if got := errorMessage(c.status, []byte(c.body)); got != c.want {
			t.Errorf("%d %q: %q, want %q", c.status, c.body, got, c.want)
		}
	}
	if long := errorMessage(500, []byte(strings.Repeat("x", 1000))); len(long) > 310 {
		t.Errorf("a long body is kept whole (%d bytes)", len(long))
	}
}
