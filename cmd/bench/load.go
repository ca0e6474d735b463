package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// signIn signs user in to the portal at base through the development
// identity provider's form, as a browser does, and returns the Cookie
// header that carries the session.
func signIn(base, user string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(base + "/auth/login?return_to=%2F")
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	formURL := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || formURL == "" {
		return "", fmt.Errorf("sign-in as %s: /auth/login answered %d", user, resp.StatusCode)
	}
	resp, err = c.Get(formURL)
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	vals := url.Values{"user": {user}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)"`).FindAllStringSubmatch(string(body), -1) {
		vals.Set(m[1], strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(m[2]))
	}
	u, _ := url.Parse(formURL)
	u.RawQuery = ""
	resp, err = c.PostForm(u.String(), vals)
	for i := 0; err == nil && i < 10 && resp.StatusCode >= 300 && resp.StatusCode < 400; i++ {
		resp.Body.Close()
		loc, lerr := resp.Location()
		if lerr != nil {
			return "", fmt.Errorf("sign-in as %s: %w", user, lerr)
		}
		resp, err = c.Get(loc.String())
	}
	if err != nil {
		return "", fmt.Errorf("sign-in as %s: %w", user, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("sign-in as %s ended with %d", user, resp.StatusCode)
	}
	pu, _ := url.Parse(base)
	var parts []string
	for _, ck := range jar.Cookies(pu) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; "), nil
}

// fetch GETs a URL with the cookie and returns the status and body.
func fetch(ctx context.Context, u, cookie string) (int, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// loadResult is what a load run measured.
type loadResult struct {
	rps      float64
	p50, p99 time.Duration
	errors   int // answers other than 2xx/3xx, and failed requests
}

// loader runs a load of conns connections against one URL for d.
type loader interface {
	name() string
	run(ctx context.Context, u, cookie string, conns int, d time.Duration) (loadResult, error)
}

// wrkLoader runs wrk.
type wrkLoader struct{ path string }

func (wrkLoader) name() string { return "wrk" }

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s|m)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkSockErr = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func (w wrkLoader) run(ctx context.Context, u, cookie string, conns int, d time.Duration) (loadResult, error) {
	args := []string{"-t", "2", "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", max(1, int(d.Round(time.Second)/time.Second))), "--latency", "--timeout", "10s"}
	if cookie != "" {
		args = append(args, "-H", "Cookie: "+cookie)
	}
	out, err := exec.CommandContext(ctx, w.path, append(args, u)...).CombinedOutput()
	if err != nil {
		return loadResult{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	var r loadResult
	m := wrkRPS.FindSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk said no Requests/sec: %s", out)
	}
	r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	for _, m := range wrkPct.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute}[string(m[3])]
		if string(m[1]) == "50" {
			r.p50 = time.Duration(v * float64(unit))
		} else {
			r.p99 = time.Duration(v * float64(unit))
		}
	}
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		r.errors, _ = strconv.Atoi(string(m[1]))
	}
	if m := wrkSockErr.FindSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(string(s))
			r.errors += n
		}
	}
	return r, nil
}

// goLoader is wrk's shape in Go, for machines without wrk: conns
// keep-alive connections, each sending its next request as soon as the
// last answer is read, for d. A request started within d is let finish
// (and the rate taken over the time that really passed), so a page
// slower than d, as under the race detector, still gives one figure.
type goLoader struct{}

func (goLoader) name() string { return "in-Go load generator" }

func (goLoader) run(ctx context.Context, u, cookie string, conns int, d time.Duration) (loadResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	start := time.Now()
	end := start.Add(d)
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for time.Now().Before(end) && ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
				if cookie != "" {
					req.Header.Set("Cookie", cookie)
				}
				t := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t))
				if resp.StatusCode >= 400 {
					bad++
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(lat) == 0 {
		return loadResult{errors: errs}, fmt.Errorf("no request finished in %s", d)
	}
	slices.Sort(lat)
	return loadResult{rps: float64(len(lat)) / time.Since(start).Seconds(), p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], errors: errs}, nil
}

// sequentialP50 is the median time of n requests sent one after another
// on one connection: the time one person waits, with no load.
func sequentialP50(ctx context.Context, u, cookie string, n int) (time.Duration, error) {
	var lat []time.Duration
	for range n {
		t := time.Now()
		status, _, err := fetch(ctx, u, cookie)
		if err != nil {
			return 0, err
		}
		if status != http.StatusOK {
			return 0, fmt.Errorf("%s answered %d", u, status)
		}
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	return lat[len(lat)/2], nil
}

// blobHandler serves /__bench/static/<n>: n bytes of HTML-ish text as a
// static file (ServeContent, as a file server does), the floor of a page
// of n bytes on the same server.
func blobHandler(next http.Handler) http.Handler {
	var mu sync.Mutex
	blobs := map[int][]byte{}
	modTime := time.Now()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/__bench/static/")
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 || n > 64<<20 {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		b, ok := blobs[n]
		if !ok {
			b = bytes.Repeat([]byte("<p>static</p>\n"), n/14+1)[:n]
			blobs[n] = b
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, "page.html", modTime, bytes.NewReader(b))
	})
}
