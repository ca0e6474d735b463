package syncer

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/argo"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim"
	simargo "github.com/accounting-portal/portal/internal/sim/argo"
	"github.com/accounting-portal/portal/internal/sim/fault"
)

// argoNow pins the simulator's clock: its metrics cover the year up to
// 2026-03-31 00:00 UTC.
var argoNow = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)

// argoTestDays is the history of the simulator in the sync's tests: more
// than the incremental run's window (a week) and the old metrics they add
// (200 days back), far less than the default year, which the tests do not
// need (a full read of a year costs 20 s under the race detector).
const argoTestDays = 30

// startArgoSim runs an ARGO simulator over HTTPS on loopback and returns
// it with a client that trusts its CA; days is its history (0: a year).
func startArgoSim(t testing.TB, scale float64, days int) (*sim.Running, *argo.Client) {
	t.Helper()
	r, err := sim.Start(sim.Config{Argo: "127.0.0.1:0", TLSDir: t.TempDir(), Seed: 3, Scale: scale, Now: func() time.Time { return argoNow }, ArgoDays: days})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: r.CA.ClientConfig()}}
	c, err := argo.New(argo.Config{BaseURL: r.Info.Argo.URL, Token: r.Info.Argo.Token, HTTPClient: hc, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return r, c
}

// recordingSource records the start filter of every project metric read.
type recordingSource struct {
	ArgoSource
	mu     sync.Mutex
	starts map[string]time.Time
}

func (s *recordingSource) EachProjectMetric(ctx context.Context, p string, f argo.MetricFilter, fn func([]argo.Metric) error) error {
	s.mu.Lock()
	if s.starts == nil {
		s.starts = map[string]time.Time{}
	}
	s.starts[p] = f.Start
	s.mu.Unlock()
	return s.ArgoSource.EachProjectMetric(ctx, p, f, fn)
}

// dumpArgo prints every synced row (without the run numbers) in order.
func dumpArgo(t testing.TB, db *cache.DB) string {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, acronym, title, start_date, end_date, call_identifier FROM argo_projects ORDER BY id`,
		`SELECT id, name, website, abbreviation, logo, external_id FROM argo_providers ORDER BY id`,
		`SELECT id, name, description, unit_type, metric_type FROM argo_metric_definitions ORDER BY id`,
		`SELECT id, project_id, provider_id, infrastructure, installation, resource, external_id, unit_of_access FROM argo_installations ORDER BY id`,
		`SELECT id, installation_id, project_id, provider_id, definition_id, start, end, value, group_id, user_id FROM argo_metrics ORDER BY id`,
	} {
		rows, err := conn.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			rows.Scan(ptrs...)
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

func countRows(t testing.TB, db *cache.DB, table string) int64 {
	t.Helper()
	counts, err := db.CachedRowCounts(context.Background(), "argo")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		if c.Label == table {
			return c.Rows
		}
	}
	t.Fatalf("no count of %s", table)
	return 0
}

func TestSyncArgo_TwiceGivesTheSameRows(t *testing.T) {
	r, client := startArgoSim(t, 1, argoTestDays)
	db := openDB(t)
	ctx := context.Background()
	now := argoNow
	src := &recordingSource{ArgoSource: client}
	o := ArgoOptions{Now: func() time.Time { return now }}
	rows, err := SyncArgo(ctx, src, db, o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := countRows(t, db, "metrics"), r.Argo.MetricCount(); got != want {
		t.Fatalf("cached %d metrics, the simulator has %d", got, want)
	}
	if got := countRows(t, db, "installations"); got != int64(len(r.Argo.Installations())) {
		t.Fatalf("cached %d installations", got)
	}
	if rows < r.Argo.MetricCount() {
		t.Fatalf("reported %d rows", rows)
	}
	for p, from := range src.starts {
		if !from.IsZero() {
			t.Fatalf("the first run read project %s from %v, not everything", p, from)
		}
	}
	first := dumpArgo(t, db)

	// The second run reads a trailing week per project and changes nothing.
	now = now.Add(time.Hour)
	if _, err := SyncArgo(ctx, src, db, o); err != nil {
		t.Fatal(err)
	}
	_, end := r.Argo.Window()
	for p, from := range src.starts {
		if want := end.Add(-24*time.Hour).AddDate(0, 0, -7); !from.Equal(want) {
			t.Errorf("the second run read project %s from %v, want %v", p, from, want)
		}
	}
	if second := dumpArgo(t, db); second != first {
		t.Fatal("the second run changed the rows")
	}
	// A day later a run reads everything again, with the same result.
	now = now.Add(25 * time.Hour)
	if _, err := SyncArgo(ctx, src, db, o); err != nil {
		t.Fatal(err)
	}
	for p, from := range src.starts {
		if !from.IsZero() {
			t.Errorf("the daily full run read %s from %v", p, from)
		}
	}
	if third := dumpArgo(t, db); third != first {
		t.Fatal("the full run changed the rows")
	}
}

func TestSyncArgo_LateMetricsInTheWindow(t *testing.T) {
	r, client := startArgoSim(t, 1, argoTestDays)
	db := openDB(t)
	ctx := context.Background()
	now := argoNow
	o := ArgoOptions{Now: func() time.Time { return now }}
	if _, err := SyncArgo(ctx, client, db, o); err != nil {
		t.Fatal(err)
	}
	in := r.Argo.Installations()[0]
	def := in.MetricDefinitionIDs[0]
	_, end := r.Argo.Window()
	recent := argo.NewMetric{MetricDefinitionID: def, Start: end.Add(-50 * time.Hour), End: end.Add(-49 * time.Hour), Value: decimal.NewFromInt(3)}
	old := argo.NewMetric{MetricDefinitionID: def, Start: end.AddDate(0, 0, -200).Add(time.Hour), End: end.AddDate(0, 0, -200).Add(2 * time.Hour), Value: decimal.NewFromInt(4)}
	mr, err := client.AddInstallationMetric(ctx, in.ID, recent)
	if err != nil {
		t.Fatal(err)
	}
	mo, err := client.AddInstallationMetric(ctx, in.ID, old)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if _, err := SyncArgo(ctx, client, db, o); err != nil {
		t.Fatal(err)
	}
	ms, _, _ := db.ArgoMetrics(ctx, metrics.ListQuery{Filter: metrics.Filter{Scope: allScope, InstallationID: in.ID, From: end.AddDate(0, 0, -201)}, Limit: 5000})
	has := func(id string) bool {
		for _, m := range ms {
			if m.ID == id {
				return true
			}
		}
		return false
	}
	if !has(mr.ID) {
		t.Error("a late metric inside the window was not read")
	}
	if has(mo.ID) {
		t.Error("an incremental run read a metric far outside its window")
	}
	now = now.Add(24 * time.Hour)
	SyncArgo(ctx, client, db, o)
	ms, _, _ = db.ArgoMetrics(ctx, metrics.ListQuery{Filter: metrics.Filter{Scope: allScope, InstallationID: in.ID, From: end.AddDate(0, 0, -201)}, Limit: 5000})
	if !has(mo.ID) {
		t.Error("the daily full run did not read an old metric")
	}
}

// TestSyncArgo_FailureLeavesDataAndDeletionWaitsForACompleteRead syncs from
// a simulator with one installation more, then from one without it: while
// the second fails half-way, nothing changes; once it succeeds, the
// installation and its metrics are gone.
func TestSyncArgo_FailureLeavesDataAndDeletionWaitsForACompleteRead(t *testing.T) {
	withExtra, clientA := startArgoSim(t, 1, argoTestDays)
	plain, clientB := startArgoSim(t, 1, argoTestDays)
	base := plain.Argo.Installations()[0]
	extra := simargo.Installation{ID: "0123456789abcdef01234567", ProjectID: base.ProjectID, ProviderID: base.ProviderID,
		Infrastructure: "EuroHPC", Name: "to-be-removed", MetricDefinitionIDs: base.MetricDefinitionIDs[:2]}
	if err := withExtra.Argo.AddInstallation(extra); err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	ctx := context.Background()
	o := ArgoOptions{Now: func() time.Time { return argoNow }}
	if _, err := SyncArgo(ctx, clientA, db, o); err != nil {
		t.Fatal(err)
	}
	before := dumpArgo(t, db)
	if !strings.Contains(before, "to-be-removed") {
		t.Fatal("the extra installation was not synced")
	}
	// Metrics of one project fail: the run fails and removes nothing.
	plain.Argo.Faults().Set(fault.Fault{Mode: fault.Outage, Method: "GET", PathPrefix: "/accounting-system/projects/" + base.ProjectID + "/metrics"})
	if _, err := SyncArgo(ctx, clientB, db, o); err == nil || !strings.Contains(err.Error(), base.ProjectID) {
		t.Fatalf("a failing upstream gave %v", err)
	}
	if after := dumpArgo(t, db); after != before {
		t.Fatal("a failed run changed the cached rows")
	}
	// The whole service down: nothing changes either.
	plain.Argo.Faults().Clear()
	plain.Argo.Faults().Set(fault.Fault{Mode: fault.Outage})
	if _, err := SyncArgo(ctx, clientB, db, o); err == nil {
		t.Fatal("an outage went unnoticed")
	}
	if after := dumpArgo(t, db); after != before {
		t.Fatal("an outage changed the cached rows")
	}
	plain.Argo.Faults().Clear()
	if _, err := SyncArgo(ctx, clientB, db, o); err != nil {
		t.Fatal(err)
	}
	after := dumpArgo(t, db)
	if strings.Contains(after, "to-be-removed") || strings.Contains(after, extra.ID) {
		t.Fatal("the installation gone upstream (or one of its metrics) stayed")
	}
	if got, want := countRows(t, db, "metrics"), plain.Argo.MetricCount(); got != want {
		t.Fatalf("%d metrics cached, the simulator has %d", got, want)
	}
}

// BenchmarkSyncArgo measures a first, full sync from the simulator over
// HTTPS into a fresh database: go test -run x -bench SyncArgo -benchtime 1x ./internal/syncer
func BenchmarkSyncArgo(b *testing.B) {
	for _, scale := range []float64{10, 30} {
		b.Run(fmt.Sprintf("scale=%g", scale), func(b *testing.B) {
			r, client := startArgoSim(b, scale, 0)
			b.ResetTimer()
			var rows int64
			for range b.N {
				b.StopTimer()
				db := openDBB(b)
				b.StartTimer()
				n, err := SyncArgo(context.Background(), client, db, ArgoOptions{Now: func() time.Time { return argoNow }})
				if err != nil {
					b.Fatal(err)
				}
				rows += n
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(r.Argo.MetricCount()), "metrics")
		})
	}
}

var allScope = portal.Scope{All: true}

func openDBB(tb testing.TB) *cache.DB {
	tb.Helper()
	db, err := cache.Open(context.Background(), filepath.Join(tb.TempDir(), "p.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
