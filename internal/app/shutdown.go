package app

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// lingerGrace is how long after the last request was answered the server
// waits before closing connections that carry no request. It gives the
// last HTTP/2 frames, which the server writes after the handler returns,
// time to reach the client; http.Server itself would wait a second per
// HTTP/2 connection after its GOAWAY, and five for a connection that never
// sent a request.
const lingerGrace = 100 * time.Millisecond

// serveHTTP serves srv on ln until ctx ends, then shuts down: it stops
// accepting, lets requests in flight finish (for up to limit), and then
// closes at once the connections that carry no request instead of waiting
// for their clients to hang up.
func serveHTTP(ctx context.Context, srv *http.Server, ln net.Listener, limit time.Duration) error {
	t := trackConns(srv)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		srv.Close()
		return err
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	shutDone := make(chan error, 1)
	go func() { shutDone <- srv.Shutdown(shutCtx) }()
	for {
		// Requests in flight finish first.
		if !t.waitFor(shutDone, shutCtx, func() bool { return t.active == 0 }) {
			break
		}
		select {
		case <-shutDone:
		case <-shutCtx.Done():
		case <-time.After(lingerGrace):
		}
		if t.closeLingering() {
			t.waitFor(shutDone, shutCtx, func() bool { return len(t.conns) == 0 })
			break
		}
		// A request arrived in the grace period: wait for it too.
	}
	select {
	case err := <-shutDone:
		return err
	default:
	}
	if shutCtx.Err() != nil {
		srv.Close()
		return errors.New("shutdown: requests still running after " + limit.String() + " were cut off")
	}
	return nil
}

// connTracker follows the server's connections and the requests in flight.
type connTracker struct {
	mu     sync.Mutex
	conns  map[net.Conn]http.ConnState
	active int
	change chan struct{} // signalled after every change; serveHTTP is the one waiter
}

// trackConns hooks a tracker into srv's handler and connection states.
func trackConns(srv *http.Server) *connTracker {
	t := &connTracker{conns: map[net.Conn]http.ConnState{}, change: make(chan struct{}, 1)}
	next, hook := srv.Handler, srv.ConnState
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.update(func() { t.active++ })
		defer t.update(func() { t.active-- })
		next.ServeHTTP(w, r)
	})
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		t.update(func() {
			if s == http.StateClosed || s == http.StateHijacked {
				delete(t.conns, c)
			} else {
				t.conns[c] = s
			}
		})
		if hook != nil {
			hook(c, s)
		}
	}
	return t
}

func (t *connTracker) update(fn func()) {
	t.mu.Lock()
	fn()
	t.mu.Unlock()
	select {
	case t.change <- struct{}{}:
	default:
	}
}

// waitFor waits until cond (called under the lock) holds, and reports
// whether it did before Shutdown returned or its time ran out.
func (t *connTracker) waitFor(shutDone chan error, shutCtx context.Context, cond func() bool) bool {
	for {
		t.mu.Lock()
		ok := cond()
		t.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-t.change:
		case err := <-shutDone:
			shutDone <- err // leave it for the caller
			return false
		case <-shutCtx.Done():
			return false
		}
	}
}

// closeLingering closes the connections that carry no request: idle ones,
// and those whose state the server last reported as new, which are either
// connections that never sent a request or HTTP/2 connections (the server
// does not report their later states; with no handler running they carry
// no stream). Connections of HTTP/1 requests being answered are left to
// finish. It does nothing, and reports false, if a request is in flight.
func (t *connTracker) closeLingering() bool {
	t.mu.Lock()
	if t.active > 0 {
		t.mu.Unlock()
		return false
	}
	var idle []net.Conn
	for c, s := range t.conns {
		if s == http.StateNew || s == http.StateIdle {
			idle = append(idle, c)
		}
	}
	t.mu.Unlock()
	for _, c := range idle {
		// Close the socket itself: a TLS close would first write an alert,
		// which could block on a client that does not read.
		if tc, ok := c.(*tls.Conn); ok {
			c = tc.NetConn()
		}
		c.Close()
	}
	return true
}
