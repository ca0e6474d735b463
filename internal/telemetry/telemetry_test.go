package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/accounting-portal/portal/internal/portal"
)

type fakeStore struct {
	status map[string]portal.SourceStatus
	stats  []portal.OutboxStat
	err    error
}

func (f *fakeStore) SourceStatuses(context.Context, []string) (map[string]portal.SourceStatus, error) {
	return f.status, f.err
}
func (f *fakeStore) OutboxStats(context.Context) ([]portal.OutboxStat, error) { return f.stats, f.err }

type fakeRecorder struct{ n int64 }

func (r *fakeRecorder) StartSyncRun(context.Context, string) (int64, error) { r.n++; return r.n, nil }
func (r *fakeRecorder) FinishSyncRun(context.Context, int64, int64, string) error {
	return nil
}

// scrape serves the metrics on loopback, as the portal does, and parses
// the answer as Prometheus' text format.
func scrapeOnce(t *testing.T, tm *Telemetry) map[string]*dto.MetricFamily {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tm.Serve(ctx, ln, testLog(t)) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("not Prometheus text: %v", err)
	}
	return fams
}

// value returns the value of the family's series with the labels.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no %s", name)
	}
next:
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

func TestMetrics_ScrapedAsPrometheusText(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	db := filepath.Join(dir, "portal.db")
	os.WriteFile(db, make([]byte, 4096), 0o600)
	os.WriteFile(db+"-wal", make([]byte, 1000), 0o600)
	st := &fakeStore{
		status: map[string]portal.SourceStatus{portal.UpstreamOBI: {LastSuccess: &portal.SyncRun{Finished: now.Add(-90 * time.Minute)}}},
		stats: []portal.OutboxStat{{Kind: portal.KindOBIBudget, State: portal.OutboxDelivered, Items: 5, Oldest: now.Add(-48 * time.Hour)},
			{Kind: portal.KindOBIBudget, State: portal.OutboxQueued, Items: 2, Oldest: now.Add(-10 * time.Minute)}},
	}
	clock := now
	tm := New(st, []string{portal.UpstreamArgo, portal.UpstreamOBI}, db, func() time.Time { return clock })
	rec := tm.Recorder(&fakeRecorder{})
	ctx := context.Background()
	id, _ := rec.StartSyncRun(ctx, portal.UpstreamOBI)
	clock = clock.Add(3 * time.Second)
	rec.FinishSyncRun(ctx, id, 42, "")
	id, _ = rec.StartSyncRun(ctx, portal.UpstreamOBI)
	rec.FinishSyncRun(ctx, id, 0, "OBI did not answer")
	tm.ObserveHTTP("/budgets", "GET", 200, 20*time.Millisecond)
	tm.ObserveHTTP("", "GET", 404, time.Millisecond)
	tm.SignInFailed()
	clock = now

	fams := scrapeOnce(t, tm)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"portal_sync_runs_total", map[string]string{"upstream": "obi"}, 2},
		{"portal_sync_failures_total", map[string]string{"upstream": "obi"}, 1},
		{"portal_sync_rows_total", map[string]string{"upstream": "obi"}, 42},
		{"portal_sync_runs_total", map[string]string{"upstream": "argo"}, 0},
		{"portal_sync_duration_seconds", map[string]string{"upstream": "obi"}, 2},
		{"portal_sync_last_success_age_seconds", map[string]string{"upstream": "obi"}, 5400},
		{"portal_outbox_items", map[string]string{"kind": "obi.budget", "state": "queued"}, 2},
		{"portal_outbox_items", map[string]string{"kind": "obi.budget", "state": "delivered"}, 5},
		{"portal_outbox_oldest_open_age_seconds", map[string]string{"kind": "obi.budget"}, 600},
		{"portal_outbox_oldest_open_age_seconds", map[string]string{"kind": "argo.metric"}, 0},
		{"portal_http_request_duration_seconds", map[string]string{"route": "/budgets", "status": "200"}, 1},
		{"portal_http_request_duration_seconds", map[string]string{"route": "(none)", "status": "404"}, 1},
		{"portal_signin_failures_total", nil, 1},
		{"portal_database_size_bytes", nil, 5096},
		{"portal_telemetry_read_errors", nil, 0},
	} {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// ARGO never synced: its age is +Inf, so "older than an hour" alerts.
	if got := value(t, fams, "portal_sync_last_success_age_seconds", map[string]string{"upstream": "argo"}); got < 1e300 {
		t.Errorf("age of a never-synced upstream: %v, want +Inf", got)
	}

	st.err = errors.New("database locked")
	fams = scrapeOnce(t, tm)
	if got := value(t, fams, "portal_telemetry_read_errors", nil); got != 1 {
		t.Errorf("a failed read: portal_telemetry_read_errors = %v, want 1", got)
	}
}

func testLog(*testing.T) *slog.Logger { return slog.New(slog.DiscardHandler) }
