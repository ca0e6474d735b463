package argo

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	simargo "github.com/accounting-portal/portal/internal/sim/argo"
	"github.com/accounting-portal/portal/internal/sim/fault"
)

func TestMetrics_StreamPagesInOrder(t *testing.T) {
	f := newFixture(t, simargo.Options{})
	in := f.sim.Installations()[3]
	n, _ := f.sim.InstallationMetricCount(in.ID)
	want, _ := f.sim.InstallationMetrics(in.ID, 0, n)
	var got []Metric
	pages := 0
	err := f.client.EachInstallationMetric(context.Background(), in.ID, MetricFilter{}, func(page []Metric) error {
		if len(page) > 100 {
			t.Fatalf("page of %d", len(page))
		}
		pages++
		got = append(got, page...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || pages != (n+99)/100 {
		t.Fatalf("%d metrics in %d pages, want %d", len(got), pages, n)
	}
	for i, m := range got {
		w := want[i]
		if m.ID != w.ID || m.MetricDefinitionID != w.MetricDefinitionID || !m.Start.Equal(w.Start) || !m.End.Equal(w.End) ||
			m.Value != w.Value || m.UserID != w.UserID || m.GroupID != w.GroupID || m.InstallationID != in.ID ||
			m.ProjectID != in.ProjectID || m.ProviderID != in.ProviderID || m.Definition == nil || m.Definition.MetricType == "" {
			t.Fatalf("metric %d: %+v, sim has %+v", i, m, w)
		}
	}
	stop := errors.New("stop")
	calls := 0
	err = f.client.EachInstallationMetric(context.Background(), in.ID, MetricFilter{}, func([]Metric) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("callback error: %v after %d calls", err, calls)
	}
}

func TestMetrics_FiltersAndScopes(t *testing.T) {
	f := newFixture(t, simargo.Options{})
	ctx := context.Background()
	in := f.sim.Installations()[0]
	def := in.MetricDefinitionIDs[0]
	start, end := time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 9, 11, 0, 0, 0, 0, time.UTC)
	ms, err := f.client.InstallationMetrics(ctx, in.ID, MetricFilter{MetricDefinitionID: def, Start: start, End: end})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 10 { // ten daily metrics lie within [Sep 1 00:00, Sep 11 00:00]
		t.Fatalf("%d metrics", len(ms))
	}
	for _, m := range ms {
		if m.MetricDefinitionID != def || m.Start.Before(start) || m.End.After(end) {
			t.Fatalf("metric outside the filter: %+v", m)
		}
	}
	pm, err := f.client.ProjectMetrics(ctx, in.ProjectID, MetricFilter{MetricDefinitionID: def, Start: start, End: end})
	if err != nil || len(pm) < len(ms) {
		t.Fatalf("project metrics %d, %v", len(pm), err)
	}
	vm, err := f.client.ProviderMetrics(ctx, in.ProjectID, in.ProviderID, MetricFilter{MetricDefinitionID: def, Start: start, End: end})
	if err != nil || len(vm) < len(ms) || len(vm) > len(pm) {
		t.Fatalf("provider metrics %d, %v", len(vm), err)
	}
	_, err = f.client.ProjectMetrics(ctx, in.ProjectID, MetricFilter{Start: end, End: start})
	wantCode(t, err, "invalid")
	if !strings.Contains(err.Error(), "start cannot be after end.") {
		t.Fatalf("error %v", err)
	}
}

func TestAddMetric_CreatedFoundAndConflicting(t *testing.T) {
	f := newFixture(t, simargo.Options{})
	ctx := context.Background()
	in := f.sim.Installations()[2]
	nm := NewMetric{MetricDefinitionID: in.MetricDefinitionIDs[1], Start: time.Date(2024, 5, 1, 6, 0, 0, 0, time.UTC),
		End: time.Date(2024, 5, 1, 18, 30, 0, 0, time.UTC), Value: decimal.MustParse("12.75"), GroupID: "vo.test", UserID: "alice"}
	created, err := f.client.AddInstallationMetric(ctx, in.ID, nm)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Value != 12.75 || created.GroupID != "vo.test" || !created.Start.Equal(nm.Start) || created.MetricDefinitionID != nm.MetricDefinitionID {
		t.Fatalf("created %+v", created)
	}
	if s, ok := f.sim.Metric(created.ID); !ok || s.Value != 12.75 {
		t.Fatalf("not in the simulator: %+v", s)
	}
	byID, err := f.client.InstallationMetric(ctx, in.ID, created.ID)
	if err != nil || byID.ID != created.ID || byID.UserID != "alice" {
		t.Fatalf("by id %+v, %v", byID, err)
	}
	found, err := f.client.FindInstallationMetric(ctx, in.ID, nm.MetricDefinitionID, nm.Start, nm.End)
	if err != nil || found.ID != created.ID {
		t.Fatalf("find %+v, %v", found, err)
	}
	_, err = f.client.FindInstallationMetric(ctx, in.ID, nm.MetricDefinitionID, nm.Start, nm.End.Add(time.Hour))
	wantCode(t, err, "not_found")

	_, err = f.client.AddInstallationMetric(ctx, in.ID, nm)
	wantCode(t, err, "conflict")
	if !strings.Contains(err.Error(), "There is a Metric at") {
		t.Fatalf("409 %v", err)
	}
	future := nm
	future.Start, future.End = testNow.Add(time.Hour), testNow.Add(2*time.Hour)
	_, err = f.client.AddInstallationMetric(ctx, in.ID, future)
	wantCode(t, err, "invalid")
	if !strings.Contains(err.Error(), "Timestamp cannot be after the current date-time.") {
		t.Fatalf("400 %v", err)
	}
	unknown := nm
	unknown.MetricDefinitionID = "0123456789abcdef01234567"
	_, err = f.client.AddInstallationMetric(ctx, in.ID, unknown)
	wantCode(t, err, "not_found")
	_, err = f.client.AddInstallationMetric(ctx, "nope", nm)
	wantCode(t, err, "not_found")

	before := f.hits.count("/accounting-system/installations/" + in.ID + "/metrics")
	for _, bad := range []NewMetric{{Start: nm.Start, End: nm.End}, {MetricDefinitionID: "x", Start: nm.End, End: nm.Start}, {MetricDefinitionID: "x"}} {
		_, err = f.client.AddInstallationMetric(ctx, in.ID, bad)
		wantCode(t, err, "invalid")
	}
	if f.hits.count("/accounting-system/installations/"+in.ID+"/metrics") != before {
		t.Fatal("an invalid metric was sent")
	}
}

func TestAddMetric_ReadOnlyTokenIsForbidden(t *testing.T) {
	f := newFixture(t, simargo.Options{})
	cfg := f.cfg
	cfg.Token = f.sim.ReadOnlyToken()
	ro, _ := New(cfg)
	in := f.sim.Installations()[0]
	_, err := ro.AddInstallationMetric(context.Background(), in.ID, NewMetric{MetricDefinitionID: in.MetricDefinitionIDs[0],
		Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)})
	wantCode(t, err, "forbidden")
	if !strings.Contains(err.Error(), "not permitted") {
		t.Fatalf("403 %v", err)
	}
}

func TestFaults_ReadsRetriedWritesNot(t *testing.T) {
	f := newFixture(t, simargo.Options{}, func(c *Config) { c.Retries = 2 })
	ctx := context.Background()
	f.sim.Faults().Set(fault.Fault{Mode: fault.Outage, Method: "GET", Count: 2})
	if _, err := f.client.Providers(ctx); err != nil {
		t.Fatalf("a read after two outages with two retries: %v", err)
	}
	f.sim.Faults().Set(fault.Fault{Mode: fault.Outage, Method: "POST", Count: 1})
	in := f.sim.Installations()[0]
	nm := NewMetric{MetricDefinitionID: in.MetricDefinitionIDs[0], Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Value: decimal.NewFromInt(1)}
	// A 503 does not prove the POST was not processed (ARGO documents no
	// such answer): the outcome is unknown, and the write is not retried.
	_, err := f.client.AddInstallationMetric(ctx, in.ID, nm)
	wantCode(t, err, "uncertain")
	if f.sim.Faults().Hits(fault.Outage) != 3 || len(f.sim.PostedMetrics()) != 0 {
		t.Fatalf("outage hits %d, posted %d: a write was retried or applied", f.sim.Faults().Hits(fault.Outage), len(f.sim.PostedMetrics()))
	}
	// A 429 is a refusal: nothing happened.
	f.sim.Faults().Set(fault.Fault{Mode: fault.RateLimit, Method: "POST", Count: 1})
	_, err = f.client.AddInstallationMetric(ctx, in.ID, nm)
	wantCode(t, err, "unavailable")
	if f.sim.Faults().Hits(fault.RateLimit) != 1 || len(f.sim.PostedMetrics()) != 0 {
		t.Fatalf("ratelimit hits %d, posted %d", f.sim.Faults().Hits(fault.RateLimit), len(f.sim.PostedMetrics()))
	}
	f.sim.Faults().Set(fault.Fault{Mode: fault.Garbage, Method: "GET", Count: 1})
	_, err = f.client.MetricDefinitions(ctx)
	wantCode(t, err, "unavailable")
	if !strings.Contains(err.Error(), "page 1 of /metric-definitions") {
		t.Fatalf("garbage error %v", err)
	}
}

func TestFaults_TimeoutAfterEffectIsUncertainAndFindable(t *testing.T) {
	f := newFixture(t, simargo.Options{}, func(c *Config) { c.Timeout = 300 * time.Millisecond })
	f.sim.Faults().Set(fault.Fault{Mode: fault.Timeout, Method: "POST", Count: 1, Delay: 5 * time.Second})
	in := f.sim.Installations()[0]
	nm := NewMetric{MetricDefinitionID: in.MetricDefinitionIDs[0], Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), Value: decimal.NewFromInt(5)}
	ctx := context.Background()
	_, err := f.client.AddInstallationMetric(ctx, in.ID, nm)
	wantCode(t, err, "uncertain")
	m, err := f.client.FindInstallationMetric(ctx, in.ID, nm.MetricDefinitionID, nm.Start, nm.End)
	if err != nil || m.Value != 5 {
		t.Fatalf("the metric applied before the timeout is not found: %+v, %v", m, err)
	}
}

func TestDebugLog_WithoutToken(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFixture(t, simargo.Options{}, func(c *Config) { c.Logger, c.Debug = logger, true })
	if _, err := f.client.Provider(context.Background(), "nope"); err == nil {
		t.Fatal("no error")
	}
	f.client.Providers(context.Background())
	out := buf.String()
	if !strings.Contains(out, "/accounting-system/providers/nope") || !strings.Contains(out, "status=404") || !strings.Contains(out, "status=200") {
		t.Fatalf("debug log lacks requests:\n%s", out)
	}
	if strings.Contains(out, f.sim.Token()) {
		t.Fatal("the token is logged")
	}
}

func TestAddMetric_UnreadableReplyIsUncertain(t *testing.T) {
	f := newFixture(t, simargo.Options{})
	f.sim.Faults().Set(fault.Fault{Mode: fault.Garbage, Method: "POST", Count: 1})
	in := f.sim.Installations()[0]
	_, err := f.client.AddInstallationMetric(context.Background(), in.ID, NewMetric{MetricDefinitionID: in.MetricDefinitionIDs[0],
		Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)})
	wantCode(t, err, "uncertain")
}
