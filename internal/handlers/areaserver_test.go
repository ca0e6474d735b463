package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
)

// areaServer serves one area's routes as registered (with their role
// checks and the error page) without sign-in, sessions or CSRF: each
// request runs as the person the test names, against fakes of the area's
// store. Forms, status codes and role checks are tested here; the whole
// stack (apptest) is for whole flows.
type areaServer struct {
	t *testing.T
	h *Handler
	e *echo.Echo
}

// areaNow is the clock of the handlers under test.
var areaNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// The people of the handler tests: the manager manages neuro-sim, the
// viewer is a member of climate-ml.
var (
	areaViewer  = &portal.User{Subject: "v", Name: "Vera Viewer", Member: []string{"climate-ml"}}
	areaManager = &portal.User{Subject: "m", Name: "Max Manager", Manages: []string{"neuro-sim"}, Member: []string{"neuro-sim"}}
	areaAdmin   = &portal.User{Subject: "a", Name: "Ada Admin", Admin: true}
)

// newAreaServer builds a Handler of d (a discarding logger, areaNow and a
// core store that knows no syncs by default) and registers its routes
// with register.
func newAreaServer(t *testing.T, d Deps, register func(h *Handler, e *echo.Echo)) *areaServer {
	t.Helper()
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = func() time.Time { return areaNow }
	}
	if d.Store == nil {
		d.Store = &coreFake{}
	}
	h := &Handler{Deps: d}
	e := echo.New()
	e.HTTPErrorHandler = h.handleError
	register(h, e)
	return &areaServer{t: t, h: h, e: e}
}

// get requests target as u (nil: nobody signed in).
func (s *areaServer) get(u *portal.User, target string) *httptest.ResponseRecorder {
	return s.serve(u, httptest.NewRequest(http.MethodGet, target, nil))
}

// post sends form to target as u.
func (s *areaServer) post(u *portal.User, target string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.serve(u, req)
}

func (s *areaServer) serve(u *portal.User, req *http.Request) *httptest.ResponseRecorder {
	if u != nil {
		req = req.WithContext(portal.NewContextWithUser(req.Context(), u))
	}
	w := httptest.NewRecorder()
	s.e.ServeHTTP(w, req)
	return w
}

// coreFake is the core store of pages that only show how fresh their data
// is and leave a message for the next page; a method the test does not
// expect panics (the embedded interface is nil).
type coreFake struct {
	Store
	flashes []string
}

func (f *coreFake) SourceStatuses(context.Context, []string) (map[string]portal.SourceStatus, error) {
	return map[string]portal.SourceStatus{}, nil
}

func (f *coreFake) SetFlash(_ context.Context, _, msg string) error {
	f.flashes = append(f.flashes, msg)
	return nil
}

// notifyCount counts the outbox wake-ups a handler sends.
type notifyCount struct{ n int }

func (c *notifyCount) Notify() { c.n++ }
