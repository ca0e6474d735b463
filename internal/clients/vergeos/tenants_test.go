package vergeos

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
	simvergeos "github.com/accounting-portal/portal/internal/sim/vergeos"
)

func TestSim_TenantsAndHistory(t *testing.T) {
	sim, c := startSim(t, simvergeos.Options{}, Config{PageSize: 100})
	ctx := context.Background()
	tenants, err := c.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tenants) != len(sim.Tenants()) || tenants[0].Name != sim.Tenants()[0].Name || tenants[0].Key != sim.Tenants()[0].Key {
		t.Fatalf("tenants %v, the simulator has %v", tenants, sim.Tenants())
	}
	key := tenants[0].Key
	since, until := simNow.Add(-72*time.Hour).Unix(), simNow.Unix()
	var got []TenantSample
	pages := 0
	err = c.EachTenantSample(ctx, HistoryLong, key, since, until, func(page []TenantSample) error {
		pages++
		got = append(got, page...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := sim.TenantHistoryLong(key, since, until)
	if len(got) != len(raw) || pages != (len(raw)+99)/100 {
		t.Fatalf("%d samples in %d pages, the simulator has %d", len(got), pages, len(raw))
	}
	for i := range got {
		r := raw[len(raw)-1-i] // newest first
		g := got[i]
		if g.Timestamp != r.Timestamp || g.CoreCount != r.CoreCount || g.RAMUsed != r.RAMUsed || g.Tiers[1].Used != r.TierUsed[1] ||
			g.GPUsUsed != r.GPUsUsed || g.Tenant != key || string(g.Key) == "" {
			t.Fatalf("sample %d: %+v, the simulator has %+v", i, g, r)
		}
	}
	short := 0
	if err := c.EachTenantSample(ctx, HistoryShort, key, 0, until, func(p []TenantSample) error { short += len(p); return nil }); err != nil {
		t.Fatal(err)
	}
	if short != 24*12 {
		t.Fatalf("%d short samples, want a day of 5-minute samples", short)
	}
	st, ok, err := c.CurrentTenantStats(ctx, key)
	if err != nil || !ok || st.Tenant != key || st.RAMUsed <= 0 || st.LastUpdate == 0 {
		t.Fatalf("current stats %+v %v %v", st, ok, err)
	}
	if _, ok, err := c.CurrentTenantStats(ctx, 999); ok || err != nil {
		t.Fatalf("stats of an unknown tenant: %v %v", ok, err)
	}
	if err := c.EachTenantSample(ctx, "billing", key, 0, 0, func([]TenantSample) error { return nil }); err == nil {
		t.Fatal("a table that is not a tenant history was read")
	}
}

func TestDecodeTenantSamples(t *testing.T) {
	// The sample of pyvergeos tests/unit/test_tenant_stats.py, as a single object.
	one := `{"$key": 1, "tenant": 123, "timestamp": 1704067200, "total_cpu": 45, "core_count": 8, "ram_used": 8192,
		"vram_used": 4096, "ram_allocated": 16384, "ram_pct": 50, "ip_count": 5, "tier0_provisioned": 107374182400,
		"tier0_used": 53687091200, "tier0_allocated": 107374182400, "tier0_pct": 50, "gpus_used": 1, "gpus_total": 2, "gpus_pct": 50,
		"vgpus_used": 2, "vgpus_total": 4, "vgpus_pct": 50}`
	got, err := DecodeTenantSamples(nil, []byte(one))
	if err != nil || len(got) != 1 {
		t.Fatal(got, err)
	}
	s := got[0]
	if s.Tenant != 123 || s.CoreCount != 8 || s.Tiers[0].Used != 53687091200 || s.Tiers[1].Used != 0 || s.VGPUsTotal != 4 || s.Key != "1" {
		t.Fatalf("%+v", s)
	}
	for body, want := range map[string]string{
		`[{"timestamp": 5, "ram_used": "x"}]`: "[0]: ram_used: not a number",
		`[{"tenant": 1}]`:                     "[0]: a sample without a timestamp",
		`[1]`:                                 "[0]: expected an object",
		`"x"`:                                 "expected a list of rows",
		`[{"timestamp": 5}] x`:                "not valid JSON",
	} {
		if _, err := DecodeTenantSamples(nil, []byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
	if got, err := DecodeTenantSamples(nil, []byte(" null ")); err != nil || len(got) != 0 {
		t.Fatalf("null body: %v %v", got, err)
	}
	ts, err := DecodeTenants([]byte(`[{"$key": "7", "name": "a"}, {"$key": 8, "name": null}]`))
	if err != nil || len(ts) != 2 || ts[0].Key != 7 || ts[1].Name != "" {
		t.Fatalf("%v %v", ts, err)
	}
	if _, err := DecodeTenants([]byte(`[{"name": "no key"}]`)); err == nil {
		t.Fatal("a tenant without a key was accepted")
	}
}

func TestTenantSamples_OfAnotherTenantAreRefused(t *testing.T) {
	// A server that ignored the tenant filter would mix tenants' usage:
	// the read fails rather than charge one project for another's.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Query().Get("filter"), "tenant eq 1") || r.URL.Query().Get("sort") != "-timestamp" {
			t.Errorf("query %s", r.URL.RawQuery)
		}
		w.Write([]byte(`[{"$key": 1, "tenant": 2, "timestamp": 10}]`))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.EachTenantSample(context.Background(), HistoryShort, 1, 0, 0, func([]TenantSample) error { return nil })
	var pe *portal.Error
	if !errors.As(err, &pe) || pe.Code != portal.EUNAVAILABLE || !strings.Contains(err.Error(), "sample of tenant 2, not 1") {
		t.Fatalf("%v", err)
	}
}

func FuzzDecodeTenantSamples(f *testing.F) {
	for _, s := range []string{`[{"$key":1,"tenant":1,"timestamp":1704067200,"tier0_used":"5"}]`, `{"timestamp":1}`, `null`, `[{"timestamp":null}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := DecodeTenantSamples(nil, b)
		if err == nil {
			for _, s := range got {
				if s.Timestamp <= 0 {
					t.Fatalf("a sample without a timestamp was accepted: %s", b)
				}
			}
		}
		DecodeTenants(b)
	})
}
