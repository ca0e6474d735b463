package obi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
	simobi "github.com/accounting-portal/portal/internal/sim/obi"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// rewriting serves the simulator, replacing in the answers to paths that
// start with prefix the first match of re by repl.
func rewriting(t *testing.T, prefix string, re *regexp.Regexp, repl string) *Client {
	t.Helper()
	sim := simobi.New(simobi.Options{World: world.New(1, 1), Now: func() time.Time { return t0 }})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, r)
		body := rec.Body.String()
		if strings.HasPrefix(r.URL.Path, prefix) {
			done := false
			body = re.ReplaceAllStringFunc(body, func(m string) string {
				if done {
					return m
				}
				done = true
				return repl
			})
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// An amount beyond the decimal bounds fails the read of that answer with
// an error naming the field and what is wrong, never a rounded number.
func TestClient_OutOfBoundsAmountsFailClearly(t *testing.T) {
	ctx := context.Background()
	labs := simobi.Directory(world.New(1, 1))
	lab, proj := labs[0].ID, labs[0].Projects[0].ID
	balance := regexp.MustCompile(`"balance":"[^"]*"`)
	amount := regexp.MustCompile(`"amount":"[^"]*"`)
	cases := []struct {
		name string
		call func(c *Client) error
		path string
		re   *regexp.Regexp
		repl string
		want string
	}{
		{"lab balance too large", func(c *Client) error { _, err := c.VirtualLabBalance(ctx, lab); return err },
			"/balance/virtual-lab/", balance, `"balance":"1E+101"`, `data.balance: "1E+101" is too large (numbers must be below 1E+101)`},
		{"project balance with too many digits", func(c *Client) error { _, err := c.ProjectBalance(ctx, proj); return err },
			"/balance/project/", balance, `"balance":"` + strings.Repeat("7", 35) + `"`, `data.balance: "` + strings.Repeat("7", 35) + `" has more than 34 significant digits`},
		{"job amount too small", func(c *Client) error { _, err := c.ProjectReportPage(ctx, proj, 1, 10); return err },
			"/report/project/", amount, `"amount":"1E-101"`, `.amount: "1E-101" is too small`},
		{"job amount not a number", func(c *Client) error { _, err := c.ProjectReportPage(ctx, proj, 1, 10); return err },
			"/report/project/", amount, `"amount":"12,5"`, `.amount: "12,5" is not a number`},
	}
	for _, tc := range cases {
		err := tc.call(rewriting(t, tc.path, tc.re, tc.repl))
		if portal.ErrorCode(err) != portal.EUNAVAILABLE || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an EUNAVAILABLE saying %q", tc.name, err, tc.want)
		}
	}
	// Untouched, the same calls succeed.
	c := rewriting(t, "/none", balance, "")
	if _, err := c.VirtualLabBalance(ctx, lab); err != nil {
		t.Fatal(err)
	}
}
