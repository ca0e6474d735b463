package cache

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

const lab = "0b6f7d0e-3c8a-4f0e-9a51-3e4c2b1d9f10"

// seedCosts fills a database with a catalogue of two projects and a month
// of usage in every upstream's tables: the first project has the tenant
// "t1" (16 cores all month, 2 GPUs in use from the 20th), an OBI project,
// an ARGO installation and AMIE records.
func seedCosts(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	c := &portal.Catalog{VirtualLabs: []portal.VirtualLab{{ID: lab, Name: "Lab"}},
		Projects: []portal.CatalogProject{
			{Key: "p1", Name: "Project one", ArgoID: "P1", OBIID: "5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71", OBIVlabID: lab, AMIEID: "TG-1", VergeOSTenant: "t1"},
			{Key: "p2", Name: "Project two", ArgoID: "P2"},
		}}
	if err := db.ReplaceCatalog(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertVergeOSTenants(ctx, []costs.Tenant{{Key: 7, Name: "t1"}, {Key: 8, Name: "other"}}); err != nil {
		t.Fatal(err)
	}
	var rs []costs.TenantReading
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix()
	for h := int64(1); h <= 31*24; h++ {
		r := costs.TenantReading{TenantKey: 7, History: costs.HistoryLong, Timestamp: start + h*3600, CoreCount: 16, RAMUsed: 2048}
		if h > 19*24 {
			r.GPUsUsed = 2
		}
		rs = append(rs, r)
	}
	if _, _, err := db.UpsertTenantSamples(ctx, rs); err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.w.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO argo_projects(id, seen_gen) VALUES ('P1', 1), ('P2', 1)`)
	exec(`INSERT INTO argo_providers(id, seen_gen) VALUES ('prov', 1)`)
	exec(`INSERT INTO argo_metric_definitions(id, name, unit_type, metric_type, seen_gen) VALUES ('d1', 'cpu_hours', 'CPU Time', 'aggregated', 1), ('d2', 'users', '#', 'count', 1)`)
	exec(`INSERT INTO argo_installations(id, project_id, provider_id, installation, seen_gen) VALUES ('i1', 'P1', 'prov', 'hpc-1', 1), ('i2', 'P2', 'prov', 'hpc-2', 1)`)
	for d := int64(0); d < 31; d++ {
		day := start + d*86400
		exec(`INSERT INTO argo_metrics(id, installation_id, project_id, provider_id, definition_id, start, end, value) VALUES (?, 'i1', 'P1', 'prov', 'd1', ?, ?, 100.5)`,
			"m"+itoa(d), day, day+86400)
		exec(`INSERT INTO argo_metrics(id, installation_id, project_id, provider_id, definition_id, start, end, value) VALUES (?, 'i1', 'P1', 'prov', 'd2', ?, ?, 7)`,
			"u"+itoa(d), day, day+86400)
		exec(`INSERT INTO obi_spend_total(proj_id, day, amount) VALUES ('5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71', ?, '12.5')`, day)
		exec(`INSERT INTO obi_spend_daily(proj_id, day, type, amount, jobs) VALUES ('5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71', ?, 'oneshot', '12.5', 3)`, day)
	}
	exec(`INSERT INTO argo_project_windows(project_id, newest) VALUES ('P1', ?), ('P2', ?)`, start+30*86400, start+30*86400)
	exec(`INSERT INTO obi_job_cursor(proj_id, watermark, full_at) VALUES ('5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71', ?, 1)`, start+30*86400)
	exec(`INSERT INTO obi_project_balances(proj_id, vlab_id, balance, reservation) VALUES ('5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71', ?, '1000', '0')`, lab)
	exec(`INSERT INTO usage_uploads(id, usage_type, filename, state, created_by, created_at, updated_at) VALUES (1, 'Compute', 'a.csv', 'delivered', 'm', 0, 0)`)
	for i, r := range []struct {
		id, outcome string
		day         int64
		charge      string
	}{{"r1", "accepted", 2, "10"}, {"r2", "accepted", 2, "5.5"}, {"r3", "refused", 3, "99"}, {"r4", "accepted", 4, "7"}, {"r5", "pending", 5, "1"}} {
		exec(`INSERT INTO usage_upload_records(upload_id, seq, line, chunk, local_record_id, resource, local_project_id, username, start_time, end_time, charge, outcome)
			VALUES (1, ?, ?, 0, ?, 'lynx', 'TG-1', 'u', ?, ?, ?, ?)`, i, i+2, r.id, start+r.day*86400+60, start+r.day*86400+3660, r.charge, r.outcome)
	}
	// r4 failed in AMIE's processing: not charged.
	exec(`INSERT INTO amie_failed(failed_id, usage_type, error, resource, local_project_id, local_record_id, username, start_time, end_time, charge, raw, digest)
		VALUES (9, 'Compute', 'Unknown user', 'lynx', 'TG-1', 'r4', 'u', 0, 0, '7', '{}', 0)`)
}

func itoa(n int64) string { return decimal.NewFromInt(n).String() }

func maintainAll(t *testing.T, db *DB, hint time.Time) map[string]costs.LedgerUpdate {
	t.Helper()
	out := map[string]costs.LedgerUpdate{}
	for _, s := range costs.Sources {
		h := time.Time{}
		if s == portal.UpstreamVergeOS {
			h = hint
		}
		up, err := db.MaintainLedger(context.Background(), s, "EUR", h)
		if err != nil {
			t.Fatal(err)
		}
		out[s] = up
	}
	return out
}

func mday(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }

func TestLedger_MaintainPriceAndRepriceExactlyTheDaysAffected(t *testing.T) {
	db, now := MustOpen(t)
	*now = time.Date(2026, 4, 2, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	seedCosts(t, db)
	ch, err := db.AddFX(ctx, "EUR", costs.NewFX{Currency: "CHF", PerBase: decimal.MustParse("0.94"), ValidFrom: mday(1)}, "admin", "Ada")
	if err != nil || ch.FX != 1 || ch.Repriced != 0 {
		t.Fatalf("%+v %v", ch, err)
	}
	if _, err := db.AddRate(ctx, "EUR", costs.NewRate{Source: "vergeos", Measure: costs.MeasureCoreHours, Scope: "*", Price: decimal.MustParse("0.012"),
		Currency: "CHF", ValidFrom: mday(1)}, "admin", "Ada"); err != nil {
		t.Fatal(err)
	}
	ups := maintainAll(t, db, time.Unix(1, 0))
	// 31 days × (cores, RAM) + 12 days of GPUs; ARGO 31 days × 2 definitions; AMIE 1 day (r1, r2);
	// OBI 31 days.
	for s, want := range map[string]int64{"vergeos": 31*2 + 12, "argo": 62, "amie": 1, "obi": 31} {
		if ups[s].Written != want || !ups[s].From.IsZero() {
			t.Errorf("%s: %+v, want %d lines written by a full maintenance", s, ups[s], want)
		}
	}
	name, lines, err := db.LedgerLines(ctx, portal.Scope{Projects: []string{"p1"}}, "p1", mday(1), mday(1).AddDate(0, 1, 0))
	if err != nil || name != "Project one" {
		t.Fatal(name, err)
	}
	st := costs.BuildStatement("p1", name, mday(1), "EUR", lines)
	if len(st.Lines) != 1 || st.Lines[0].Quantity.String() != "11904" || st.Lines[0].Charged.String() != "151.97" {
		t.Fatalf("lines %+v", st.Lines)
	}
	var amie costs.UnpricedLine
	for _, u := range st.Unpriced {
		if u.Source == "amie" {
			amie = u
		}
	}
	if len(st.Unpriced) != 6 || amie.Quantity.String() != "15.5" || !strings.Contains(amie.Reason, "no rate prices") {
		t.Fatalf("unpriced %+v", st.Unpriced)
	}

	// A new core-hour price from the 15th: exactly the 17 days from then are priced again.
	before := pricedAt(t, db)
	*now = now.Add(time.Hour)
	ch, err = db.AddRate(ctx, "EUR", costs.NewRate{Source: "vergeos", Measure: costs.MeasureCoreHours, Scope: "*", Price: decimal.MustParse("0.015"),
		Currency: "CHF", ValidFrom: mday(15)}, "admin", "Ada")
	if err != nil || ch.Repriced != 17 || !ch.FirstDay.Equal(mday(15)) || !ch.LastDay.Equal(mday(31)) {
		t.Fatalf("%+v %v", ch, err)
	}
	after := pricedAt(t, db)
	for k, at := range after {
		changed := at != before[k]
		want := strings.Contains(k, "|vergeos|cpu_core_hours|") && k[3:13] >= "2026-03-15"
		if changed != want {
			t.Errorf("%s: repriced %v, want %v", k, changed, want)
		}
	}
	_, lines, _ = db.LedgerLines(ctx, portal.Scope{All: true}, "p1", mday(1), mday(1).AddDate(0, 1, 0))
	st = costs.BuildStatement("p1", name, mday(1), "EUR", lines)
	// 14 × 384 × 0.012 / 0.94 and 17 × 384 × 0.015 / 0.94.
	if len(st.Lines) != 2 || st.Lines[0].Charged.String() != "68.63" || st.Lines[1].Charged.String() != "104.17" || st.Total.String() != "172.80" {
		t.Fatalf("%+v", st.Lines)
	}

	// A correction of the CHF rate from the 20th prices again only the CHF lines from then.
	ch, err = db.AddFX(ctx, "EUR", costs.NewFX{Currency: "CHF", PerBase: decimal.MustParse("0.96"), ValidFrom: mday(20)}, "admin", "Ada")
	if err != nil || ch.Repriced != 12 || !ch.FirstDay.Equal(mday(20)) {
		t.Fatalf("%+v %v", ch, err)
	}

	// Nothing new upstream: nothing written.
	ups = maintainAll(t, db, time.Time{})
	for s, up := range ups {
		if up.Written != 0 || up.Removed != 0 {
			t.Errorf("%s: %+v after no change", s, up)
		}
	}
	if !ups["vergeos"].Skipped || ups["argo"].From.IsZero() || !ups["argo"].From.Equal(mday(31).Add(-argoLedgerMargin)) {
		t.Errorf("windows: %+v %+v", ups["vergeos"], ups["argo"])
	}

	// A new hour of the tenant: only its day is recomputed.
	w, earliest, err := db.UpsertTenantSamples(ctx, []costs.TenantReading{{TenantKey: 7, History: costs.HistoryLong, Timestamp: mday(1).AddDate(0, 1, 0).Unix() + 2*3600, CoreCount: 32}})
	if err != nil || w != 1 {
		t.Fatal(w, err)
	}
	up, err := db.MaintainLedger(ctx, "vergeos", "EUR", time.Unix(earliest, 0))
	if err != nil || up.Written != 1 || !up.From.Equal(mday(31).AddDate(0, 0, 1)) {
		t.Fatalf("%+v %v", up, err)
	}
	// Re-reading the same sample writes nothing.
	if w, _, _ := db.UpsertTenantSamples(ctx, []costs.TenantReading{{TenantKey: 7, History: costs.HistoryLong, Timestamp: mday(1).AddDate(0, 1, 0).Unix() + 2*3600, CoreCount: 32}}); w != 0 {
		t.Fatalf("an unchanged sample was written again")
	}

	// A manager of another project sees none of it.
	if _, _, err := db.LedgerLines(ctx, portal.Scope{Projects: []string{"p2"}}, "p1", mday(1), mday(31)); !isNotFound(err) {
		t.Fatalf("%v", err)
	}
	// The catalogue changing recomputes everything (a tenant may have moved).
	if err := db.ReplaceCatalog(ctx, &portal.Catalog{VirtualLabs: []portal.VirtualLab{{ID: lab, Name: "Lab"}}, Projects: []portal.CatalogProject{{Key: "p2", Name: "Two", VergeOSTenant: "t1"}}}); err != nil {
		t.Fatal(err)
	}
	up, err = db.MaintainLedger(ctx, "vergeos", "EUR", time.Time{})
	if err != nil || !up.From.IsZero() || up.Removed != 31*2+12+1 {
		t.Fatalf("%+v %v", up, err)
	}
}

func isNotFound(err error) bool {
	var pe *portal.Error
	return errors.As(err, &pe) && pe.Code == portal.ENOTFOUND
}

// pricedAt maps every ledger line to when its pricing last changed.
func pricedAt(t *testing.T, db *DB) map[string]int64 {
	t.Helper()
	rows, err := db.r.Query(`SELECT project_key, day, source, measure, scope, priced_at FROM cost_ledger`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var p, s, m, sc string
		var d, at int64
		rows.Scan(&p, &d, &s, &m, &sc, &at)
		out[p+"|"+time.Unix(d, 0).UTC().Format("2006-01-02")+"|"+s+"|"+m+"|"+sc] = at
	}
	return out
}

func TestImportCard_AddsOnlyWhatIsNew(t *testing.T) {
	db, _ := MustOpen(t)
	ctx := context.Background()
	rates := []costs.NewRate{{Source: "obi", Measure: "credits", Scope: "*", Price: decimal.MustParse("0.05"), Currency: "EUR", ValidFrom: mday(1)}}
	fx := []costs.NewFX{{Currency: "USD", PerBase: decimal.MustParse("1.08"), ValidFrom: mday(1)}}
	ch, err := db.ImportCard(ctx, "EUR", rates, fx, "admin", "Ada")
	if err != nil || ch.Rates != 1 || ch.FX != 1 || ch.Skipped != 0 {
		t.Fatalf("%+v %v", ch, err)
	}
	ch, err = db.ImportCard(ctx, "EUR", rates, fx, "admin", "Ada")
	if err != nil || ch.Rates != 0 || ch.FX != 0 || ch.Skipped != 2 {
		t.Fatalf("second import %+v %v", ch, err)
	}
	tb, err := db.RateTable(ctx, "EUR")
	if err != nil || len(tb.Rates) != 1 || len(tb.FX) != 1 || tb.Rates[0].CreatedByName != "Ada" {
		t.Fatalf("%+v %v", tb, err)
	}
	trail, _ := db.AuditTrail(ctx, "cost_rate:1", "cost_fx:1")
	if len(trail) != 2 {
		t.Fatalf("audit %+v", trail)
	}
}

func TestBudgetsAndProjectReads(t *testing.T) {
	db, now := MustOpen(t)
	*now = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	seedCosts(t, db)
	maintainAll(t, db, time.Unix(1, 0))
	b := costs.Budget{Project: "p1", Period: costs.Period{Kind: "month", Start: mday(1)}, Amount: decimal.MustParse("500"), SetBy: "admin", SetByName: "Ada"}
	if err := db.SetBudget(ctx, b); err != nil {
		t.Fatal(err)
	}
	b.Amount = decimal.MustParse("600")
	if err := db.SetBudget(ctx, b); err != nil {
		t.Fatal(err)
	}
	bs, err := db.Budgets(ctx, portal.Scope{Projects: []string{"p1"}}, "")
	if err != nil || len(bs) != 1 || bs[0].Amount.String() != "600" {
		t.Fatalf("%+v %v", bs, err)
	}
	if bs, _ := db.Budgets(ctx, portal.Scope{Projects: []string{"p2"}}, ""); len(bs) != 0 {
		t.Fatal("another project's budget is visible")
	}
	trail, _ := db.AuditTrail(ctx, "cost_budget:p1:month:2026-03")
	if len(trail) != 2 || trail[1].From != "500" || trail[1].To != "600" {
		t.Fatalf("%+v", trail)
	}
	p, err := db.CostProject(ctx, portal.Scope{Projects: []string{"p1"}}, "p1")
	if err != nil || p.Tenant != "t1" || p.TenantKey != 7 || p.LabName != "Lab" || p.AMIEID != "TG-1" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := db.CostProject(ctx, portal.Scope{Projects: []string{"p2"}}, "p1"); !isNotFound(err) {
		t.Fatal(err)
	}
	obi, err := db.ProjectOBI(ctx, p.OBIID, mday(1), mday(1).AddDate(0, 1, 0), *now)
	if err != nil || !obi.Known || obi.Spent.String() != "387.5" || obi.Jobs != 93 || obi.Burn.String() != "12.500000" || !obi.RunOut.Equal(mday(31).AddDate(0, 0, 80)) {
		t.Fatalf("%+v %v", obi, err)
	}
	tot, err := db.ProjectArgoTotals(ctx, "P1", mday(1), mday(1).AddDate(0, 1, 0))
	if err != nil || len(tot) != 2 || tot[0].Definition != "cpu_hours" || tot[0].Total.String() != "3115.5" || tot[1].Total.String() != "7" {
		t.Fatalf("%+v %v", tot, err)
	}
	recs, counts, err := db.ProjectAMIERecords(ctx, "TG-1", mday(1), mday(1).AddDate(0, 1, 0), 3)
	if err != nil || len(recs) != 3 || counts["charged"] != 2 || counts["failed"] != 1 || counts["refused"] != 1 || counts["pending"] != 1 {
		t.Fatalf("%+v %v %v", recs, counts, err)
	}
	checks, err := db.SourceChecks(ctx, portal.Scope{All: true}, mday(1), mday(1).AddDate(0, 1, 0), decimal.MustParse("5"))
	if err != nil || len(checks) != 2 {
		t.Fatal(checks, err)
	}
	// p1 sent 22.5 SUs (r1, r2 and r4, which AMIE took) against 3115.5 cpu_hours.
	if c := checks[0]; c.Project != "p1" || c.AMIE.String() != "22.5" || c.Argo.String() != "3115.5" || !c.Flagged {
		t.Fatalf("%+v", c)
	}
	pcs, err := db.CostsByProject(ctx, portal.Scope{All: true}, mday(1))
	if err != nil || len(pcs) != 2 || pcs[0].UnpricedLines == 0 || pcs[0].Lines != 31*2+12+62+1+31 {
		t.Fatalf("%+v %v", pcs, err)
	}
}
