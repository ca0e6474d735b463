package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

func TestMetricPush_CreateConflictSettle(t *testing.T) {
	db, now := MustOpen(t)
	ctx := context.Background()
	seedArgo(t, db, 3)
	manageA := portal.Scope{Projects: []string{"a"}}
	start := argoDay0.AddDate(0, 0, 10)
	p := metrics.NewPush{InstallationID: "iA1", DefinitionID: "cpu", Start: start, End: start.Add(time.Hour), Value: decimal.MustParse("4.5"), ValueText: "4.5", Actor: "sub-m", ActorName: "Max"}
	if _, err := db.CreateMetricPush(ctx, manageA, metrics.NewPush{InstallationID: "iB1", DefinitionID: "cpu", Start: start, End: start.Add(time.Hour)}); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("push to another project: %v", err)
	}
	bad := p
	bad.DefinitionID = "nope"
	if _, err := db.CreateMetricPush(ctx, manageA, bad); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("unknown definition: %v", err)
	}
	dup := p
	dup.Start, dup.End = argoDay0, argoDay0.AddDate(0, 0, 1)
	if _, err := db.CreateMetricPush(ctx, manageA, dup); portal.ErrorCode(err) != portal.ECONFLICT || !strings.Contains(err.Error(), "iA1-cpu-0") {
		t.Fatalf("period already cached: %v", err)
	}
	id, err := db.CreateMetricPush(ctx, manageA, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateMetricPush(ctx, manageA, p); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("same period twice: %v", err)
	}
	got, err := db.MetricPushByID(ctx, id, "sub-m")
	if err != nil || got.State != portal.OutboxQueued || got.OutboxID == 0 || got.ProjectName != "Alpha" || got.InstallationName != "alpha-hpc" {
		t.Fatalf("push %+v %v", got, err)
	}
	if _, err := db.MetricPushByID(ctx, id, "someone-else"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("another person's push: %v", err)
	}
	it, _ := db.ClaimOutbox(ctx)
	if it.Kind != portal.KindARGOMetric || it.Ref != metrics.PushRef(id) || !strings.Contains(it.Payload, `"metric_definition_id":"cpu"`) {
		t.Fatalf("outbox item %+v", it)
	}
	if got, _ := db.MetricPushByID(ctx, id, ""); got.State != portal.OutboxSending {
		t.Fatalf("live state %s", got.State)
	}
	*now = now.Add(time.Minute)
	res := `{"metric_id":"m-new","metric_definition_id":"cpu","time_period_start":"2026-01-15T00:00:00Z","time_period_end":"2026-01-15T01:00:00Z","value":4.5}`
	if _, err := db.SettleOutbox(ctx, it.ID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: res}); err != nil {
		t.Fatal(err)
	}
	got, _ = db.MetricPushByID(ctx, id, "")
	if got.State != portal.OutboxDelivered || got.MetricID != "m-new" || got.Error != "" {
		t.Fatalf("delivered push %+v", got)
	}
	var seen sql.NullInt64
	var value float64
	if err := db.r.QueryRow(`SELECT value, seen_gen FROM argo_metrics WHERE id = 'm-new' AND project_id = 'A'`).Scan(&value, &seen); err != nil || value != 4.5 || seen.Valid {
		t.Fatalf("delivered metric in the cache: %v %v %v", value, seen, err)
	}
	trail, _ := db.AuditTrail(ctx, metrics.PushRef(id))
	if len(trail) != 2 || trail[0].To != portal.OutboxQueued || trail[0].ActorName != "Max" || trail[1].From != portal.OutboxQueued || trail[1].To != portal.OutboxDelivered {
		t.Fatalf("trail %+v", trail)
	}
	list, total, _ := db.MetricPushes(ctx, metrics.PushQuery{CreatedBy: "sub-m", Sort: "id", Desc: true})
	if total != 1 || len(list) != 1 || list[0].ID != id {
		t.Fatalf("list %+v", list)
	}
	if _, total, _ := db.MetricPushes(ctx, metrics.PushQuery{CreatedBy: "sub-x"}); total != 0 {
		t.Fatal("someone else sees the push")
	}
	if got.Value.String() != "4.5" || got.ValueText != "4.5" {
		t.Fatal(got.Value)
	}
}

// The push keeps the exact value: in its row, in the outbox payload the
// deliverer sends, and as the list's sort order.
func TestMetricPush_ValueIsExact(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	seedArgo(t, db, 3)
	start := argoDay0.AddDate(0, 0, 10)
	var ids []int64
	for i, v := range []string{"999999999999999.99", "1000000000000000", "999999999999999.98", "0.5"} {
		at := start.Add(time.Duration(i) * time.Hour)
		id, err := db.CreateMetricPush(ctx, portal.Scope{All: true}, metrics.NewPush{InstallationID: "iA1", DefinitionID: "cpu", Start: at,
			End: at.Add(time.Hour), Value: decimal.MustParse(v), ValueText: v, Actor: "sub-m"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	got, err := db.MetricPushByID(ctx, ids[0], "")
	if err != nil || got.Value.String() != "999999999999999.99" || got.ValueText != "999999999999999.99" {
		t.Fatalf("push %+v %v", got, err)
	}
	it, _ := db.ClaimOutbox(ctx)
	var p metrics.Payload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil || !strings.Contains(it.Payload, `"value":"999999999999999.99"`) || p.Value.String() != "999999999999999.99" {
		t.Fatalf("payload %s: %v", it.Payload, err)
	}
	// A payload written before the value was a decimal (a JSON number) reads exactly.
	if err := json.Unmarshal([]byte(`{"value":12.50}`), &p); err != nil || p.Value.String() != "12.50" {
		t.Fatalf("old payload: %v %v", p.Value, err)
	}
	list, _, err := db.MetricPushes(ctx, metrics.PushQuery{Sort: "value"})
	if err != nil || len(list) != 4 || list[0].ValueText != "0.5" || list[3].Value.Cmp(decimal.MustParse("999999999999999.98")) < 0 {
		t.Fatalf("by value: %+v %v", list, err)
	}
	if _, err := db.CreateMetricPush(ctx, portal.Scope{All: true}, metrics.NewPush{InstallationID: "iA1", DefinitionID: "cpu", Start: start.Add(9 * time.Hour),
		End: start.Add(10 * time.Hour), Value: decimal.MustParse("2"), ValueText: "3", Actor: "sub-m"}); err == nil {
		t.Fatal("a push whose text is not its value was stored")
	}
}

// assertRollupsMatch checks that the weekly and monthly totals kept equal
// those computed from the metrics.
func assertRollupsMatch(t *testing.T, db *DB) {
	t.Helper()
	dump := func(q string) string {
		rows, err := db.r.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var g, inst, def, project, provider string
			var period, n int64
			var s float64
			rows.Scan(&g, &inst, &def, &period, &project, &provider, &s, &n)
			fmt.Fprintln(&b, g, inst, def, period, project, provider, math.Round(s*1e6), n)
		}
		return b.String()
	}
	kept := dump(`SELECT granularity, installation_id, definition_id, period, project_id, provider_id, s, n FROM argo_metric_rollups ORDER BY 1, 2, 3, 4`)
	var fresh strings.Builder
	for _, g := range []string{metrics.Monthly, metrics.Weekly} { // the order of the dump above
		b, _ := bucket(g)
		fresh.WriteString(dump(`SELECT '` + g + `', m.installation_id, m.definition_id, ` + b + ` AS period, m.project_id, m.provider_id, SUM(m.value), COUNT(*)
			FROM argo_metrics m GROUP BY m.installation_id, m.definition_id, period ORDER BY 2, 3, 4`))
	}
	if kept != fresh.String() {
		t.Fatalf("the kept weekly and monthly totals differ from the metrics:\nkept:\n%s\nfrom the metrics:\n%s", kept, fresh.String())
	}
	if kept == "" {
		t.Fatal("no rollups")
	}
}

func TestArgoRollups_FollowSyncsMovesAndPushes(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	seedArgo(t, db, 40)
	assertRollupsMatch(t, db)
	// An incremental run changes a value, drops a metric and moves iA2 to project B.
	st, _ := db.BeginArgoSync(ctx)
	e := metrics.Entities{
		Projects:      []metrics.Project{{ID: "A"}, {ID: "B"}},
		Providers:     []metrics.Provider{{ID: "p1"}, {ID: "p2"}},
		Definitions:   []metrics.Definition{{ID: "cpu", Name: "cpu_hours", MetricType: "aggregated"}, {ID: "users", Name: "active_users", MetricType: "count"}},
		Installations: []metrics.Installation{{ID: "iA1", ProjectID: "A", ProviderID: "p1"}, {ID: "iA2", ProjectID: "B", ProviderID: "p2"}, {ID: "iB1", ProjectID: "B", ProviderID: "p1"}},
	}
	db.UpsertArgoEntities(ctx, st.Generation, e)
	from := argoDay0.AddDate(0, 0, 30)
	var ms []metrics.Metric
	for d := 30; d < 40; d++ {
		s := argoDay0.AddDate(0, 0, d)
		if d != 33 {
			ms = append(ms, metrics.Metric{ID: fmt.Sprintf("iA1-cpu-%d", d), InstallationID: "iA1", DefinitionID: "cpu", Start: s, End: s.AddDate(0, 0, 1), Value: 1000})
		}
		ms = append(ms, metrics.Metric{ID: fmt.Sprintf("iA1-users-%d", d), InstallationID: "iA1", DefinitionID: "users", Start: s, End: s.AddDate(0, 0, 1), Value: 5})
	}
	db.UpsertArgoMetrics(ctx, st.Generation, nil, ms)
	if _, err := db.FinishArgoSync(ctx, metrics.Sweep{Generation: st.Generation, Windows: map[string]time.Time{"A": from, "B": time.Time{}}}); err != nil {
		t.Fatal(err)
	}
	// B's window was everything and iA2's and iB1's metrics were not read again: they are gone.
	assertRollupsMatch(t, db)
	// A delivered push updates its periods.
	id, err := db.CreateMetricPush(ctx, portal.Scope{All: true}, metrics.NewPush{InstallationID: "iA1", DefinitionID: "cpu",
		Start: argoDay0.AddDate(0, 0, 2).Add(time.Hour), End: argoDay0.AddDate(0, 0, 2).Add(2 * time.Hour), Value: decimal.NewFromInt(7), ValueText: "7", Actor: "x"})
	if err != nil {
		t.Fatal(err)
	}
	it, _ := db.ClaimOutbox(ctx)
	res := fmt.Sprintf(`{"metric_id":"pushed","metric_definition_id":"cpu","time_period_start":%q,"time_period_end":%q,"value":7}`,
		argoDay0.AddDate(0, 0, 2).Add(time.Hour).Format(time.RFC3339), argoDay0.AddDate(0, 0, 2).Add(2*time.Hour).Format(time.RFC3339))
	if _, err := db.SettleOutbox(ctx, it.ID, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxDelivered, Result: res}); err != nil {
		t.Fatal(err)
	}
	assertRollupsMatch(t, db)
	if p, _ := db.MetricPushByID(ctx, id, ""); p.MetricID != "pushed" {
		t.Fatalf("push %+v", p)
	}
}
