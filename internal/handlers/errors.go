package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/auth"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

var codeStatus = map[string]int{
	portal.EINVALID:      http.StatusBadRequest,
	portal.ENOTFOUND:     http.StatusNotFound,
	portal.ECONFLICT:     http.StatusConflict,
	portal.EUNAUTHORIZED: http.StatusUnauthorized,
	portal.EFORBIDDEN:    http.StatusForbidden,
	portal.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	portal.EUNAVAILABLE:  http.StatusServiceUnavailable,
	portal.EUNCERTAIN:    http.StatusBadGateway,
	portal.EINTERNAL:     http.StatusInternalServerError,
}

var statusHeading = map[int]string{
	http.StatusBadRequest:            "That request was not right",
	http.StatusNotFound:              "Not found",
	http.StatusMethodNotAllowed:      "Not allowed",
	http.StatusConflict:              "That changed in the meantime",
	http.StatusUnauthorized:          "Please sign in",
	http.StatusForbidden:             "Not allowed",
	http.StatusRequestEntityTooLarge: "Too large",
	http.StatusTooManyRequests:       "Too many attempts",
	http.StatusServiceUnavailable:    "Not available right now",
	http.StatusBadGateway:            "No answer from the upstream",
	http.StatusInternalServerError:   "Something went wrong",
}

// toPortalError turns Echo's own errors (unknown route, body limit) into
// portal errors, so there is one path to the error page.
func toPortalError(err error) *portal.Error {
	var pe *portal.Error
	if errors.As(err, &pe) {
		return pe
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return portal.Errorf(portal.ENOTFOUND, "There is no page at this address.")
		case http.StatusMethodNotAllowed:
			return &portal.Error{Code: portal.EINVALID, Status: http.StatusMethodNotAllowed, Message: "This address does not accept that kind of request."}
		case http.StatusRequestEntityTooLarge:
			return portal.Errorf(portal.ETOOLARGE, "What you sent is larger than the portal accepts (forms up to %sB, uploads up to %sB).", FormBodyLimit, UploadBodyLimit)
		case http.StatusBadRequest:
			return portal.Errorf(portal.EINVALID, "The request could not be read.")
		}
	}
	return &portal.Error{Code: portal.EINTERNAL, Err: err}
}

// handleError is the one place errors become pages. A 500 shows a
// reference id, never the error's text; the text goes to the log.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	// A client that went away (a closed tab, a load generator stopping)
	// cancels its request: nobody reads an answer, and it is no error of
	// the portal's to log as one.
	if errors.Is(c.Request().Context().Err(), context.Canceled) {
		h.Logger.Debug("request cancelled by the client", slog.String("uri", c.Request().RequestURI))
		return
	}
	pe := toPortalError(err)
	status := codeStatus[pe.Code]
	if pe.Status >= 400 && pe.Code != portal.EINTERNAL {
		status = pe.Status
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	msg := portal.ErrorMessage(pe)
	if pe.Code == portal.EINTERNAL {
		h.Logger.Error("internal error", slog.String("request_id", reqID), slog.String("uri", c.Request().RequestURI), slog.Any("error", err))
		msg = "Something went wrong on our side. The problem has been logged."
	}
	if isAPI(c) {
		if err := writeAPIError(c, status, pe.Code, msg, reqID); err != nil {
			h.Logger.Error("write API error", slog.Any("error", err))
		}
		return
	}
	v := templates.ErrorView{Status: status, Heading: statusHeading[status], Message: msg, SignIn: status == http.StatusUnauthorized}
	if status >= 500 {
		v.RequestID = reqID
	}
	v.Page = templates.Page{Title: v.Heading}
	if u := portal.UserFromContext(c.Request().Context()); u != nil {
		v.Page.User = u
		if s := auth.SessionFromContext(c.Request().Context()); s != nil {
			v.Page.CSRF = s.CSRFToken
		}
	}
	// HEAD renders too, so its headers are those of GET; the server drops the body.
	if err := render(c, status, templates.ErrorPage(v)); err != nil {
		h.Logger.Error("render error page", slog.Any("error", err))
	}
}
