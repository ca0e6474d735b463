package syncer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/portal"
)

func TestSyncVergeOSTenants_IncrementalAndNamedTenantsOnly(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 9, 15, 30, 0, 0, time.UTC)}
	sim, client := startVergeOS(t, 1, c.Now, vergeos.Config{PageSize: 1000})
	db := openDB(t)
	ctx := context.Background()
	tenants := sim.Tenants()
	err := db.ReplaceCatalog(ctx, &portal.Catalog{Projects: []portal.CatalogProject{
		{Key: "a", Name: "A", VergeOSTenant: tenants[0].Name}, {Key: "b", Name: "B", VergeOSTenant: "no-such-tenant"}, {Key: "c", Name: "C"}}})
	if err != nil {
		t.Fatal(err)
	}
	rows, earliest, err := SyncVergeOSTenants(ctx, client, db, c.Now())
	if err == nil || !strings.Contains(err.Error(), `VergeOS has no tenant named "no-such-tenant" (project b)`) {
		t.Fatalf("a tenant the file names and VergeOS lacks: %v", err)
	}
	long := sim.TenantHistoryLong(tenants[0].Key, 0, c.Now().Unix())
	if rows != int64(len(long)+24*12) || earliest != long[0].Timestamp {
		t.Fatalf("first run: %d rows from %d; the long history has %d samples from %d", rows, earliest, len(long), long[0].Timestamp)
	}
	// Only the named tenant was read.
	for _, tn := range tenants[1:] {
		if _, ok, _ := db.TenantHighWater(ctx, tn.Key, costs.HistoryLong); ok {
			t.Fatalf("tenant %s was read though no project names it", tn.Name)
		}
	}
	// Five minutes later: the long history is unchanged, one short sample is new.
	c.Add(5 * time.Minute)
	rows, earliest, _ = SyncVergeOSTenants(ctx, client, db, c.Now())
	if rows != 1 || earliest != 0 {
		t.Fatalf("after five minutes: %d rows, earliest %d", rows, earliest)
	}
	// Two hours later: two new hours.
	c.Add(2 * time.Hour)
	rows, earliest, _ = SyncVergeOSTenants(ctx, client, db, c.Now())
	hw, _, _ := db.TenantHighWater(ctx, tenants[0].Key, costs.HistoryLong)
	if earliest != hw-3600 || rows != 2+24 {
		t.Fatalf("after two hours: %d rows from %d (newest %d)", rows, earliest, hw)
	}
	r, ok, cur, err := db.TenantLatest(ctx, tenants[0].Key, costs.HistoryShort)
	if err != nil || !ok || cur.RAMUsed != r.RAMUsed || !cur.LastUpdate.Equal(time.Unix(r.Timestamp, 0)) {
		t.Fatalf("latest %+v %v current %+v %v", r, ok, cur, err)
	}
}

func TestThen_RunsAfterAFailureAndAddsRows(t *testing.T) {
	var ran bool
	j := Then(Job{Upstream: "x", Run: func(context.Context) (int64, error) { return 3, context.DeadlineExceeded }},
		func(context.Context) (int64, error) { ran = true; return 2, nil })
	n, err := j.Run(context.Background())
	if !ran || n != 5 || err == nil {
		t.Fatalf("%d %v %v", n, err, ran)
	}
}
