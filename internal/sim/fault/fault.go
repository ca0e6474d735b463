// Package fault injects upstream failures into a simulator, so tests and
// the demo can show what the portal does when an upstream is down, slow,
// rate-limiting, or fails after it has acted. Faults are deterministic:
// they apply to the next N matching requests, or to every Nth one, or (mode
// "mixed") to a share of them chosen by a random source seeded from the
// fault itself, never from global randomness.
//
// The modes come in two families, and the difference is the point:
//
//   - Before apply: the simulator never sees the request, so nothing
//     changes (outage, error, bad-gateway, gateway-timeout, ratelimit,
//     hang, drop, garbage).
//   - Apply then fail: the simulator serves the request (its change
//     happens) and the answer is then replaced by a failure
//     (apply-then-500, apply-then-502, apply-then-504, apply-then-reset,
//     apply-then-timeout, apply-then-garbage). The older names "reset" and
//     "timeout" are the same as apply-then-reset and apply-then-timeout.
//
// A client cannot tell an error, bad-gateway, gateway-timeout, drop or
// garbage from its apply-then twin; that is what a write's "unknown
// outcome" means.
//
// A fault is set from Go (Injector.Set) or over HTTP on the simulator's own
// port: POST /_sim/faults with a JSON Fault, DELETE /_sim/faults to clear,
// GET /_sim/faults to list.
package fault

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"
)

// Modes that fail before the simulator is called: nothing happens.
const (
	// Outage answers 503.
	Outage = "outage"
	// Error answers 500.
	Error = "error"
	// BadGateway answers 502, as a proxy whose upstream is down.
	BadGateway = "bad-gateway"
	// GatewayTimeout answers 504, as a proxy that gave up before forwarding.
	GatewayTimeout = "gateway-timeout"
	// RateLimit answers 429 with Retry-After.
	RateLimit = "ratelimit"
	// Hang sends no answer until the client gives up (or Delay passes).
	Hang = "hang"
	// Drop closes the connection without an answer.
	Drop = "drop"
	// Garbage answers 200 with a body that is not what the API promises.
	Garbage = "garbage"
)

// Slow waits Delay, then serves the request normally.
const Slow = "slow"

// Modes that serve the request (its change happens) and then fail.
const (
	// ApplyThen500 answers 500 after the simulator acted.
	ApplyThen500 = "apply-then-500"
	// ApplyThen502 answers 502, as a proxy that lost the upstream's answer.
	ApplyThen502 = "apply-then-502"
	// ApplyThen504 answers 504, as a proxy that stopped waiting for the answer.
	ApplyThen504 = "apply-then-504"
	// ApplyThenReset closes the connection without an answer.
	ApplyThenReset = "apply-then-reset"
	// ApplyThenTimeout sends no answer until the client gives up (or Delay passes).
	ApplyThenTimeout = "apply-then-timeout"
	// ApplyThenGarbage answers the simulator's 2xx status (200 if it
	// refused) with a body that is not what the API promises.
	ApplyThenGarbage = "apply-then-garbage"

	// Reset is the older name of ApplyThenReset.
	Reset = "reset"
	// Timeout is the older name of ApplyThenTimeout.
	Timeout = "timeout"
)

// Mixed applies, to Percent of the matching requests, one of Modes chosen
// at random from a source seeded with Seed: the same seed and the same
// sequence of requests give the same faults.
const Mixed = "mixed"

// MixedDefault is what Mixed picks from when Modes is empty: every failure
// that answers at once, before and after the simulator acted (the ones
// that wait for the client to give up are left out; list them to have them).
var MixedDefault = []string{Outage, Error, BadGateway, GatewayTimeout, RateLimit, Drop, Garbage,
	ApplyThen500, ApplyThen502, ApplyThen504, ApplyThenReset, ApplyThenGarbage}

// Applies reports whether a mode lets the simulator serve the request
// before it fails (so the request's change happens).
func Applies(mode string) bool {
	switch mode {
	case ApplyThen500, ApplyThen502, ApplyThen504, ApplyThenReset, ApplyThenTimeout, ApplyThenGarbage, Reset, Timeout, Slow:
		return true
	}
	return false
}

var modes = []string{Outage, Error, BadGateway, GatewayTimeout, RateLimit, Hang, Drop, Garbage, Slow,
	ApplyThen500, ApplyThen502, ApplyThen504, ApplyThenReset, ApplyThenTimeout, ApplyThenGarbage, Reset, Timeout, Mixed}

// ControlPath is the route prefix of the fault control endpoint.
const ControlPath = "/_sim/faults"

// Fault is one injected failure.
type Fault struct {
	Mode string `json:"mode"`
	// Method and PathPrefix limit the fault to matching requests ("" matches all).
	Method     string `json:"method,omitempty"`
	PathPrefix string `json:"path_prefix,omitempty"`
	// Count is how many requests the fault applies to; 0 means until cleared.
	Count int `json:"count,omitempty"`
	// Every applies the fault to every Nth matching request only (0 or 1: each one).
	Every int `json:"every,omitempty"`
	// Delay is the wait for Slow, and the longest wait for the modes that
	// send no answer (default 2 minutes; the client usually gives up first).
	Delay time.Duration `json:"delay,omitempty"`
	// Percent (Mixed) is the share of matching requests that get a fault,
	// 1 to 100; 0 means every one.
	Percent int `json:"percent,omitempty"`
	// Seed (Mixed) seeds the choice of requests and modes.
	Seed uint64 `json:"seed,omitempty"`
	// Modes (Mixed) are the modes to choose from; empty means MixedDefault.
	Modes []string `json:"modes,omitempty"`

	seen int
	rnd  *rand.Rand
}

// Check reports what is wrong with f, if anything.
func (f *Fault) Check() error {
	if !slices.Contains(modes, f.Mode) {
		return fmt.Errorf("mode %q is not one of %s", f.Mode, strings.Join(modes, ", "))
	}
	if f.Percent < 0 || f.Percent > 100 {
		return fmt.Errorf("percent %d is not between 0 and 100", f.Percent)
	}
	for _, m := range f.Modes {
		if m == Mixed || !slices.Contains(modes, m) {
			return fmt.Errorf("modes: %q is not a mode mixed can use", m)
		}
	}
	return nil
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
		if f.Mode == Mixed {
			f.rnd = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
			if len(f.Modes) == 0 {
				f.Modes = MixedDefault
			}
			f.Modes = slices.Clone(f.Modes)
		}
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
		c := *f
		c.rnd = nil
		out = append(out, c)
	}
	return out
}

// Hits returns how many requests a mode has been applied to. A Mixed
// fault counts each request under the mode it chose, and under Mixed.
func (in *Injector) Hits(mode string) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.hits[mode]
}

// AllHits returns the hits of every mode that has had one.
func (in *Injector) AllHits() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make(map[string]int, len(in.hits))
	for k, v := range in.hits {
		out[k] = v
	}
	return out
}

// pick returns the mode to apply to r and its fault, if any, and consumes
// one use of the fault.
func (in *Injector) pick(r *http.Request) (string, Fault, bool) {
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
		mode := f.Mode
		if mode == Mixed {
			// Both draws happen for every matching request, so the
			// sequence of faults depends only on the seed and the order
			// of the requests.
			roll, choice := f.rnd.IntN(100), f.rnd.IntN(len(f.Modes))
			if f.Percent > 0 && roll >= f.Percent {
				continue
			}
			mode = f.Modes[choice]
			in.hits[Mixed]++
		}
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				in.faults = append(in.faults[:i:i], in.faults[i+1:]...)
			}
		}
		in.hits[mode]++
		return mode, *f, true
	}
	return "", Fault{}, false
}

// Wrap returns next with faults applied and the control endpoint mounted.
func (in *Injector) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, ControlPath) {
			in.serveControl(w, r)
			return
		}
		mode, f, ok := in.pick(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		wait := f.Delay
		if wait <= 0 {
			wait = 2 * time.Minute
		}
		if Applies(mode) && mode != Slow {
			// The simulator acts; its answer is lost.
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			if mode == ApplyThenGarbage {
				status := rec.Code
				if status < 200 || status > 299 {
					status = http.StatusOK
				}
				garbage(w, status)
				return
			}
		}
		switch mode {
		case Outage:
			http.Error(w, "service unavailable (simulated outage)", http.StatusServiceUnavailable)
		case Error:
			http.Error(w, "internal server error (simulated)", http.StatusInternalServerError)
		case BadGateway:
			http.Error(w, "bad gateway (simulated)", http.StatusBadGateway)
		case GatewayTimeout:
			http.Error(w, "gateway timeout (simulated)", http.StatusGatewayTimeout)
		case RateLimit:
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many requests (simulated)", http.StatusTooManyRequests)
		case Garbage:
			garbage(w, http.StatusOK)
		case Slow:
			sleep(r, f.Delay)
			next.ServeHTTP(w, r)
		case Hang, ApplyThenTimeout, Timeout:
			// The server notices a client that gave up only once the
			// request's body is read; until then the handler would hold
			// the connection (and a simulator's shutdown) for the whole wait.
			io.Copy(io.Discard, r.Body)
			sleep(r, wait)
		case Drop, ApplyThenReset, Reset:
			hangUp(w)
		case ApplyThen500:
			http.Error(w, "internal server error (simulated, after the change was applied)", http.StatusInternalServerError)
		case ApplyThen502:
			http.Error(w, "bad gateway (simulated, after the change was applied)", http.StatusBadGateway)
		case ApplyThen504:
			http.Error(w, "gateway timeout (simulated, after the change was applied)", http.StatusGatewayTimeout)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func garbage(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write([]byte(`{"unexpected": [1, 2,`))
}

// hangUp closes the connection without an answer (a TCP reset where it can).
func hangUp(w http.ResponseWriter) {
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
		if err := f.Check(); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
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
