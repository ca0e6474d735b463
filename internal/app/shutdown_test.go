package app

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/sim/simtls"
)

// startServe runs serveHTTP with h on a loopback listener (over TLS with
// HTTP/2 when ca is set) and returns its URL, a stop that cancels it, and
// the channel serveHTTP's result arrives on.
func startServe(t *testing.T, h http.Handler, ca *simtls.CA) (string, context.CancelFunc, chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	if ca != nil {
		cfg := ca.ServerConfig()
		cfg.NextProtos = []string{"h2", "http/1.1"}
		ln = tls.NewListener(ln, cfg)
		url = "https://" + ln.Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveHTTP(ctx, &http.Server{Handler: h}, ln, 15*time.Second) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
		}
	})
	return url, cancel, done
}

// stopTime cancels the server and returns how long serveHTTP took to return.
func stopTime(t *testing.T, cancel context.CancelFunc, done chan error) time.Duration {
	t.Helper()
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serveHTTP: %v", err)
		}
		done <- nil // for the cleanup
		return time.Since(start)
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop")
		return 0
	}
}

var hello = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") })

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Proto + " " + string(b)
}

// A connection that never sent a request (browsers open them ahead) and
// an idle keep-alive connection: http.Server.Shutdown alone waits five
// seconds for the first.
func TestServeHTTP_StopsAtOnceWithIdleAndSilentConnections(t *testing.T) {
	t.Parallel()
	url, cancel, done := startServe(t, hello, nil)
	c := &http.Client{Transport: &http.Transport{}}
	if got := get(t, c, url); got != "HTTP/1.1 hello" {
		t.Fatalf("answer %q", got)
	}
	silent, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	// The server has seen the silent connection once it answers another request.
	get(t, c, url)
	took := stopTime(t, cancel, done)
	t.Logf("stopped in %v", took)
	if took >= time.Second {
		t.Fatalf("stopping took %v: it waited for connections that carry no request", took)
	}
}

// An HTTP/2 client that keeps its connection after the server's GOAWAY (Go's
// does): http.Server.Shutdown alone waits a second for it to hang up.
func TestServeHTTP_StopsAtOnceWithALingeringHTTP2Connection(t *testing.T) {
	t.Parallel()
	ca, err := simtls.New()
	if err != nil {
		t.Fatal(err)
	}
	url, cancel, done := startServe(t, hello, ca)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig(), ForceAttemptHTTP2: true}}
	if got := get(t, c, url); got != "HTTP/2.0 hello" {
		t.Fatalf("answer %q", got)
	}
	took := stopTime(t, cancel, done)
	t.Logf("stopped in %v", took)
	if took >= time.Second {
		t.Fatalf("stopping took %v: it waited for an idle HTTP/2 connection", took)
	}
}

// A request in flight when the server is asked to stop is answered in full
// before serveHTTP returns, over HTTP/1.1 and HTTP/2 alike.
func TestServeHTTP_LetsRequestsInFlightFinish(t *testing.T) {
	t.Parallel()
	ca, err := simtls.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, useTLS := range []bool{false, true} {
		entered, release := make(chan struct{}), make(chan struct{})
		slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			close(entered)
			<-release
			io.WriteString(w, strings.Repeat("x", 1<<20))
		})
		var tlsCA *simtls.CA
		c := &http.Client{Transport: &http.Transport{}}
		if useTLS {
			tlsCA = ca
			c = &http.Client{Transport: &http.Transport{TLSClientConfig: ca.ClientConfig(), ForceAttemptHTTP2: true}}
		}
		url, cancel, done := startServe(t, slow, tlsCA)
		body := make(chan string, 1)
		go func() {
			resp, err := c.Get(url)
			if err != nil {
				body <- "error: " + err.Error()
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				body <- "error: " + err.Error()
				return
			}
			body <- string(b)
		}()
		<-entered
		cancel()
		select {
		case <-done:
			t.Fatalf("TLS %v: serveHTTP returned while a request was in flight", useTLS)
		case <-time.After(300 * time.Millisecond):
			// Still serving: longer than the grace after the last request.
		}
		close(release)
		if b := <-body; len(b) != 1<<20 {
			t.Fatalf("TLS %v: the request in flight got %.100q", useTLS, b)
		}
		if err := <-done; err != nil {
			t.Fatalf("TLS %v: %v", useTLS, err)
		}
		done <- nil
	}
}
