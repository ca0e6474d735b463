package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
	"github.com/accounting-portal/portal/web/templates"
)

// uploadRefresh is how often an upload's page reloads while it is delivered.
const uploadRefresh = 3

// handleUploads lists the user's uploads (an admin's: everyone's), or their CSV.
func (h *Handler) handleUploads(c echo.Context) error {
	ctx := c.Request().Context()
	lp, err := parseList(c.QueryParams(), usage.UploadSorts, "id", true)
	if err != nil {
		return err
	}
	u := user(c)
	f := usage.UploadFilter{Sort: lp.Sort, Desc: lp.Desc, Limit: lp.Size, Offset: lp.Offset()}
	if !u.Admin {
		f.CreatedBy = u.Subject
	}
	if wantsCSV(c) {
		return h.uploadsCSV(c, f)
	}
	ups, total, err := h.Usage.ListUsageUploads(ctx, f)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Usage uploads", "usage", portal.UpstreamAMIE)
	if err != nil {
		return err
	}
	v := templates.UsageUploadsView{Page: p, All: u.Admin, Pager: pager(c, lp, total), Total: total, CSVHref: csvHref(c)}
	for _, col := range []struct {
		label, key string
		num        bool
	}{{"#", "id", true}, {"Uploaded (UTC)", "", false}, {"By", "by", false}, {"Type", "type", false}, {"File", "file", false},
		{"Records", "records", true}, {"Requests delivered", "", true}, {"Accepted", "", true}, {"Refused", "", true}, {"State", "state", false}} {
		v.Headers = append(v.Headers, sortHeader(c, lp, col.label, col.key, col.num))
	}
	for _, up := range ups {
		v.Rows = append(v.Rows, usageUploadRow(up))
	}
	return render(c, http.StatusOK, templates.UsageUploads(v))
}

func usageUploadRow(u usage.Upload) templates.UploadRow {
	by := u.CreatedByName
	if by == "" {
		by = u.CreatedBy
	}
	return templates.UploadRow{ID: u.ID, Type: u.UsageType, Filename: u.Filename, By: by, Records: u.Records, Accepted: u.Accepted,
		Refused: u.Refused, NotSent: u.NotSent, Chunks: u.Chunks, ChunksDelivered: u.ChunksDelivered, State: u.State, Created: u.Created}
}

func (h *Handler) uploadsCSV(c echo.Context, f usage.UploadFilter) error {
	w, err := streamCSV(c, "usage_uploads.csv", []string{"id", "uploaded_utc", "uploaded_by", "usage_type", "file", "records",
		"total_charge_allocation_units", "projects", "requests", "requests_delivered", "accepted", "refused", "not_sent", "state"})
	if err != nil {
		return err
	}
	return w.finish(h.Usage.EachUsageUpload(c.Request().Context(), f, func(u usage.Upload) error {
		r := usageUploadRow(u)
		return w.row([]string{strconv.FormatInt(u.ID, 10), csvTime(u.Created), r.By, u.UsageType, u.Filename, strconv.Itoa(u.Records),
			u.TotalCharge, strings.Join(u.Projects, " "), strconv.Itoa(u.Chunks), strconv.Itoa(u.ChunksDelivered),
			strconv.Itoa(u.Accepted), strconv.Itoa(u.Refused), strconv.Itoa(u.NotSent), u.State})
	}))
}

// uploadOutcomes are the record filters of an upload's page.
var uploadOutcomes = []struct{ key, label string }{
	{"", "all"}, {usage.RecordPending, "pending"}, {usage.RecordAccepted, "accepted"}, {usage.RecordRefused, "refused by AMIE"},
	{usage.RecordOutcomeFailedProcessing, "failed processing"}, {usage.RecordNotSent, "not sent"}, {usage.RecordSent, "sent"},
}

// upload returns the upload of the :id parameter ("<id>" or "<id>.csv")
// if the user may see it: their own, or any for admins. Others get 404,
// as for an upload that does not exist.
func (h *Handler) usageUpload(c echo.Context) (*usage.Upload, error) {
	raw := strings.TrimSuffix(c.Param("id"), ".csv")
	id, err := strconv.ParseInt(raw, 10, 64)
	notFound := portal.Errorf(portal.ENOTFOUND, "There is no upload %q.", raw)
	if err != nil {
		return nil, notFound
	}
	up, err := h.Usage.UsageUploadByID(c.Request().Context(), id)
	if portal.ErrorCode(err) == portal.ENOTFOUND {
		return nil, notFound
	}
	if err != nil {
		return nil, err
	}
	if u := user(c); !u.Admin && up.CreatedBy != u.Subject {
		return nil, notFound
	}
	return up, nil
}

// handleUploadItem shows an upload's progress, outcome, records and
// history; /usage/uploads/<id>.csv is its records table as CSV.
func (h *Handler) handleUploadItem(c echo.Context) error {
	up, err := h.usageUpload(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	lp, err := parseList(q, usage.UploadRecordSorts, "line", false)
	if err != nil {
		return err
	}
	f := usage.UploadRecordFilter{Upload: up.ID, UsageType: up.UsageType, Outcome: q.Get("outcome"), Sort: lp.Sort, Desc: lp.Desc,
		Limit: lp.Size, Offset: lp.Offset()}
	if !validUploadOutcome(f.Outcome) {
		return portal.Errorf(portal.EINVALID, "outcome: %q is not a record outcome", f.Outcome)
	}
	if wantsCSV(c) || strings.HasSuffix(c.Param("id"), ".csv") {
		return h.uploadRecordsCSV(c, up, f)
	}
	v, err := h.uploadItemView(c, up, f, lp)
	if err != nil {
		return err
	}
	if v.InProgress {
		v.Page.Refresh = uploadRefresh
	}
	return render(c, http.StatusOK, templates.UsageUploadItem(v))
}

func validUploadOutcome(o string) bool {
	for _, x := range uploadOutcomes {
		if x.key == o {
			return true
		}
	}
	return false
}

func (h *Handler) uploadItemView(c echo.Context, up *usage.Upload, f usage.UploadRecordFilter, lp ListParams) (templates.UsageUploadItemView, error) {
	ctx := c.Request().Context()
	var v templates.UsageUploadItemView
	recs, total, err := h.Usage.ListUploadRecords(ctx, f)
	if err != nil {
		return v, err
	}
	progress, err := h.Usage.UploadProgress(ctx, up.ID)
	if err != nil {
		return v, err
	}
	refusals, err := h.Usage.UploadRefusals(ctx, up.ID)
	if err != nil {
		return v, err
	}
	processing, err := h.Usage.UploadProcessingFailures(ctx, up.ID, up.UsageType)
	if err != nil {
		return v, err
	}
	trail, err := h.Store.AuditTrail(ctx, usage.UploadRef(up.ID))
	if err != nil {
		return v, err
	}
	p, err := h.page(c, "Upload "+strconv.FormatInt(up.ID, 10), "usage", portal.UpstreamAMIE)
	if err != nil {
		return v, err
	}
	v = templates.UsageUploadItemView{Page: p, Upload: usageUploadRow(*up), StateText: usage.UploadStateText(up.State), Charge: up.TotalCharge,
		Projects: up.Projects, Refresh: uploadRefresh, Processing: processing, Outcome: f.Outcome, Pager: pager(c, lp, total), Total: total,
		CSVHref: uploadCSVHref(c, up.ID), Trail: auditRows(trail)}
	inFlight := progress[portal.OutboxQueued] + progress[portal.OutboxSending] + progress[portal.OutboxVerify]
	v.InProgress = inFlight > 0
	for _, s := range portal.OutboxStates {
		if n := progress[s]; n > 0 {
			v.Requests = append(v.Requests, templates.UsageStateCount{State: s, Count: n})
		}
	}
	for _, r := range refusals {
		v.Refusals = append(v.Refusals, templates.RefusalRow{Reason: r.Error, Records: r.Records})
	}
	for _, o := range uploadOutcomes {
		v.Outcomes = append(v.Outcomes, templates.PresetLink{Key: o.key, Label: o.label, Href: withQuery(c.Request().URL, "outcome", o.key, "page", "")})
	}
	for _, col := range []struct {
		label, key string
		num        bool
	}{{"Line", "line", true}, {"LocalRecordID", "record", false}, {"Resource", "resource", false}, {"Project", "project", false},
		{"User", "user", false}, {"Start (UTC)", "start", false}, {"Charge (allocation units)", "charge", true}, {"Outcome", "outcome", false}} {
		v.Headers = append(v.Headers, sortHeader(c, lp, col.label, col.key, col.num))
	}
	for _, r := range recs {
		v.Records = append(v.Records, templates.UploadRecordRow{Line: r.Line, RecordID: r.LocalRecordID, Resource: r.Resource,
			Project: r.LocalProjectID, User: r.Username, Start: r.Start, End: r.End, Charge: r.Charge, Outcome: r.Outcome,
			Error: r.Error, Processing: r.Processing, Chunk: r.Chunk})
	}
	if user(c).Admin {
		v.OutboxHref = "/outbox"
	}
	return v, nil
}

// uploadCSVHref is the records table's CSV twin: /usage/uploads/<id>.csv
// with the page's filters.
func uploadCSVHref(c echo.Context, id int64) string {
	u := *c.Request().URL
	u.Path = "/usage/uploads/" + strconv.FormatInt(id, 10) + ".csv"
	q := u.Query()
	q.Del("page")
	q.Del("format")
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

func (h *Handler) uploadRecordsCSV(c echo.Context, up *usage.Upload, f usage.UploadRecordFilter) error {
	name := "usage_upload_" + strconv.FormatInt(up.ID, 10) + "_records"
	if f.Outcome != "" {
		name += "_" + f.Outcome
	}
	w, err := streamCSV(c, name+".csv", []string{"line", "local_record_id", "resource", "local_project_id", "username", "start_utc",
		"end_utc", "charge_allocation_units", "request", "outcome", "error", "processing_error"})
	if err != nil {
		return err
	}
	return w.finish(h.Usage.EachUploadRecord(c.Request().Context(), f, func(r usage.UploadRecord) error {
		return w.row([]string{strconv.Itoa(r.Line), r.LocalRecordID, r.Resource, r.LocalProjectID, r.Username, csvTime(r.Start),
			csvTime(r.End), r.Charge, strconv.Itoa(r.Chunk + 1), r.Outcome, r.Error, r.Processing})
	}))
}
