package upstream

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

func noSleep(context.Context, time.Duration) error { return nil }

func TestDo_StatusCodes(t *testing.T) {
	cases := map[int]string{400: portal.EINVALID, 422: portal.EINVALID, 401: portal.EUNAUTHORIZED, 403: portal.EFORBIDDEN,
		404: portal.ENOTFOUND, 409: portal.ECONFLICT, 413: portal.ETOOLARGE, 429: portal.EUNAVAILABLE, 500: portal.EUNAVAILABLE, 503: portal.EUNAVAILABLE}
	for status, code := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			io.WriteString(w, `{"message":"upstream says no"}`)
		}))
		c := &Caller{Name: "TEST", Message: func(int, []byte) string { return "upstream says no" }, Sleep: noSleep}
		_, err := c.Do(context.Background(), Request{Method: "POST", URL: srv.URL})
		srv.Close()
		var pe *portal.Error
		if portal.ErrorCode(err) != code {
			t.Errorf("%d: code %q, want %q", status, portal.ErrorCode(err), code)
		} else if !errorsAs(err, &pe) || pe.Status != status || !strings.Contains(pe.Message, "upstream says no") || !strings.Contains(pe.Message, "TEST") {
			t.Errorf("%d: error %v lacks status or upstream message", status, err)
		}
	}
}

func errorsAs(err error, pe **portal.Error) bool {
	e, ok := err.(*portal.Error)
	*pe = e
	return ok
}

func TestDo_RetriesReadsNotWrites(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	c := &Caller{Name: "T", Retries: 3, Sleep: noSleep}
	resp, err := c.Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true})
	if err != nil || string(resp.Body) != "ok" || n.Load() != 3 {
		t.Fatalf("read: %v %v after %d attempts", resp, err, n.Load())
	}
	n.Store(0)
	_, err = c.Do(context.Background(), Request{Method: "POST", URL: srv.URL})
	if portal.ErrorCode(err) != portal.EUNAVAILABLE || n.Load() != 1 {
		t.Fatalf("write: %v after %d attempts", err, n.Load())
	}
	// A 400 is never retried, even for reads.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1); w.WriteHeader(400) }))
	defer bad.Close()
	n.Store(0)
	c.Do(context.Background(), Request{Method: "GET", URL: bad.URL, Idempotent: true})
	if n.Load() != 1 {
		t.Fatalf("400 retried: %d attempts", n.Load())
	}
}

func TestDo_RefusedIsUnavailable_TimeoutIsUncertain(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	c := &Caller{Name: "T", Timeout: 300 * time.Millisecond}
	_, err := c.Do(context.Background(), Request{Method: "POST", URL: "http://" + addr + "/x", Body: []byte("{}")})
	if portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("refused: %v", err)
	}
	var got atomic.Bool
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		got.Store(true)
		<-r.Context().Done()
	}))
	defer slow.Close()
	_, err = c.Do(context.Background(), Request{Method: "POST", URL: slow.URL, Body: []byte("{}")})
	if portal.ErrorCode(err) != portal.EUNCERTAIN || !got.Load() {
		t.Fatalf("timeout after send: %v", err)
	}
}

func TestDo_BodyLimitAndDebugLogHidesHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 100))
	}))
	defer srv.Close()
	var logs bytes.Buffer
	c := &Caller{Name: "T", MaxBody: 10, Debug: true, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	_, err := c.Do(context.Background(), Request{Method: "GET", URL: srv.URL, Header: http.Header{"Authorization": {"Bearer s3cret"}}})
	if portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("oversized body: %v", err)
	}
	if !strings.Contains(logs.String(), "status=200") || strings.Contains(logs.String(), "s3cret") {
		t.Fatalf("debug log: %s", logs.String())
	}
}
