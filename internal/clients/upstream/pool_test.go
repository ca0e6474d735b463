package upstream

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

// TestPooled_WorkersReuseTheirConnections sends rounds of 8 concurrent
// reads through a client as the portal builds one (a clone of Go's
// default transport) and counts the connections the server saw open:
// with Go's default of 2 idle connections per host, most rounds would
// open new ones.
func TestPooled_WorkersReuseTheirConnections(t *testing.T) {
	var opened atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	c := &Caller{Name: "T", HTTP: Pooled(hc)}
	defer hc.CloseIdleConnections()
	const workers, rounds = 8, 20
	for range rounds {
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	// A worker may dial while another's connection is on its way back to
	// the pool, so allow a few more than one each; without the pool, every
	// round opens most of its connections anew (over a hundred).
	if n := opened.Load(); n > 2*workers {
		t.Fatalf("%d workers opened %d connections in %d rounds; each should keep its own", workers, n, rounds)
	}
	if Pooled(nil).Transport.(*http.Transport).MaxIdleConnsPerHost != IdleConnsPerHost {
		t.Fatal("a client made for a nil one keeps too few idle connections")
	}
}
