package fault

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newServer(t *testing.T) (*Injector, *httptest.Server, *atomic.Int32) {
	var served atomic.Int32
	in := New()
	srv := httptest.NewServer(in.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		io.WriteString(w, "ok")
	})))
	t.Cleanup(srv.Close)
	return in, srv, &served
}

func status(t *testing.T, c *http.Client, method, url string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestInjector_CountAndMatch(t *testing.T) {
	in, srv, served := newServer(t)
	in.Set(Fault{Mode: Outage, Method: "POST", PathPrefix: "/write", Count: 2})
	c := srv.Client()
	if s := status(t, c, "GET", srv.URL+"/write"); s != 200 {
		t.Fatalf("GET matched a POST fault: %d", s)
	}
	for range 2 {
		if s := status(t, c, "POST", srv.URL+"/write/x"); s != 503 {
			t.Fatalf("POST = %d, want 503", s)
		}
	}
	if s := status(t, c, "POST", srv.URL+"/write/x"); s != 200 {
		t.Fatalf("after count: %d", s)
	}
	if served.Load() != 2 || in.Hits(Outage) != 2 || len(in.Active()) != 0 {
		t.Fatalf("served %d, hits %d, active %d", served.Load(), in.Hits(Outage), len(in.Active()))
	}
}

func TestInjector_Every(t *testing.T) {
	in, srv, _ := newServer(t)
	in.Set(Fault{Mode: RateLimit, Every: 3})
	var got []int
	for range 6 {
		got = append(got, status(t, srv.Client(), "GET", srv.URL+"/"))
	}
	want := []int{200, 200, 429, 200, 200, 429}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
}

func TestInjector_TimeoutAppliesEffect(t *testing.T) {
	in, srv, served := newServer(t)
	in.Set(Fault{Mode: Timeout, Count: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/", nil)
	if _, err := srv.Client().Do(req); err == nil {
		t.Fatal("timeout fault answered")
	}
	if served.Load() != 1 {
		t.Fatalf("timeout fault did not serve the request (served %d)", served.Load())
	}
	in.Set(Fault{Mode: Hang, Count: 1})
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	req, _ = http.NewRequestWithContext(ctx2, "POST", srv.URL+"/", nil)
	if _, err := srv.Client().Do(req); err == nil {
		t.Fatal("hang fault answered")
	}
	if served.Load() != 1 {
		t.Fatal("hang fault served the request")
	}
}

func TestInjector_ResetAndControl(t *testing.T) {
	_, srv, served := newServer(t)
	resp, err := http.Post(srv.URL+ControlPath, "application/json", strings.NewReader(`{"mode":"reset","count":1}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("control POST: %v %v", resp, err)
	}
	resp.Body.Close()
	if s := status(t, srv.Client(), "POST", srv.URL+"/x"); s != -1 {
		t.Fatalf("reset answered %d", s)
	}
	if served.Load() != 1 {
		t.Fatal("reset did not serve the request first")
	}
	resp, _ = http.Post(srv.URL+ControlPath, "application/json", strings.NewReader(`{}`))
	if resp.StatusCode != 400 {
		t.Fatalf("fault without mode: %d", resp.StatusCode)
	}
	resp.Body.Close()
	req, _ := http.NewRequest("DELETE", srv.URL+ControlPath, nil)
	resp, _ = http.DefaultClient.Do(req)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(body)) != "[]" {
		t.Fatalf("after clear: %s", body)
	}
}
