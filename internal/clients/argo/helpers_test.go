package argo

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
	simargo "github.com/accounting-portal/portal/internal/sim/argo"
	"github.com/accounting-portal/portal/internal/sim/simtls"
	"github.com/accounting-portal/portal/internal/sim/world"
)

var testNow = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)

// counter counts requests by path on their way to the simulator.
type counter struct {
	mu    sync.Mutex
	paths map[string]int
	next  http.Handler
}

func (c *counter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	c.paths[r.URL.Path]++
	c.mu.Unlock()
	c.next.ServeHTTP(w, r)
}

func (c *counter) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.paths[path]
}

// fixture is a simulator served over HTTPS with the simtls CA and a client of it.
type fixture struct {
	sim    *simargo.Server
	srv    *httptest.Server
	hits   *counter
	client *Client
	cfg    Config
}

func newFixture(t testing.TB, opts simargo.Options, tweak ...func(*Config)) *fixture {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.World == nil {
		opts.World = world.New(3, 1)
	}
	f := &fixture{sim: simargo.New(opts)}
	f.hits = &counter{paths: map[string]int{}, next: f.sim}
	ca, err := simtls.New()
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewUnstartedServer(f.hits)
	f.srv.TLS = ca.ServerConfig()
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	f.cfg = Config{
		BaseURL: f.srv.URL, Token: f.sim.Token(), Timeout: 5 * time.Second,
		HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig()}},
	}
	for _, fn := range tweak {
		fn(&f.cfg)
	}
	if f.client, err = New(f.cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := errorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func errorCode(err error) string { return portal.ErrorCode(err) }
