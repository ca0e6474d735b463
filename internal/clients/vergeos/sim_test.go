package vergeos

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/internal/sim/simtls"
	simvergeos "github.com/accounting-portal/portal/internal/sim/vergeos"
	"github.com/accounting-portal/portal/internal/sim/world"
)

var simNow = time.Date(2026, 3, 9, 15, 30, 0, 0, time.UTC)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// startSim serves a simulator over HTTPS with the simtls CA and returns a
// client for it (Basic auth, or Bearer when bearer is set).
func startSim(t testing.TB, opts simvergeos.Options, cfg Config) (*simvergeos.Server, *Client) {
	t.Helper()
	if opts.World == nil {
		opts.World = world.New(1, 1)
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return simNow }
	}
	sim := simvergeos.New(opts)
	ca, err := simtls.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = ca.ServerConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}}
	if cfg.APIKey == "" {
		cfg.User, cfg.Password = sim.User(), sim.Password()
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sim, c
}

func TestSim_SystemAndVersion(t *testing.T) {
	_, c := startSim(t, simvergeos.Options{}, Config{APIKey: simvergeos.DefaultAPIKey})
	info, err := c.System(context.Background())
	if err != nil || info.Key != "1" || info.OSVersion == "" || info.CloudName == "" {
		t.Fatalf("%v %+v", err, info)
	}
	if v, err := c.Version(context.Background()); err != nil || v[:3] != "26." {
		t.Fatalf("version %q %v", v, err)
	}
	_, bad := startSim(t, simvergeos.Options{}, Config{APIKey: "wrong"})
	if _, err := bad.System(context.Background()); portal.ErrorCode(err) != portal.EUNAUTHORIZED {
		t.Fatalf("wrong key: %v", err)
	}
}

func TestSim_WindowsPagingAndOrder(t *testing.T) {
	sim, c := startSim(t, simvergeos.Options{}, Config{PageSize: 7})
	_, whole := startSim(t, simvergeos.Options{}, Config{PageSize: MaxPageSize})
	ctx := context.Background()
	all, err := whole.ListCreated(ctx, Window{Order: OldestFirst})
	if err != nil || int64(len(all)) != sim.RecordCount() {
		t.Fatalf("%v: %d records, simulator has %d", err, len(all), sim.RecordCount())
	}
	for i := 1; i < len(all); i++ {
		if all[i].Created <= all[i-1].Created {
			t.Fatalf("oldest first broken at %d", i)
		}
	}
	// An inclusive window on exact created values, through pages of 7.
	since, until := all[100].CreatedAt(), all[150].CreatedAt()
	got, err := c.ListCreated(ctx, Window{Since: since, Until: until})
	if err != nil || len(got) != 51 || got[0] != all[150] || got[50] != all[100] {
		t.Fatalf("%v: %d records", err, len(got))
	}
	pages := 0
	err = c.EachCreated(ctx, Window{Since: since, Until: until, Order: OldestFirst}, func(page []BillingRecord) error {
		pages++
		if len(page) > 7 {
			t.Fatalf("page of %d", len(page))
		}
		return nil
	})
	if err != nil || pages != 8 { // 51 = 7×7 + 2
		t.Fatalf("%v: %d pages", err, pages)
	}
	latest, err := c.Latest(ctx)
	if err != nil || latest != all[len(all)-1] {
		t.Fatalf("latest %v %+v", err, latest)
	}
	one, err := c.Get(ctx, all[42].Key)
	if err != nil || one != all[42] {
		t.Fatalf("get %v %+v", err, one)
	}
	if _, err := c.Get(ctx, "999999"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Fatalf("missing key: %v", err)
	}
	// Every record has all the documented values.
	for _, r := range all {
		if r.TotalCores == 0 || r.TotalRAM == 0 || r.Tiers[0].Total == 0 || r.GPUsTotal == 0 || r.To-r.From != 3600 || r.WorkloadDatapoints == 0 {
			t.Fatalf("incomplete record %+v", r)
		}
	}
}

func TestSim_IncrementalSyncSeesGenerated(t *testing.T) {
	clk := &testClock{t: simNow}
	_, c := startSim(t, simvergeos.Options{Now: clk.Now}, Config{PageSize: 500})
	ctx := context.Background()
	var hwm int64
	var n int
	pull := func() {
		t.Helper()
		err := c.EachNewer(ctx, hwm, func(page []BillingRecord) error {
			for _, r := range page {
				if r.Created <= hwm {
					t.Fatalf("record %s created %d at or before the mark %d", r.Key, r.Created, hwm)
				}
				hwm = r.Created
				n++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	pull()
	if n != 90*24 {
		t.Fatalf("first sync: %d records", n)
	}
	clk.Add(time.Minute)
	g, err := c.Generate(ctx)
	if err != nil || g.Status != 201 || g.Table() != "billing_actions" || g.Key == "" {
		t.Fatalf("generate %v %+v", err, g)
	}
	pull()
	if n != 90*24+1 {
		t.Fatalf("after generate: %d records", n)
	}
	latest, _ := c.Latest(ctx)
	if latest.Created != clk.Now().Unix() || latest.Reported() {
		t.Fatalf("generated record %+v", latest)
	}
	clk.Add(2 * time.Hour)
	pull()
	if n != 90*24+3 {
		t.Fatalf("two hours on: %d records", n)
	}
}

func TestSim_RateLimitAndFaults(t *testing.T) {
	_, c := startSim(t, simvergeos.Options{RateLimit: 2}, Config{Retries: 2, Backoff: time.Millisecond})
	var waits []time.Duration
	c.caller.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	ctx := context.Background()
	for range 2 {
		if _, err := c.Latest(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.Latest(ctx)
	if portal.ErrorCode(err) != portal.EUNAVAILABLE || len(waits) != 2 {
		t.Fatalf("over the limit: %v after %d waits", err, len(waits))
	}
	// Retry-After is the rest of the hour; the transport caps one wait at 30 s.
	if waits[0] != 30*time.Second {
		t.Fatalf("wait %v", waits[0])
	}

	sim2, c2 := startSim(t, simvergeos.Options{}, Config{Retries: 2, Backoff: time.Millisecond})
	c2.caller.Sleep = func(context.Context, time.Duration) error { return nil }
	simFaults(t, sim2.Faults(), c2)
}

// simFaults checks retries against injected 503s and a garbage answer.
func simFaults(t *testing.T, srvFaults *fault.Injector, c *Client) {
	ctx := context.Background()
	srvFaults.Set(fault.Fault{Mode: fault.Outage, Count: 2})
	if _, err := c.Latest(ctx); err != nil {
		t.Fatalf("two outages then success, with 2 retries: %v", err)
	}
	srvFaults.Set(fault.Fault{Mode: fault.Garbage, Count: 1})
	if _, err := c.Latest(ctx); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("garbage answer: %v", err)
	}
	srvFaults.Set(fault.Fault{Mode: fault.Error, Count: 1, Method: "POST"})
	if _, err := c.Generate(ctx); portal.ErrorCode(err) != portal.EUNCERTAIN {
		t.Fatalf("generate against a 500: %v", err)
	}
}
