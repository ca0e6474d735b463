package handlers

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// A request its client gave up on is not an internal error: nothing is
// logged above debug and no error page is written; a real failure still
// is both.
func TestHandleError_ClientGoneIsNotAnInternalError(t *testing.T) {
	var log bytes.Buffer
	h := &Handler{}
	h.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/budgets", nil).WithContext(ctx), w)
	h.handleError(errors.Join(errors.New("cache: begin read"), context.Canceled), c)
	if log.Len() != 0 || w.Body.Len() != 0 {
		t.Errorf("a cancelled request logged %q and wrote %q", log.String(), w.Body.String())
	}

	w = httptest.NewRecorder()
	c = echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/budgets", nil), w)
	h.handleError(errors.New("cache: disk I/O error"), c)
	if !strings.Contains(log.String(), "internal error") || w.Code != http.StatusInternalServerError {
		t.Errorf("a failure: logged %q, status %d", log.String(), w.Code)
	}
}
