package cache_test

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/sim/simtls"
	simvergeos "github.com/accounting-portal/portal/internal/sim/vergeos"
	"github.com/accounting-portal/portal/internal/sim/world"
	"github.com/accounting-portal/portal/internal/syncer"
)

const gib = int64(1) << 30

// store upserts client records and returns them newest first (created,
// then key, descending): the order the summary's "newest" tie-break uses.
func store(t testing.TB, db *cache.DB, recs []vergeos.BillingRecord) {
	t.Helper()
	batch := make([]billing.Record, len(recs))
	for i := range recs {
		batch[i] = syncer.BillingRecordFromVergeOS(&recs[i])
	}
	if _, err := db.UpsertBillingRecords(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
}

// TestBillingSummary_HandComputed checks the SQL summary against figures
// worked out by hand for three records.
func TestBillingSummary_HandComputed(t *testing.T) {
	db, _ := cache.MustOpen(t)
	rec := func(key, created, cores, ramMB, t0, t1, gpus, vgpus, vgpusTotal int64) vergeos.BillingRecord {
		r := vergeos.BillingRecord{Key: vergeos.KeyOf(key), Created: created, From: created - 3600, To: created,
			UsedCores: cores, TotalCores: 16, UsedRAM: ramMB, TotalRAM: 4096, GPUs: gpus, GPUsTotal: 4, VGPUs: vgpus, VGPUsTotal: vgpusTotal}
		r.Tiers[0] = vergeos.Tier{Used: t0 * gib, Total: 4 * gib}
		r.Tiers[1] = vergeos.Tier{Used: t1 * gib, Total: 4 * gib}
		return r
	}
	store(t, db, []vergeos.BillingRecord{
		rec(1, 3600, 8, 1024, 1, 0, 1, 0, 0),  // CPU 50 %, RAM 25 %, storage 1 of 8 GiB, GPU 25 %, no vGPUs
		rec(2, 7200, 12, 2048, 2, 1, 2, 2, 8), // 75 %, 50 %, 3 of 8 GiB, 50 %, 25 %
		rec(3, 10800, 4, 3072, 3, 0, 3, 4, 8), // 25 %, 75 %, 3 of 8 GiB, 75 %, 50 %
	})
	s, err := db.BillingSummary(context.Background(), time.Unix(0, 0), time.Unix(10800, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{
		"records":             {float64(s.RecordCount), 3},
		"avg CPU %":           {s.AvgCPUUtilization, 50},
		"peak CPU %":          {s.PeakCPUUtilization, 75},
		"peak cores":          {float64(s.PeakCPUCores), 12},
		"avg RAM %":           {s.AvgRAMUtilization, 50},
		"peak RAM %":          {s.PeakRAMUtilization, 75},
		"peak RAM GiB":        {s.PeakRAMGiB, 3},
		"avg storage GiB":     {s.AvgStorageUsedGiB, 7.0 / 3},
		"peak storage GiB":    {s.PeakStorageUsedGiB, 3},
		"avg storage %":       {s.AvgStorageUtilization, (12.5 + 37.5 + 37.5) / 3},
		"peak storage %":      {s.PeakStorageUtilization, 37.5},
		"avg GPU %":           {s.AvgGPUUtilization, 50},
		"peak GPU %":          {s.PeakGPUUtilization, 75},
		"avg GPUs":            {s.AvgGPUsUsed, 2},
		"GPUs":                {float64(s.TotalGPUs), 4},
		"avg vGPU %":          {s.AvgVGPUUtilization, 25},
		"peak vGPU %":         {s.PeakVGPUUtilization, 50},
		"avg vGPUs":           {s.AvgVGPUsUsed, 2},
		"vGPUs":               {float64(s.TotalVGPUs), 8},
		"tier 0 used":         {float64(s.Tiers[0].Used), float64(3 * gib)},
		"tier 0 %":            {s.Tiers[0].Percent, 75},
		"tier 0 avg used":     {s.Tiers[0].AvgUsed, float64(2 * gib)},
		"tier 0 peak used":    {float64(s.Tiers[0].PeakUsed), float64(3 * gib)},
		"tier 1 % (newest)":   {s.Tiers[1].Percent, 0},
		"tier 1 avg used":     {s.Tiers[1].AvgUsed, float64(gib) / 3},
		"tier 1 peak used":    {float64(s.Tiers[1].PeakUsed), float64(gib)},
		"tier 2 total":        {float64(s.Tiers[2].Total), 0},
		"last created":        {float64(s.LastCreated), 10800},
		"first created":       {float64(s.FirstCreated), 3600},
		"newest record's key": {float64(len(s.Newest.Key)), 1},
	}
	for name, v := range want {
		if math.Abs(v[0]-v[1]) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, v[0], v[1])
		}
	}
	if s.Newest.Key != "3" {
		t.Errorf("newest record %q", s.Newest.Key)
	}
	// The period selects by the billed period's start: [0, 7200) holds records 1 and 2.
	part, _ := db.BillingSummary(context.Background(), time.Unix(0, 0), time.Unix(7200, 0))
	if part.RecordCount != 2 || part.AvgCPUUtilization != 62.5 || part.Newest.Key != "2" {
		t.Errorf("part of the range: %d records, CPU %v, newest %q", part.RecordCount, part.AvgCPUUtilization, part.Newest.Key)
	}
	none, err := db.BillingSummary(context.Background(), time.Unix(20000, 0), time.Unix(30000, 0))
	if err != nil || none.RecordCount != 0 || none.Newest.Key != "" {
		t.Errorf("an empty range: %+v %v", none, err)
	}
}

// randomRecords makes n records with awkward values: ties in created,
// missing capacities (zero totals), idle systems and petabyte tiers.
func randomRecords(seed uint64, n int, start int64) []vergeos.BillingRecord {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]vergeos.BillingRecord, n)
	created := start
	for i := range out {
		if rng.IntN(10) != 0 { // one in ten shares the previous record's second
			created += int64(1 + rng.IntN(7200))
		}
		r := vergeos.BillingRecord{Key: vergeos.KeyOf(int64(i + 1)), Created: created, From: created - 3600, To: created - 2,
			TotalCores: int64(rng.IntN(3) * 64), TotalRAM: int64(rng.IntN(3)) * 524288, GPUsTotal: int64(rng.IntN(5)), VGPUsTotal: int64(rng.IntN(17))}
		r.UsedCores = rng.Int64N(r.TotalCores + 1)
		r.UsedRAM = rng.Int64N(r.TotalRAM + 1)
		r.GPUs, r.VGPUs = rng.Int64N(r.GPUsTotal+1), rng.Int64N(r.VGPUsTotal+1)
		for t := range 4 {
			total := rng.Int64N(1 << 50)
			r.Tiers[t] = vergeos.Tier{Used: rng.Int64N(total + 1), Total: total}
		}
		out[i] = r
	}
	return out
}

// TestBillingSummary_EqualsSDKSummary checks that the SQL aggregates are
// vergeos.Summarize's figures for the same records. Per-record values and
// peaks are the same IEEE operations, so they must be equal; averages are
// sums of floats, which SQLite adds with compensated (Kahan–Babuška)
// summation and Summarize adds naively, so they agree to rounding (1e-12
// relative), SQLite's being the more exact.
func TestBillingSummary_EqualsSDKSummary(t *testing.T) {
	db, _ := cache.MustOpen(t)
	start := int64(1_700_000_000)
	recs := randomRecords(42, 3000, start)
	store(t, db, recs)
	// The period [from, to) by the billed period's start; Summarize gets the
	// same records newest first, as the SDK lists them.
	from, to := time.Unix(recs[200].From, 0), time.Unix(recs[2800].From, 0)
	var in []vergeos.BillingRecord
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].From >= from.Unix() && recs[i].From < to.Unix() {
			in = append(in, recs[i])
		}
	}
	sdk := vergeos.Summarize(in)
	got, err := db.BillingSummary(context.Background(), from, to)
	if err != nil {
		t.Fatal(err)
	}
	compareSummary(t, got, sdk)
}

// compareSummary fails t where the cache's summary differs from the SDK's.
func compareSummary(t testing.TB, got billing.Summary, sdk vergeos.Summary) {
	t.Helper()
	if got.RecordCount != int64(sdk.RecordCount) {
		t.Fatalf("%d records, Summarize counted %d", got.RecordCount, sdk.RecordCount)
	}
	exact := map[string][2]float64{
		"peak CPU %": {got.PeakCPUUtilization, sdk.PeakCPUUtilization}, "peak cores": {float64(got.PeakCPUCores), float64(sdk.PeakCPUCores)},
		"peak RAM %": {got.PeakRAMUtilization, sdk.PeakRAMUtilization}, "peak RAM GiB": {got.PeakRAMGiB, sdk.PeakRAMGiB},
		"peak storage GiB": {got.PeakStorageUsedGiB, sdk.PeakStorageUsedGiB}, "peak storage %": {got.PeakStorageUtilization, sdk.PeakStorageUtilization},
		"peak GPU %": {got.PeakGPUUtilization, sdk.PeakGPUUtilization}, "peak vGPU %": {got.PeakVGPUUtilization, sdk.PeakVGPUUtilization},
		"GPUs": {float64(got.TotalGPUs), float64(sdk.TotalGPUs)}, "vGPUs": {float64(got.TotalVGPUs), float64(sdk.TotalVGPUs)},
		"avg GPUs": {got.AvgGPUsUsed, sdk.AvgGPUsUsed}, "avg vGPUs": {got.AvgVGPUsUsed, sdk.AvgVGPUsUsed},
		"first created": {float64(got.FirstCreated), float64(sdk.FirstCreated)}, "last created": {float64(got.LastCreated), float64(sdk.LastCreated)},
	}
	close := map[string][2]float64{
		"avg CPU %": {got.AvgCPUUtilization, sdk.AvgCPUUtilization}, "avg RAM %": {got.AvgRAMUtilization, sdk.AvgRAMUtilization},
		"avg storage GiB": {got.AvgStorageUsedGiB, sdk.AvgStorageUsedGiB}, "avg storage %": {got.AvgStorageUtilization, sdk.AvgStorageUtilization},
		"avg GPU %": {got.AvgGPUUtilization, sdk.AvgGPUUtilization}, "avg vGPU %": {got.AvgVGPUUtilization, sdk.AvgVGPUUtilization},
	}
	for tier := range billing.Tiers {
		n := "tier " + strconv.Itoa(tier)
		g, w := got.Tiers[tier], sdk.Tiers[tier]
		exact[n+" used"] = [2]float64{float64(g.Used), float64(w.Used)}
		exact[n+" total"] = [2]float64{float64(g.Total), float64(w.Total)}
		exact[n+" %"] = [2]float64{g.Percent, w.Percent}
		exact[n+" peak"] = [2]float64{float64(g.PeakUsed), float64(w.PeakUsed)}
		close[n+" avg"] = [2]float64{g.AvgUsed, w.AvgUsed}
	}
	for name, v := range exact {
		if v[0] != v[1] {
			t.Errorf("%s = %v, Summarize says %v", name, v[0], v[1])
		}
	}
	for name, v := range close {
		if math.Abs(v[0]-v[1]) > 1e-12*math.Max(math.Abs(v[1]), 1) {
			t.Errorf("%s = %v, Summarize says %v", name, v[0], v[1])
		}
	}
	if got.Newest.Key != string(sdk.Newest.Key) {
		t.Errorf("newest record %q, Summarize picked %q", got.Newest.Key, sdk.Newest.Key)
	}
}

// TestBillingSummary_EqualsSDKSummaryOnSimulatedHistory syncs the
// simulator's 90 days and compares the SQL summary of several periods with
// Summarize over the same records read straight from VergeOS.
func TestBillingSummary_EqualsSDKSummaryOnSimulatedHistory(t *testing.T) {
	now := time.Date(2026, 3, 9, 15, 30, 0, 0, time.UTC)
	sim := simvergeos.New(simvergeos.Options{World: world.New(5, 1), Now: func() time.Time { return now }})
	sim.Generate() // a record generated on request overlaps the last hour
	ca, err := simtls.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = ca.ServerConfig()
	srv.StartTLS()
	defer srv.Close()
	client, err := vergeos.New(vergeos.Config{BaseURL: srv.URL, APIKey: sim.APIKey(), PageSize: vergeos.MaxPageSize,
		HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}})
	if err != nil {
		t.Fatal(err)
	}
	db, _ := cache.MustOpen(t)
	ctx := context.Background()
	if _, err := syncer.SyncVergeOS(ctx, client, db); err != nil {
		t.Fatal(err)
	}
	all, err := client.ListCreated(ctx, vergeos.Window{Order: vergeos.NewestFirst})
	if err != nil {
		t.Fatal(err)
	}
	for _, days := range []int{1, 7, 30, 365} {
		from, to := now.Add(-time.Duration(days)*24*time.Hour), now
		var in []vergeos.BillingRecord
		for _, r := range all {
			if r.From >= from.Unix() && r.From < to.Unix() {
				in = append(in, r)
			}
		}
		got, err := db.BillingSummary(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(strconv.Itoa(days)+"d", func(t *testing.T) { compareSummary(t, got, vergeos.Summarize(in)) })
	}
}
