package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// The API's writes take the fields of the forms that make the same
// writes, as a JSON object, and go through the same functions as the
// forms (createBudgetRequest, approveRequest, denyRequest, pushMetric,
// acceptUpload): the same checks, the same transaction with its outbox
// item, the same refusals.

// registerAPI mounts the API: every table's JSON twin, the writes, who
// the token acts as, and the OpenAPI document.
func (h *Handler) registerAPI(e *echo.Echo) {
	if h.Tokens == nil {
		return
	}
	h.add(e, "GET", APIBase+"/openapi.json", h.handleOpenAPI, Public)
	h.add(e, "GET", APIBase+"/me", h.handleAPIMe, Member)
	for _, t := range apiTables {
		h.add(e, "GET", APIBase+t.Path, t.Handler(h), t.Access)
	}
	h.add(e, "POST", APIBase+"/requests", h.handleAPIRequestCreate, Manager)
	h.add(e, "POST", APIBase+"/requests/:id/approve", h.handleAPIApprove, Admin)
	h.add(e, "POST", APIBase+"/requests/:id/deny", h.handleAPIDeny, Admin)
	h.add(e, "POST", APIBase+"/metrics/installations/:id/pushes", h.handleAPIPush, Manager)
	h.add(e, "POST", APIBase+"/usage/uploads", h.handleAPIUpload, Manager)
}

// APIMe is who a token acts as.
type APIMe struct {
	Subject      string   `json:"subject"`
	Name         string   `json:"name"`
	Roles        []string `json:"roles"`
	Manages      []string `json:"manages"`
	Member       []string `json:"member"`
	Admin        bool     `json:"admin"`
	TokenName    string   `json:"token_name"`
	TokenScope   string   `json:"token_scope"`
	TokenExpires string   `json:"token_expires_utc"`
}

func (h *Handler) handleAPIMe(c echo.Context) error {
	u, t := user(c), apiToken(c)
	me := APIMe{Subject: u.Subject, Name: u.DisplayName(), Roles: nonNil(u.Roles()), Manages: nonNil(u.Manages), Member: nonNil(u.Member),
		Admin: u.Admin}
	if t != nil {
		me.TokenName, me.TokenScope, me.TokenExpires = t.Name, t.Scope, csvTime(t.Expires)
	}
	return writeAPI(c, http.StatusOK, me)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// APIWritten is the answer to a write: what was made or changed, its
// state, and the page that follows it.
type APIWritten struct {
	ID    int64  `json:"id"`
	State string `json:"state"`
	Page  string `json:"page"`
	// Summary says in words what was written.
	Summary string `json:"summary,omitempty"`
}

// APIInvalid is the answer to a write whose fields were refused: the
// error, and the problem of each field (the same texts the form shows).
type APIInvalid struct {
	Error APIInvalidBody `json:"error"`
}

// APIInvalidBody is an error with the problems of each field.
type APIInvalidBody struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields"`
}

// refuseFields answers 422 with the problem of each field.
func refuseFields(c echo.Context, msg string, errs map[string]string) error {
	keys := make([]string, 0, len(errs))
	for k := range errs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+strings.TrimSuffix(errs[k], "."))
	}
	if msg == "" {
		msg = "Nothing was written"
	}
	return writeAPI(c, http.StatusUnprocessableEntity, APIInvalid{Error: APIInvalidBody{Code: portal.EINVALID,
		Message: strings.TrimSuffix(msg, ".") + ": " + strings.Join(parts, "; "), Fields: errs}})
}

// readAPIFields reads a write's JSON body: an object whose keys are the
// form's fields and whose values are strings (numbers and booleans are
// taken as the form would send them). An unknown field, or a body that
// is not such an object, is refused with what was wrong.
func readAPIFields(c echo.Context, fields []string) (func(string) string, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, err
	}
	vals := map[string]string{}
	if len(bytes.TrimSpace(body)) == 0 {
		return func(k string) string { return vals[k] }, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, portal.Errorf(portal.EINVALID, "The body is not a JSON object of fields: %v.", jsonProblem(err))
	}
	var problems []string
	for k, v := range raw {
		if !slices.Contains(fields, k) {
			problems = append(problems, fmt.Sprintf("%q is not a field of this request (its fields: %s)", k, strings.Join(fields, ", ")))
			continue
		}
		var s string
		var b bool
		var n json.Number
		switch {
		case string(v) == "null":
		case json.Unmarshal(v, &s) == nil:
			vals[k] = s
		case json.Unmarshal(v, &b) == nil:
			if b {
				vals[k] = "1"
			}
		case json.Unmarshal(v, &n) == nil:
			vals[k] = n.String()
		default:
			problems = append(problems, fmt.Sprintf("%s: give a string", k))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, portal.Errorf(portal.EINVALID, "%s.", strings.Join(problems, "; "))
	}
	return func(k string) string { return vals[k] }, nil
}

// jsonProblem says where a body stopped being JSON, without echoing it.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "not valid JSON at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "it is a JSON " + te.Value + ", not an object"
	}
	return "not valid JSON"
}

func (h *Handler) handleAPIRequestCreate(c echo.Context) error {
	get, err := readAPIFields(c, requestFields)
	if err != nil {
		return err
	}
	f := readRequestForm(get)
	id, errs, warn, dup, err := h.createBudgetRequest(c.Request().Context(), user(c), &f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		if _, ok := errs["acknowledge"]; ok && warn != "" {
			errs["acknowledge"] = warn + " Send acknowledge: true to ask anyway."
		}
		if _, ok := errs["confirm_duplicate"]; ok {
			errs["confirm_duplicate"] = dup + " Send confirm_duplicate: true to ask anyway."
		}
		return refuseFields(c, "The request was not made", errs)
	}
	r, err := h.Budgets.BudgetRequestByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/requests/"+strconv.FormatInt(id, 10))
	return writeAPI(c, http.StatusCreated, APIWritten{ID: id, State: r.State, Page: "/requests/" + strconv.FormatInt(id, 10), Summary: r.Summary()})
}

func (h *Handler) handleAPIApprove(c echo.Context) error {
	r, err := h.visibleRequest(c)
	if err != nil {
		return err
	}
	get, err := readAPIFields(c, approvalFields)
	if err != nil {
		return err
	}
	done, errs, err := h.approveRequest(c.Request().Context(), user(c), r, readApproval(get))
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return refuseFields(c, "The request was not approved", errs)
	}
	return writeAPI(c, http.StatusOK, APIWritten{ID: done.ID, State: done.State, Page: "/requests/" + strconv.FormatInt(done.ID, 10), Summary: approvedText(done)})
}

func (h *Handler) handleAPIDeny(c echo.Context) error {
	r, err := h.visibleRequest(c)
	if err != nil {
		return err
	}
	get, err := readAPIFields(c, denialFields)
	if err != nil {
		return err
	}
	errs, err := h.denyRequest(c.Request().Context(), user(c), r, readDenial(get))
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return refuseFields(c, "The request was not denied", errs)
	}
	done, err := h.Budgets.BudgetRequestByID(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	return writeAPI(c, http.StatusOK, APIWritten{ID: done.ID, State: done.State, Page: "/requests/" + strconv.FormatInt(done.ID, 10), Summary: done.Summary()})
}

func (h *Handler) handleAPIPush(c echo.Context) error {
	in, err := h.pushTarget(c)
	if err != nil {
		return err
	}
	get, err := readAPIFields(c, pushFields)
	if err != nil {
		return err
	}
	id, errs, formErr, err := h.pushMetric(c.Request().Context(), user(c), in, readPushForm(get))
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return refuseFields(c, formErr, errs)
	}
	page := "/metrics/pushes/" + strconv.FormatInt(id, 10)
	c.Response().Header().Set(echo.HeaderLocation, page)
	return writeAPI(c, http.StatusCreated, APIWritten{ID: id, State: portal.OutboxQueued, Page: page})
}

// APIUploadRefused is the answer to a file with problems: each by line
// and column, as the form lists them.
type APIUploadRefused struct {
	Error APIUploadRefusedBody `json:"error"`
}

// APIUploadRefusedBody lists a refused file's problems.
type APIUploadRefusedBody struct {
	Code     string             `json:"code"`
	Message  string             `json:"message"`
	Problems []APIUploadProblem `json:"problems"`
	// More counts the problems beyond those listed.
	More int `json:"more"`
}

// APIUploadProblem is one problem of a file (line 0: the whole file).
type APIUploadProblem struct {
	Line   int    `json:"line"`
	Column string `json:"column"`
	Reason string `json:"reason"`
}

// handleAPIUpload takes a file of usage records as the form does
// (multipart/form-data with the fields type and file).
func (h *Handler) handleAPIUpload(c echo.Context) error {
	if c.Request().ContentLength > uploadMaxBytes {
		return portal.Errorf(portal.ETOOLARGE, "The file is larger than the portal accepts (%sB); split it into smaller files.", UploadBodyLimit)
	}
	errs := map[string]string{}
	typ := c.FormValue("type")
	s := usageSchemaByKey(typ)
	if s == nil {
		errs["type"] = "Give the record type of the file: compute, storage or adjustment."
	}
	fh, err := c.FormFile("file")
	switch {
	case err != nil:
		errs["file"] = "Send the CSV file as the multipart field file."
	case fh.Size > uploadMaxBytes:
		return portal.Errorf(portal.ETOOLARGE, "The file is larger than the portal accepts (%sB); split it into smaller files.", UploadBodyLimit)
	}
	if !h.source(portal.UpstreamAMIE).Configured {
		errs["file"] = "ACCESS AMIE usage is not configured, so uploads cannot be sent."
	}
	if len(errs) > 0 {
		return refuseFields(c, "Nothing was uploaded", errs)
	}
	id, chunks, rep, err := h.acceptUpload(c.Request().Context(), user(c), s, fh, uploadFilename(fh.Filename))
	if err != nil {
		return err
	}
	if !rep.Clean() {
		out := APIUploadRefused{Error: APIUploadRefusedBody{Code: portal.EINVALID, More: rep.More,
			Message: fmt.Sprintf("The file was refused whole (%d problems); nothing was stored or sent.", rep.Total())}}
		for _, p := range rep.Problems {
			out.Error.Problems = append(out.Error.Problems, APIUploadProblem{Line: p.Line, Column: p.Column, Reason: p.Reason})
		}
		return writeAPI(c, http.StatusUnprocessableEntity, out)
	}
	page := "/usage/uploads/" + strconv.FormatInt(id, 10)
	c.Response().Header().Set(echo.HeaderLocation, page)
	return writeAPI(c, http.StatusCreated, APIWritten{ID: id, State: usage.UploadQueued, Page: page,
		Summary: fmt.Sprintf("%d records checked, sent in %d requests", rep.Rows, chunks)})
}
