package argo

import (
	"net/http"
	"testing"
)

func TestAuth_MissingOrUnknownTokenIs401WithEmptyBody(t *testing.T) {
	s := newSim(t, Options{})
	for _, token := range []string{"", "nope"} {
		r := call(t, s, http.MethodGet, basePath+"/providers", token, "", nil)
		if r.status != http.StatusUnauthorized || len(r.body) != 0 || r.header.Get("WWW-Authenticate") != "Bearer" {
			t.Fatalf("token %q: %d %q %v", token, r.status, r.body, r.header)
		}
	}
	r := call(t, s, http.MethodGet, basePath+"/providers", "", "", map[string]string{"Authorization": "Basic " + DefaultToken})
	if r.status != http.StatusUnauthorized {
		t.Fatalf("basic auth accepted: %d", r.status)
	}
	// The Python library sends the header name in lower case; HTTP names are case-insensitive.
	r = call(t, s, http.MethodGet, basePath+"/providers", "", "", map[string]string{"authorization": "bearer " + DefaultToken})
	wantStatus(t, r, http.StatusOK)
}

func TestAuth_ReadOnlyTokenReadsButCannotWrite(t *testing.T) {
	s := newSim(t, Options{})
	in := s.Installations()[0]
	for _, path := range []string{"/providers", "/projects", "/installations/all", "/installations/" + in.ID + "/metrics"} {
		wantStatus(t, call(t, s, http.MethodGet, basePath+path, DefaultReadOnlyToken, "", nil), http.StatusOK)
	}
	body := `{"metric_definition_id":"` + in.MetricDefinitionIDs[0] + `","time_period_start":"2024-01-01T00:00:00Z","time_period_end":"2024-01-02T00:00:00Z","value":1}`
	r := call(t, s, http.MethodPost, basePath+"/installations/"+in.ID+"/metrics", DefaultReadOnlyToken, body, nil)
	wantError(t, r, http.StatusForbidden, msgForbidden)
	if len(s.PostedMetrics()) != 0 {
		t.Fatal("a refused write was stored")
	}
	wantStatus(t, call(t, s, http.MethodPost, basePath+"/installations/"+in.ID+"/metrics", DefaultToken, body, nil), http.StatusCreated)
}

func TestAuth_CustomTokens(t *testing.T) {
	s := newSim(t, Options{Token: "rw", ReadOnlyToken: "ro"})
	if s.Token() != "rw" || s.ReadOnlyToken() != "ro" {
		t.Fatal("tokens not kept")
	}
	wantStatus(t, call(t, s, http.MethodGet, basePath+"/providers", "ro", "", nil), http.StatusOK)
	wantStatus(t, call(t, s, http.MethodGet, basePath+"/providers", DefaultToken, "", nil), http.StatusUnauthorized)
}

func TestRegisterClient(t *testing.T) {
	s := newSim(t, Options{})
	r := call(t, s, http.MethodPost, basePath+"/clients", DefaultReadOnlyToken, "", nil)
	wantError(t, r, http.StatusOK, "The actor was successfully registered.")
}
