// Package upstream is the HTTP transport the portal's upstream clients share:
// a per-attempt timeout, retries with backoff for reads only, a response
// size limit, a debug log of each request without its credentials, and the
// mapping of every failure to a portal error code.
//
// The mapping is what keeps writes exactly-once: the outbox sends a write
// again only when the earlier attempt provably had no effect, so the
// transport says which outcomes prove that. For a write (a Request that is
// not Idempotent):
//
//   - EUNAVAILABLE, nothing happened: the request was never completely
//     written to the connection (refused connection, DNS, TLS, a
//     connection that broke while it was being written), or the upstream
//     answered 429 (rate limit: refused unread) or 408 (it gave up waiting
//     for the request);
//   - EINVALID, ENOTFOUND, ECONFLICT, ...: the upstream refused it (4xx);
//   - EUNCERTAIN, it may have happened: every other 5xx (500, 502, 503,
//     504: a gateway may answer them after the upstream acted, and none of
//     the four upstreams documents a 5xx that proves the request was not
//     read), no answer or a cut-off answer after the request was written,
//     and a 2xx whose body cannot be read (Request.Decode).
//
// A read (Idempotent) cannot have an uncertain outcome: its failures are
// EUNAVAILABLE and it is retried here.
package upstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// Caller sends requests to one upstream.
type Caller struct {
	// Name is how the upstream is named in messages ("ARGO").
	Name string
	// HTTP is the client to use; nil means a client with default transport.
	HTTP *http.Client
	// Timeout bounds each attempt; 0 means 30 seconds.
	Timeout time.Duration
	// Retries is the number of extra attempts for idempotent requests that
	// failed with EUNAVAILABLE; writes are never retried here.
	Retries int
	// Backoff is the wait before the first retry, doubled each time; 0 means 500ms.
	Backoff time.Duration
	// MaxBody limits a response body; 0 means 64 MiB.
	MaxBody int64
	// Logger receives one debug line per attempt when Debug is set.
	Logger *slog.Logger
	Debug  bool
	// Message extracts the upstream's own error text from an error answer;
	// nil or "" falls back to the status text.
	Message func(status int, body []byte) string
	// Sleep waits between retries; nil means a timer honouring ctx. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Request is one call.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Idempotent requests (reads) are retried, and their failures are all
	// EUNAVAILABLE. A request that is not idempotent (a write) is sent once
	// and its failures are classified as the package doc says.
	Idempotent bool
	// Decode, if set, checks the body of a 2xx answer (typically by
	// decoding it into what the caller needs). A body it refuses makes the
	// attempt EUNCERTAIN for a write (the upstream accepted something; only
	// its answer is unreadable) and EUNAVAILABLE for a read (retried).
	Decode func(body []byte) error
	// Stream, if set, reads the body of a 2xx answer as it arrives instead
	// of it being collected first (for answers too large to hold at once);
	// Response.Body is then nil, and neither MaxBody nor Decode applies.
	// It runs within the attempt's Timeout. An answer cut off while it
	// reads is a cut-off answer like any other (a read is retried, and
	// Stream is called again with the new answer); any other error it
	// returns is returned as it is, without a retry.
	Stream func(body io.Reader) error
}

// Response is a 2xx answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req, retrying idempotent requests, and returns the 2xx answer or
// a *portal.Error.
func (c *Caller) Do(ctx context.Context, req Request) (*Response, error) {
	attempts := 1
	if req.Idempotent {
		attempts += c.Retries
	}
	wait := c.Backoff
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	var err error
	for i := range attempts {
		var resp *Response
		var retryAfter time.Duration
		resp, retryAfter, err = c.once(ctx, req)
		if err == nil {
			return resp, nil
		}
		if sr, ok := err.(streamRefused); ok {
			return nil, sr.err
		}
		code := portal.ErrorCode(err)
		if i == attempts-1 || (code != portal.EUNAVAILABLE && code != portal.EUNCERTAIN) || ctx.Err() != nil {
			break
		}
		d := max(wait, min(retryAfter, 30*time.Second))
		if serr := c.sleep(ctx, d); serr != nil {
			break
		}
		wait *= 2
	}
	return nil, err
}

func (c *Caller) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Caller) once(ctx context.Context, req Request) (*Response, time.Duration, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, req.URL, body)
	if err != nil {
		return nil, 0, portal.WrapError(portal.EINTERNAL, err, "%s: bad request URL", c.Name)
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	start := time.Now()
	resp, err := hc.Do(hr)
	if err != nil {
		c.log(req, 0, start, err)
		return nil, 0, c.transportError(req, err, wrote.Load())
	}
	defer resp.Body.Close()
	if req.Stream != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return c.stream(req, resp, start)
	}
	limit := c.MaxBody
	if limit <= 0 {
		limit = 64 << 20
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	c.log(req, resp.StatusCode, start, err)
	ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
	if err != nil {
		if req.Idempotent || resp.StatusCode == http.StatusTooManyRequests {
			return nil, 0, portal.WrapError(portal.EUNAVAILABLE, err, "%s: the answer was cut off", c.Name)
		}
		// The upstream answered a write, so it has processed it; only its reply was lost.
		return nil, 0, portal.WrapError(portal.EUNCERTAIN, err, "%s: the answer was cut off; the request may or may not have taken effect", c.Name)
	}
	if int64(len(b)) > limit {
		if ok {
			return nil, 0, c.unreadable(req, resp.StatusCode, fmt.Errorf("the answer is larger than %d bytes", limit))
		}
		b = b[:limit]
	}
	if !ok {
		return nil, retryAfter(resp.Header), c.statusError(req, resp.StatusCode, b)
	}
	if req.Decode != nil {
		if err := req.Decode(b); err != nil {
			return nil, 0, c.unreadable(req, resp.StatusCode, err)
		}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, 0, nil
}

// stream hands a 2xx body to req.Stream, telling an answer cut off on
// the way (the body's reads failed) from one Stream refused.
func (c *Caller) stream(req Request, resp *http.Response, start time.Time) (*Response, time.Duration, error) {
	body := &watchedBody{r: resp.Body}
	err := req.Stream(body)
	if body.err != nil {
		err = body.err
	}
	c.log(req, resp.StatusCode, start, err)
	switch {
	case body.err != nil && req.Idempotent:
		return nil, 0, portal.WrapError(portal.EUNAVAILABLE, body.err, "%s: the answer was cut off", c.Name)
	case body.err != nil:
		return nil, 0, portal.WrapError(portal.EUNCERTAIN, body.err, "%s: the answer was cut off; the request may or may not have taken effect", c.Name)
	case err != nil:
		return nil, 0, streamRefused{err}
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header}, 0, nil
}

// watchedBody notes the first failed read of a body (io.EOF is its end,
// not a failure).
type watchedBody struct {
	r   io.Reader
	err error
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// streamRefused carries an error of Request.Stream out of Do's retries.
type streamRefused struct{ err error }

func (e streamRefused) Error() string { return e.err.Error() }

// unreadable is the error for a 2xx answer whose body is not what the
// caller needs: for a write the upstream accepted it, so its effect is
// unknown, not absent.
func (c *Caller) unreadable(req Request, status int, err error) error {
	if req.Idempotent {
		return &portal.Error{Code: portal.EUNAVAILABLE, Status: status, Err: err,
			Message: fmt.Sprintf("%s answered %d with a body that cannot be read: %v", c.Name, status, err)}
	}
	return &portal.Error{Code: portal.EUNCERTAIN, Status: status, Err: err,
		Message: fmt.Sprintf("%s answered %d with a body that cannot be read (%v); the request may have taken effect", c.Name, status, err)}
}

func (c *Caller) transportError(req Request, err error, wrote bool) error {
	if wrote && !req.Idempotent {
		return portal.WrapError(portal.EUNCERTAIN, err, "%s did not answer in time; the request may or may not have taken effect", c.Name)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		if wrote {
			return portal.WrapError(portal.EUNAVAILABLE, err, "%s did not answer in time", c.Name)
		}
		return portal.WrapError(portal.EUNAVAILABLE, err, "%s could not be reached in time", c.Name)
	}
	return portal.WrapError(portal.EUNAVAILABLE, err, "%s could not be reached", c.Name)
}

// statusError maps an error status to a portal code, keeping the upstream's message.
func (c *Caller) statusError(req Request, status int, body []byte) error {
	msg := ""
	if c.Message != nil {
		msg = c.Message(status, body)
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	code := CodeForStatus(status, req.Idempotent)
	text := fmt.Sprintf("%s answered %d: %s", c.Name, status, msg)
	if code == portal.EUNCERTAIN {
		text += " (the request may or may not have taken effect)"
	}
	return &portal.Error{Code: code, Status: status, Message: text}
}

// CodeForStatus maps an HTTP error status to a portal error code. For a
// read (idempotent) every 429 and 5xx is EUNAVAILABLE, to be retried. For
// a write only the answers that say the request was not applied are
// EUNAVAILABLE: 429 (refused unread by a rate limit) and 408 (the server
// gave up waiting for the request); any other 5xx is EUNCERTAIN, because a
// gateway answers 502 or 504 after the upstream acted, and a 500 or 503
// may come after the upstream wrote its change.
func CodeForStatus(status int, idempotent bool) string {
	switch {
	case status == http.StatusUnauthorized:
		return portal.EUNAUTHORIZED
	case status == http.StatusForbidden:
		return portal.EFORBIDDEN
	case status == http.StatusNotFound:
		return portal.ENOTFOUND
	case status == http.StatusConflict:
		return portal.ECONFLICT
	case status == http.StatusRequestEntityTooLarge:
		return portal.ETOOLARGE
	case status == http.StatusTooManyRequests, status == http.StatusRequestTimeout:
		return portal.EUNAVAILABLE
	case status >= 500 && idempotent:
		return portal.EUNAVAILABLE
	case status >= 500:
		return portal.EUNCERTAIN
	default:
		return portal.EINVALID
	}
}

func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

func (c *Caller) log(req Request, status int, start time.Time, err error) {
	if !c.Debug || c.Logger == nil {
		return
	}
	attrs := []any{slog.String("upstream", c.Name), slog.String("method", req.Method), slog.String("url", req.URL),
		slog.Int("status", status), slog.Duration("took", time.Since(start))}
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	}
	c.Logger.Debug("upstream request", attrs...)
}

// IdleConnsPerHost is how many idle connections to its upstream a client
// keeps for reuse: more than the sync's workers (4 at once by default)
// plus the outbox dispatcher, so that concurrent reads reuse connections
// rather than open (and, for HTTPS, handshake) a new one for most
// requests. Go's default keeps 2.
const IdleConnsPerHost = 16

// Pooled returns the HTTP client a Caller should use: hc with its
// transport keeping IdleConnsPerHost idle connections per host (raised on
// the *http.Transport it is given, which belongs to this client), or a
// client of its own when hc is nil.
func Pooled(hc *http.Client) *http.Client {
	if hc == nil {
		hc = &http.Client{}
	}
	switch tr := hc.Transport.(type) {
	case nil:
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = IdleConnsPerHost
		hc.Transport = t
	case *http.Transport:
		if tr.MaxIdleConnsPerHost < IdleConnsPerHost {
			tr.MaxIdleConnsPerHost = IdleConnsPerHost
		}
	}
	return hc
}
