package fault

import (
	"context"
	"fmt"
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

// outcome sends one POST and returns the status, or -1 when no answer
// came. It waits for an answer only briefly: the modes that send none
// would otherwise hold the test up.
func outcome(t *testing.T, srv *httptest.Server) int {
	return outcomeWithin(t, srv, 150*time.Millisecond)
}

func outcomeWithin(t *testing.T, srv *httptest.Server, wait time.Duration) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/x", strings.NewReader(`{}`))
	resp, err := srv.Client().Do(req)
	if err != nil {
		return -1
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) == `{"unexpected": [1, 2,` {
		return resp.StatusCode + 1000 // a garbled answer
	}
	return resp.StatusCode
}

// Each mode either leaves the simulator alone or lets it act first, and
// answers as its name says.
func TestInjector_BeforeAndAfterApply(t *testing.T) {
	cases := []struct {
		mode    string
		applied bool
		answer  int // -1: none; 1000+status: garbled body
	}{
		{Outage, false, 503}, {Error, false, 500}, {BadGateway, false, 502}, {GatewayTimeout, false, 504},
		{RateLimit, false, 429}, {Hang, false, -1}, {Drop, false, -1}, {Garbage, false, 1200},
		{ApplyThen500, true, 500}, {ApplyThen502, true, 502}, {ApplyThen504, true, 504},
		{ApplyThenReset, true, -1}, {ApplyThenTimeout, true, -1}, {ApplyThenGarbage, true, 1200},
		{Reset, true, -1}, {Timeout, true, -1}, {Slow, true, 200},
	}
	for _, tc := range cases {
		in, srv, served := newServer(t)
		delay := 500 * time.Millisecond // longer than the client waits
		if tc.mode == Slow {
			delay = 10 * time.Millisecond
		}
		in.Set(Fault{Mode: tc.mode, Count: 1, Delay: delay})
		got := outcome(t, srv)
		if got != tc.answer || (served.Load() == 1) != tc.applied || Applies(tc.mode) != tc.applied {
			t.Errorf("%s: answer %d (want %d), served %d (applied %v)", tc.mode, got, tc.answer, served.Load(), tc.applied)
		}
		if in.Hits(tc.mode) != 1 {
			t.Errorf("%s: %d hits", tc.mode, in.Hits(tc.mode))
		}
	}
}

// A garbled answer after the change keeps the simulator's own 2xx status.
func TestInjector_ApplyThenGarbageKeepsStatus(t *testing.T) {
	in := New()
	srv := httptest.NewServer(in.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })))
	defer srv.Close()
	in.Set(Fault{Mode: ApplyThenGarbage, Count: 1})
	if got := outcome(t, srv); got != 1201 {
		t.Fatalf("answer %d, want a garbled 201", got)
	}
}

// Mixed picks requests and modes from its seed alone: the same seed gives
// the same faults, another seed others, and about Percent of the requests
// get one.
func TestInjector_MixedIsSeeded(t *testing.T) {
	run := func(seed uint64) ([]int, map[string]int, int) {
		in, srv, served := newServer(t)
		in.Set(Fault{Mode: Mixed, Method: "POST", Percent: 30, Seed: seed})
		var got []int
		for range 200 {
			// No mode of MixedDefault waits for the client to give up.
			got = append(got, outcomeWithin(t, srv, 10*time.Second))
		}
		if status(t, srv.Client(), "GET", srv.URL+"/") != 200 {
			t.Fatal("a GET matched a POST-only mixed fault")
		}
		return got, in.AllHits(), int(served.Load())
	}
	a, hitsA, servedA := run(7)
	b, hitsB, _ := run(7)
	c, _, _ := run(8)
	if !slicesEqual(a, b) || fmt.Sprint(hitsA) != fmt.Sprint(hitsB) {
		t.Fatalf("the same seed gave different faults:\n%v\n%v", hitsA, hitsB)
	}
	if slicesEqual(a, c) {
		t.Fatal("another seed gave the same faults")
	}
	n := hitsA[Mixed]
	if n < 40 || n > 80 {
		t.Fatalf("%d of 200 requests got a fault, want about 60", n)
	}
	kinds, applied := 0, 0
	for _, m := range MixedDefault {
		if hitsA[m] > 0 {
			kinds++
		}
		if Applies(m) {
			applied += hitsA[m]
		}
	}
	if kinds < len(MixedDefault)-2 {
		t.Fatalf("only %d kinds of fault: %v", kinds, hitsA)
	}
	// Served: the requests without a fault (GET included) plus those whose fault applies first.
	if want := 200 - n + applied + 1; servedA != want {
		t.Fatalf("served %d, want %d (%v)", servedA, want, hitsA)
	}
}

func TestInjector_MixedOverHTTPAndCount(t *testing.T) {
	in, srv, _ := newServer(t)
	resp, err := http.Post(srv.URL+ControlPath, "application/json",
		strings.NewReader(`{"mode":"mixed","count":3,"seed":1,"modes":["apply-then-502","outage"]}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("control POST: %v %v", resp, err)
	}
	resp.Body.Close()
	faults := 0
	for range 10 {
		if s := outcome(t, srv); s != 200 {
			faults++
		}
	}
	if faults != 3 || in.Hits(Mixed) != 3 || in.Hits(ApplyThen502)+in.Hits(Outage) != 3 || len(in.Active()) != 0 {
		t.Fatalf("%d faults, hits %v, %d active", faults, in.AllHits(), len(in.Active()))
	}
	for _, body := range []string{`{"mode":"explode"}`, `{"mode":"mixed","modes":["mixed"]}`, `{"mode":"mixed","percent":101}`} {
		resp, _ := http.Post(srv.URL+ControlPath, "application/json", strings.NewReader(body))
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), "error") {
			t.Errorf("%s: %d %s", body, resp.StatusCode, b)
		}
	}
}

func slicesEqual(a, b []int) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// A request held without an answer (hang, or a timeout after the effect)
// ends when its client gives up, also when it carries a body the
// simulator did not read: it does not hold the connection, and the
// simulator's shutdown, for the fault's whole wait.
func TestInjector_HeldRequestEndsWhenTheClientGivesUp(t *testing.T) {
	for _, mode := range []string{Hang, ApplyThenTimeout} {
		t.Run(mode, func(t *testing.T) {
			in := New()
			ended := make(chan struct{}, 1)
			h := in.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				h.ServeHTTP(w, r)
				ended <- struct{}{}
			}))
			defer srv.Close()
			in.Set(Fault{Mode: mode, Method: "POST", Delay: time.Minute})
			c := &http.Client{Timeout: 100 * time.Millisecond}
			if _, err := c.Post(srv.URL+"/write", "application/json", strings.NewReader(`{"amount": "12.50"}`)); err == nil {
				t.Fatal("the held request was answered")
			}
			select {
			case <-ended:
			case <-time.After(10 * time.Second):
				t.Fatal("the held request still runs 10 s after its client gave up")
			}
		})
	}
}
