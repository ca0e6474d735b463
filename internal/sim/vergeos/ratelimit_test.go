package vergeos

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	clk := &clock{t: testNow}
	s := newTestServer(t, Options{Now: clk.Now, RateLimit: 3})
	for i := range 3 {
		if status, _, _ := call(t, s, "GET", "/api/v4/billing?limit=1", ""); status != 200 {
			t.Fatalf("request %d: %d", i+1, status)
		}
	}
	clk.Add(10 * time.Minute)
	status, h, b := call(t, s, "GET", "/api/v4/system", "")
	if status != 429 {
		t.Fatalf("4th request: %d", status)
	}
	errBody(t, b)
	if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra != 50*60 {
		t.Fatalf("Retry-After %q, want the 3000 s left in the hour", h.Get("Retry-After"))
	}
	// Another credential has its own budget; /health and /version.json cost nothing.
	req := httptest.NewRequest("GET", "/api/v4/system", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultAPIKey)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("API key limited by the user's requests: %d", rec.Code)
	}
	for _, p := range []string{"/health", "/version.json"} {
		if status, _, _ := call(t, s, "GET", p, ""); status != 200 {
			t.Fatalf("%s limited: %d", p, status)
		}
	}
	// Bad credentials are refused before they count.
	req = httptest.NewRequest("GET", "/api/v4/system", nil)
	req.SetBasicAuth(DefaultUser, "wrong")
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("wrong password while limited: %d", rec.Code)
	}
	clk.Add(50 * time.Minute)
	if status, _, _ := call(t, s, "GET", "/api/v4/system", ""); status != 200 {
		t.Fatalf("after the hour: %d", status)
	}
}

func TestRateLimit_Off(t *testing.T) {
	s := newTestServer(t, Options{})
	for i := range 1200 {
		if status, _, _ := call(t, s, "GET", "/version.json", ""); status != 200 {
			t.Fatalf("request %d: %d", i, status)
		}
	}
	for i := range 1100 {
		if status, _, _ := call(t, s, "GET", "/api/v4/system", ""); status != 200 {
			t.Fatalf("RateLimit 0 limited request %d: %d", i, status)
		}
	}
}
