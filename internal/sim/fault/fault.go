// Package fault injects upstream failures into a simulator, so tests and
// the demo can show what the portal does when an upstream is down, slow,
// rate-limiting, or answers nothing after it has acted. Faults are
// deterministic: they apply to the next N matching requests or to every
// Nth one, never at random.
//
// A fault is set from Go (Injector.Set) or over HTTP on the simulator's own
// port: POST /_sim/faults with a JSON Fault, DELETE /_sim/faults to clear,
// GET /_sim/faults to list.
package fault

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Modes of failure.
const (
	// Outage answers 503 without calling the simulator.
	Outage = "outage"
	// Error answers 500 without calling the simulator.
	Error = "error"
	// RateLimit answers 429 with Retry-After without calling the simulator.
	RateLimit = "ratelimit"
	// Slow waits Delay, then serves the request normally.
	Slow = "slow"
	// Timeout serves the request (its effect happens) and then sends no
	// answer until the client gives up: the outcome is unknown to the client.
	Timeout = "timeout"
	// Hang sends no answer and does not serve the request: the client cannot
	// tell this from Timeout, but nothing happened.
	Hang = "hang"
	// Reset serves the request and then closes the connection without an answer.
	Reset = "reset"
	// Garbage answers 200 with a body that is not what the API promises.
	Garbage = "garbage"
)

// ControlPath is the route prefix of the fault control endpoint.
const ControlPath = "/_sim/faults"

// Fault is one injected failure.
type Fault struct {
	Mode string `json:"mode"`
	// Method and PathPrefix limit the fault to matching requests ("" matches all).
	Method     string `json:"method,omitempty"`
	PathPrefix string `json:"path_prefix,omitempty"`
	// Count is how many matching requests the fault applies to; 0 means until cleared.
	Count int `json:"count,omitempty"`
	// Every applies the fault to every Nth matching request only (0 or 1: each one).
	Every int `json:"every,omitempty"`
	// Delay is the wait for Slow, and the longest wait for Timeout and Hang
	// (default 2 minutes; the client usually gives up first).
	Delay time.Duration `json:"delay,omitempty"`

	seen int
}

// Injector holds the active faults of one simulator.
type Injector struct {
	mu     sync.Mutex
	faults []*Fault
	hits   map[string]int
}

// New returns an Injector with no faults.
func New() *Injector { return &Injector{hits: map[string]int{}} }

// Set adds faults; they are checked in order and the first match applies.
func (in *Injector) Set(faults ...Fault) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, f := range faults {
		f := f
		in.faults = append(in.faults, &f)
	}
}

// Clear removes every fault.
func (in *Injector) Clear() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.faults = nil
}

// Active returns a copy of the active faults.
func (in *Injector) Active() []Fault {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]Fault, 0, len(in.faults))
	for _, f := range in.faults {
		out = append(out, *f)
	}
	return out
}

// Hits returns how many requests each mode has been applied to.
func (in *Injector) Hits(mode string) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.hits[mode]
}

// pick returns the fault to apply to r, if any, and consumes one use of it.
func (in *Injector) pick(r *http.Request) (Fault, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for i, f := range in.faults {
		if (f.Method != "" && !strings.EqualFold(f.Method, r.Method)) || !strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			continue
		}
		f.seen++
		if f.Every > 1 && f.seen%f.Every != 0 {
			continue
		}
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				in.faults = append(in.faults[:i:i], in.faults[i+1:]...)
			}
		}
		in.hits[f.Mode]++
		return *f, true
	}
	return Fault{}, false
}

// Wrap returns next with faults applied and the control endpoint mounted.
func (in *Injector) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, ControlPath) {
			in.serveControl(w, r)
			return
		}
		f, ok := in.pick(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		wait := f.Delay
		if wait <= 0 {
			wait = 2 * time.Minute
		}
		switch f.Mode {
		case Outage:
			http.Error(w, "service unavailable (simulated outage)", http.StatusServiceUnavailable)
		case Error:
			http.Error(w, "internal server error (simulated)", http.StatusInternalServerError)
		case RateLimit:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests (simulated)", http.StatusTooManyRequests)
		case Slow:
			sleep(r, f.Delay)
			next.ServeHTTP(w, r)
		case Timeout:
			next.ServeHTTP(httptest.NewRecorder(), r)
			sleep(r, wait)
		case Hang:
			sleep(r, wait)
		case Reset:
			next.ServeHTTP(httptest.NewRecorder(), r)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					if tc, ok := conn.(*net.TCPConn); ok {
						tc.SetLinger(0)
					}
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case Garbage:
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"unexpected": [1, 2,`))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// sleep waits d or until the client goes away.
func sleep(r *http.Request, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

func (in *Injector) serveControl(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var f Fault
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&f); err != nil || f.Mode == "" {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "body must be a JSON fault with a mode"})
			return
		}
		in.Set(f)
	case http.MethodDelete:
		in.Clear()
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	json.NewEncoder(w).Encode(in.Active())
}
