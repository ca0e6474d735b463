package obi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/fault"
	simobi "github.com/accounting-portal/portal/internal/sim/obi"
	"github.com/accounting-portal/portal/internal/sim/world"
)

var t0 = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// simEnv is a seeded simulator behind a real HTTP server, and a client of it.
type simEnv struct {
	w     *world.World
	sim   *simobi.Server
	srv   *httptest.Server
	c     *Client
	labs  []simobi.Lab
	mu    sync.Mutex
	heads []http.Header // request headers seen, in order
}

func newSimEnv(t *testing.T, cfg Config) *simEnv {
	t.Helper()
	e := &simEnv{w: world.New(1, 1)}
	e.sim = simobi.New(simobi.Options{World: e.w, Now: func() time.Time { return t0 }})
	e.labs = simobi.Directory(e.w)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.heads = append(e.heads, r.Header.Clone())
		e.mu.Unlock()
		e.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	cfg.BaseURL = e.srv.URL + "/"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e
}

func (e *simEnv) requests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.heads)
}

func d(s string) decimal.Decimal { return decimal.MustParse(s) }

func TestNew_ValidatesConfig(t *testing.T) {
	bad := map[string]Config{
		"BaseURL is required":    {},
		"not an absolute":        {BaseURL: "localhost:8100"},
		"query or fragment":      {BaseURL: "http://h/?x=1"},
		"Timeout":                {BaseURL: "http://h", Timeout: -1},
		"Retries":                {BaseURL: "http://h", Retries: -1},
		"PageSize":               {BaseURL: "http://h", PageSize: -2},
		"Token must be one line": {BaseURL: "http://h", Token: "a\nb"},
	}
	for want, cfg := range bad {
		_, err := New(cfg)
		if portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want an EINVALID naming %q", cfg, err, want)
		}
	}
	if _, err := New(Config{BaseURL: "https://obi.example.org/accounting/"}); err != nil {
		t.Fatal(err)
	}
}

func TestClient_Balances(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, Config{})
	total := decimal.Zero
	for _, lab := range e.labs {
		vb, err := e.c.VirtualLabBalanceWithProjects(ctx, lab.ID)
		if err != nil {
			t.Fatal(err)
		}
		if vb.VlabID != lab.ID || len(vb.Projects) != len(lab.Projects) {
			t.Fatalf("lab %s: %+v", lab.Name, vb)
		}
		total = total.Add(vb.Balance)
		for i, p := range vb.Projects {
			pb, err := e.c.ProjectBalance(ctx, p.ProjID)
			if err != nil || !pb.Balance.Equal(p.Balance) || !pb.Reservation.Equal(p.Reservation) || p.ProjID != lab.Projects[i].ID {
				t.Fatalf("project %s: %+v vs %+v (%v)", lab.Projects[i].AccountName, pb, p, err)
			}
			bal, res, _ := e.sim.ProjectBalance(p.ProjID)
			if pb.Balance.String() != bal.StringFixed(2) || pb.Reservation.String() != res.StringFixed(2) {
				t.Fatalf("project %s: client %s/%s, simulator %s/%s", p.ProjID, pb.Balance, pb.Reservation, bal, res)
			}
			total = total.Add(pb.Balance).Add(pb.Reservation)
		}
		plain, err := e.c.VirtualLabBalance(ctx, lab.ID)
		if err != nil || plain.Projects != nil || !plain.Balance.Equal(vb.Balance) {
			t.Fatalf("without projects: %+v %v", plain, err)
		}
	}
	sys, err := e.c.SystemBalance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Double entry: the system account funds everything else. Each
	// balance is rounded to cents, so allow a cent per account.
	if diff := sys.Add(total).Abs(); diff.Cmp(d("0.10")) > 0 {
		t.Fatalf("system %s does not balance the others (%s)", sys, total)
	}
	for _, h := range e.heads {
		if h.Get("Authorization") != "" {
			t.Fatalf("an auth header was sent by default: %v", h)
		}
	}
}

func TestClient_BearerToken(t *testing.T) {
	e := newSimEnv(t, Config{Token: "gateway-secret"})
	if _, err := e.c.SystemBalance(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.heads[0].Get("Authorization"); got != "Bearer gateway-secret" {
		t.Fatalf("Authorization %q", got)
	}
}

func TestClient_BudgetWrites(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, Config{})
	lab := e.labs[1]
	a, b := lab.Projects[0].ID, lab.Projects[1].ID
	before, _ := e.c.VirtualLabBalanceWithProjects(ctx, lab.ID)
	steps := []func() error{
		func() error { return e.c.TopUp(ctx, lab.ID, d("100.25")) },
		func() error { return e.c.Assign(ctx, lab.ID, a, d("40")) },
		func() error { return e.c.Reverse(ctx, lab.ID, a, d("10.5")) },
		func() error { return e.c.Move(ctx, lab.ID, a, b, d("5")) },
		func() error { return e.c.Grant(ctx, b, d("1.01")) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	after, _ := e.c.VirtualLabBalanceWithProjects(ctx, lab.ID)
	check := func(what string, got, was decimal.Decimal, delta string) {
		if !got.Equal(was.Add(d(delta))) {
			t.Errorf("%s: %s, want %s %s", what, got, was, delta)
		}
	}
	check("lab", after.Balance, before.Balance, "70.75") // +100.25 -40 +10.5
	check("project a", after.Projects[0].Balance, before.Projects[0].Balance, "24.5")
	check("project b", after.Projects[1].Balance, before.Projects[1].Balance, "6.01")

	total, err := e.c.DepleteProject(ctx, a)
	if err != nil || !total.Equal(after.Projects[0].Balance) {
		t.Fatalf("deplete project: %s %v, want %s", total, err, after.Projects[0].Balance)
	}
	if again, err := e.c.DepleteProject(ctx, a); err != nil || again.String() != "0.00" {
		t.Fatalf("second deplete: %s %v", again, err)
	}
}

func TestClient_BusinessErrorsArePrecise(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, Config{Retries: 3})
	lab, other := e.labs[0], e.labs[1]
	p := lab.Projects[0].ID
	cases := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"insufficient lab funds", func() error { return e.c.Assign(ctx, lab.ID, p, d("99999999")) }, portal.EINVALID, "Insufficient funds in the virtual-lab account"},
		{"insufficient project funds", func() error { return e.c.Reverse(ctx, lab.ID, p, d("99999999")) }, portal.EINVALID, "Insufficient funds in the project account"},
		{"not the lab's project", func() error { return e.c.Assign(ctx, other.ID, p, d("1")) }, portal.EINVALID, "The project doesn't belong to the virtual-lab"},
		{"same project", func() error { return e.c.Move(ctx, lab.ID, p, p, d("1")) }, portal.EINVALID, "The debited and credited accounts must be different"},
		{"unknown project", func() error { return e.c.Assign(ctx, lab.ID, "00000000-0000-4000-8000-000000000000", d("1")) }, portal.ENOTFOUND, "Account not found"},
		{"unknown lab", func() error { return e.c.TopUp(ctx, "00000000-0000-4000-8000-000000000000", d("1")) }, portal.ENOTFOUND, "Virtual lab not found"},
		{"zero amount", func() error { return e.c.TopUp(ctx, lab.ID, d("0")) }, portal.EINVALID, "greater than 0"},
		{"bad id", func() error { return e.c.TopUp(ctx, "../x", d("1")) }, portal.EINVALID, "not a UUID"},
	}
	for _, tc := range cases {
		n := e.requests()
		err := tc.call()
		var pe *portal.Error
		if !errors.As(err, &pe) || pe.Code != tc.code || !strings.Contains(pe.Message, tc.msg) {
			t.Errorf("%s: %v, want %s with %q", tc.name, err, tc.code, tc.msg)
		}
		if e.requests()-n > 1 {
			t.Errorf("%s: a write was sent %d times", tc.name, e.requests()-n)
		}
	}
	err := e.c.Assign(ctx, lab.ID, p, d("99999999"))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != CodeInvalidRequest || apiErr.Status != 400 {
		t.Fatalf("the cause is not the service's error: %#v", err)
	}
}

func TestClient_ReadsRetriedWritesNot(t *testing.T) {
	ctx := context.Background()
	e := newSimEnv(t, Config{Retries: 2, Timeout: 300 * time.Millisecond})
	e.c.caller.Sleep = func(context.Context, time.Duration) error { return nil }
	lab := e.labs[0]
	e.sim.Faults().Set(fault.Fault{Mode: fault.Outage, Count: 2})
	if _, err := e.c.VirtualLabBalance(ctx, lab.ID); err != nil {
		t.Fatalf("read after two outages: %v", err)
	}
	before, _ := e.sim.Balance(lab.ID)
	e.sim.Faults().Set(fault.Fault{Mode: fault.Error, Count: 1})
	n := e.requests()
	// A 500 does not prove that nothing happened (a gateway, or the
	// service after its commit, may answer it): the outcome is unknown.
	if err := e.c.TopUp(ctx, lab.ID, d("1")); portal.ErrorCode(err) != portal.EUNCERTAIN {
		t.Fatalf("write during a 500: %v", err)
	}
	if got := e.requests() - n; got != 1 {
		t.Fatalf("write sent %d times", got)
	}
	if after, _ := e.sim.Balance(lab.ID); !after.Equal(before) {
		t.Fatalf("the failed write changed the balance")
	}
	// Applied, then no answer: the outcome is unknown to the client.
	e.sim.Faults().Set(fault.Fault{Mode: fault.Timeout, Count: 1, Delay: 5 * time.Second})
	if err := e.c.TopUp(ctx, lab.ID, d("1")); portal.ErrorCode(err) != portal.EUNCERTAIN {
		t.Fatalf("write that timed out: %v", err)
	}
	if after, _ := e.sim.Balance(lab.ID); !after.Equal(before.Add(d("1"))) {
		t.Fatalf("the simulated timeout should have applied the top-up: %s -> %s", before, after)
	}
	e.sim.Faults().Set(fault.Fault{Mode: fault.Garbage, Count: 1})
	if err := e.c.TopUp(ctx, lab.ID, d("1")); portal.ErrorCode(err) != portal.EUNCERTAIN {
		t.Fatalf("write answered 200 with garbage: %v", err)
	}
	e.sim.Faults().Set(fault.Fault{Mode: fault.Garbage, Count: 1})
	if _, err := e.c.SystemBalance(ctx); portal.ErrorCode(err) != portal.EUNAVAILABLE || !strings.Contains(err.Error(), "GET /balance/system: body") {
		t.Fatalf("read answered 200 with garbage: %v", err)
	}
}
