package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
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
	// What each error status means for a write (sent once, so its code
	// decides whether the outbox may send it again) and for a read.
	cases := []struct {
		status      int
		write, read string
	}{
		{400, portal.EINVALID, portal.EINVALID}, {422, portal.EINVALID, portal.EINVALID},
		{401, portal.EUNAUTHORIZED, portal.EUNAUTHORIZED}, {403, portal.EFORBIDDEN, portal.EFORBIDDEN},
		{404, portal.ENOTFOUND, portal.ENOTFOUND}, {409, portal.ECONFLICT, portal.ECONFLICT}, {413, portal.ETOOLARGE, portal.ETOOLARGE},
		// Only a rate limit (or a server that gave up waiting for the
		// request) proves that a write was not applied.
		{429, portal.EUNAVAILABLE, portal.EUNAVAILABLE}, {408, portal.EUNAVAILABLE, portal.EUNAVAILABLE},
		// A 5xx may come after the upstream acted (a gateway's 502/504, a
		// 500 after the commit): a write's outcome is unknown.
		{500, portal.EUNCERTAIN, portal.EUNAVAILABLE}, {502, portal.EUNCERTAIN, portal.EUNAVAILABLE},
		{503, portal.EUNCERTAIN, portal.EUNAVAILABLE}, {504, portal.EUNCERTAIN, portal.EUNAVAILABLE},
	}
	for _, tc := range cases {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			io.WriteString(w, `{"message":"upstream says no"}`)
		}))
		c := &Caller{Name: "TEST", Message: func(int, []byte) string { return "upstream says no" }, Sleep: noSleep}
		for _, idem := range []bool{false, true} {
			want, method := tc.write, "POST"
			if idem {
				want, method = tc.read, "GET"
			}
			_, err := c.Do(context.Background(), Request{Method: method, URL: srv.URL, Idempotent: idem})
			var pe *portal.Error
			if portal.ErrorCode(err) != want {
				t.Errorf("%s %d: code %q, want %q", method, tc.status, portal.ErrorCode(err), want)
			} else if !errorsAs(err, &pe) || pe.Status != tc.status || !strings.Contains(pe.Message, "upstream says no") || !strings.Contains(pe.Message, "TEST") {
				t.Errorf("%s %d: error %v lacks status or upstream message", method, tc.status, err)
			}
			if CodeForStatus(tc.status, idem) != want {
				t.Errorf("CodeForStatus(%d, %v) = %q, want %q", tc.status, idem, CodeForStatus(tc.status, idem), want)
			}
		}
		srv.Close()
	}
}

// A write whose answer is a 2xx that cannot be read, or is cut off, was
// accepted by the upstream: its outcome is unknown, never "no effect". A
// read that gets such an answer is simply retried.
func TestDo_UnreadableAnswers(t *testing.T) {
	var n atomic.Int32
	garbled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			io.WriteString(w, `{"unexpected": [1, 2,`)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	defer garbled.Close()
	decode := func(b []byte) error {
		var v struct{ OK bool }
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		if !v.OK {
			return errors.New("no ok")
		}
		return nil
	}
	c := &Caller{Name: "T", Retries: 2, Sleep: noSleep}
	_, err := c.Do(context.Background(), Request{Method: "POST", URL: garbled.URL, Decode: decode})
	if portal.ErrorCode(err) != portal.EUNCERTAIN || n.Load() != 1 || !strings.Contains(err.Error(), "may have taken effect") {
		t.Fatalf("garbled 2xx to a write: %v after %d attempts", err, n.Load())
	}
	n.Store(0)
	resp, err := c.Do(context.Background(), Request{Method: "GET", URL: garbled.URL, Idempotent: true, Decode: decode})
	if err != nil || n.Load() != 2 || string(resp.Body) != `{"ok":true}` {
		t.Fatalf("garbled 2xx to a read is retried: %v after %d attempts", err, n.Load())
	}

	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		io.WriteString(w, strings.Repeat("x", 100))
	}))
	defer big.Close()
	small := &Caller{Name: "T", MaxBody: 10}
	if _, err := small.Do(context.Background(), Request{Method: "POST", URL: big.URL}); portal.ErrorCode(err) != portal.EUNCERTAIN {
		t.Fatalf("oversized 2xx to a write: %v", err)
	}

	cut := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		io.WriteString(w, `{"ok":`)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	defer cut.Close()
	cut.Config.ErrorLog = log.New(io.Discard, "", 0)
	if _, err := c.Do(context.Background(), Request{Method: "POST", URL: cut.URL}); portal.ErrorCode(err) != portal.EUNCERTAIN {
		t.Fatalf("cut-off answer to a write: %v", err)
	}
}

// A write's connection reset after the request was written is uncertain;
// a read's is unavailable and retried.
func TestDo_ResetAfterWrite(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		n.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	}))
	defer srv.Close()
	c := &Caller{Name: "T", Retries: 1, Sleep: noSleep}
	_, err := c.Do(context.Background(), Request{Method: "POST", URL: srv.URL, Body: []byte(`{}`)})
	if portal.ErrorCode(err) != portal.EUNCERTAIN || n.Load() != 1 {
		t.Fatalf("reset write: %v after %d attempts", err, n.Load())
	}
	n.Store(0)
	_, err = c.Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true})
	if portal.ErrorCode(err) != portal.EUNAVAILABLE || n.Load() != 2 {
		t.Fatalf("reset read: %v after %d attempts", err, n.Load())
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
	if portal.ErrorCode(err) != portal.EUNCERTAIN || n.Load() != 1 {
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
	_, err := c.Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true, Header: http.Header{"Authorization": {"Bearer s3cret"}}})
	if portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("oversized body: %v", err)
	}
	if !strings.Contains(logs.String(), "status=200") || strings.Contains(logs.String(), "s3cret") {
		t.Fatalf("debug log: %s", logs.String())
	}
}

// A streamed answer is read as it arrives: larger than MaxBody is fine,
// an answer cut off part way is read again for a read (Stream is called
// again), Stream's own error is returned as it is without a retry, and an
// error status is never streamed.
func TestDo_Stream(t *testing.T) {
	var n atomic.Int32
	big := strings.Repeat("x", 10_000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cut":
			io.WriteString(w, big[:5000])
			w.(http.Flusher).Flush()
			if n.Add(1) == 1 {
				panic(http.ErrAbortHandler)
			}
			io.WriteString(w, big[5000:])
		case "/missing":
			n.Add(1)
			w.WriteHeader(404)
			io.WriteString(w, "no such thing")
		default:
			n.Add(1)
			io.WriteString(w, big)
		}
	}))
	defer srv.Close()
	c := &Caller{Name: "T", Retries: 2, MaxBody: 100, Sleep: noSleep}
	var got []int
	read := func(body io.Reader) error {
		b, err := io.ReadAll(body)
		got = append(got, len(b))
		return err
	}
	resp, err := c.Do(context.Background(), Request{Method: "GET", URL: srv.URL + "/cut", Idempotent: true, Stream: read})
	if err != nil || resp.Body != nil || n.Load() != 2 || len(got) != 2 || got[0] != 5000 || got[1] != 10_000 {
		t.Fatalf("cut once: %v, %d attempts, streams read %v", err, n.Load(), got)
	}

	n.Store(0)
	refused := portal.Errorf(portal.EUNAVAILABLE, "not what I wanted")
	_, err = c.Do(context.Background(), Request{Method: "GET", URL: srv.URL, Idempotent: true,
		Stream: func(io.Reader) error { return refused }})
	if err != refused || n.Load() != 1 {
		t.Fatalf("refused: %v after %d attempts", err, n.Load())
	}

	n.Store(0)
	_, err = c.Do(context.Background(), Request{Method: "GET", URL: srv.URL + "/missing", Idempotent: true,
		Stream: func(io.Reader) error { t.Error("an error answer was streamed"); return nil }})
	if portal.ErrorCode(err) != portal.ENOTFOUND || n.Load() != 1 {
		t.Fatalf("404: %v after %d attempts", err, n.Load())
	}

	// A write's answer cut off part way leaves its outcome unknown.
	n.Store(0)
	_, err = c.Do(context.Background(), Request{Method: "POST", URL: srv.URL + "/cut", Stream: read})
	if portal.ErrorCode(err) != portal.EUNCERTAIN || n.Load() != 1 {
		t.Fatalf("write cut off: %v after %d attempts", err, n.Load())
	}
}
