package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// handleBillingRecord shows one record; with ".csv" it downloads it in the
// records CSV's columns.
func (h *Handler) handleBillingRecord(c echo.Context) error {
	key := c.Param("key")
	asCSV := strings.HasSuffix(key, ".csv")
	key = strings.TrimSuffix(key, ".csv")
	r, err := h.Billing.BillingRecordByKey(c.Request().Context(), key)
	if err != nil {
		return err
	}
	if asCSV {
		w, err := streamCSV(c, "vergeos_billing_record_"+key+".csv", recordsCSVHeader)
		if err != nil {
			return err
		}
		return w.finish(w.row(recordCSVRow(&r, nil)))
	}
	p, err := h.page(c, "Billing record "+key, "billing", portal.UpstreamVergeOS)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.BillingRecord(templates.BillingRecordView{Page: p, Record: recordRow(&r),
		CSVHref: recordHref(key) + ".csv"}))
}

// handleBillingGenerate records an admin's request to generate a billing
// record (request row and outbox item in one transaction) and goes to the
// request's page, where its state moves on.
func (h *Handler) handleBillingGenerate(c echo.Context) error {
	note := strings.TrimSpace(c.FormValue("note"))
	form := templates.GenerateForm{Note: note}
	if form.NoteError = billing.NoteProblem(note); form.NoteError != "" {
		return h.rerenderBilling(c, http.StatusUnprocessableEntity, form)
	}
	u := user(c)
	id, err := h.Billing.RequestBillingGenerate(c.Request().Context(), u.Subject, u.DisplayName(), note)
	if portal.ErrorCode(err) == portal.ECONFLICT {
		form.Error = portal.ErrorMessage(err)
		return h.rerenderBilling(c, http.StatusConflict, form)
	}
	if err != nil {
		return err
	}
	h.Outbox.Notify()
	return h.flashRedirect(c, "Request "+strconv.FormatInt(id, 10)+" to generate a billing record is queued for VergeOS.", "/billing/requests/"+strconv.FormatInt(id, 10))
}

// rerenderBilling shows the billing page again with the generate form's
// input and errors, for the range the form was sent from.
func (h *Handler) rerenderBilling(c echo.Context, status int, form templates.GenerateForm) error {
	q := url.Values{}
	for _, k := range []string{"range", "from", "to", "sort", "unsent", "size"} {
		if v := c.FormValue(k); v != "" {
			q.Set(k, v)
		}
	}
	bq, err := h.parseBillingQuery(q)
	if err != nil {
		bq, _ = h.parseBillingQuery(url.Values{})
		q = url.Values{}
	}
	// Build the page as if it had been asked for with the form's filters.
	c.Request().URL.Path, c.Request().URL.RawQuery = "/billing", q.Encode()
	v, err := h.billingView(c, bq)
	if err != nil {
		return err
	}
	form.Hidden = v.Generate.Hidden
	v.Generate = form
	return render(c, status, templates.Billing(v))
}

// generateSorts label the requests table's sortable columns
// (billing.GenerateRequestSorts), in page order.
var generateSorts = []struct{ Key, Label string }{{"id", "Request"}, {"state", "State"}, {"settled", "State since"}}

func (h *Handler) handleGenerateList(c echo.Context) error {
	lp, err := parseList(c.QueryParams(), billing.GenerateRequestSorts, "id", true)
	if err != nil {
		return err
	}
	f := billing.GenerateRequestFilter{Sort: lp.Sort, Desc: lp.Desc}
	if wantsCSV(c) {
		return h.generateCSV(c, f)
	}
	f.Limit, f.Offset = lp.Size, lp.Offset()
	reqs, total, err := h.Billing.GenerateRequests(c.Request().Context(), f)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Generate requests", "billing", portal.UpstreamVergeOS)
	if err != nil {
		return err
	}
	v := templates.GenerateListView{Page: p, Pager: pager(c, lp, total), Total: total, CSVHref: csvHref(c)}
	for _, s := range generateSorts {
		v.Headers = append(v.Headers, sortHeader(c, lp, s.Label, s.Key, false))
	}
	for _, g := range reqs {
		v.Rows = append(v.Rows, generateRow(g))
	}
	return render(c, http.StatusOK, templates.GenerateList(v))
}

func (h *Handler) generateCSV(c echo.Context, f billing.GenerateRequestFilter) error {
	reqs, _, err := h.Billing.GenerateRequests(c.Request().Context(), f)
	if err != nil {
		return err
	}
	w, err := streamCSV(c, "vergeos_generate_requests.csv", []string{"id", "state", "state_since_utc", "requested_by", "requested_at_utc",
		"note", "last_error", "sent_at_utc", "vergeos_action_key", "outbox_id"})
	if err != nil {
		return err
	}
	for _, g := range reqs {
		row := generateRow(g)
		if err := w.row([]string{row.ID, g.State, csvTime(g.SettledAt), row.RequestedBy, csvTime(g.RequestedAt),
			g.Note, g.Error, csvTime(g.SentAt), g.ActionKey, csvInt(g.OutboxID)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}

// newRecordWindow is how long after a generate was answered a record still
// counts as the one it wrote.
const newRecordWindow = 300

func (h *Handler) handleGenerateItem(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(strings.TrimSuffix(c.Param("id"), ".csv"), 10, 64)
	if err != nil {
		return portal.Errorf(portal.ENOTFOUND, "There is no request %q to generate a billing record.", c.Param("id"))
	}
	g, err := h.Billing.GenerateRequestByID(ctx, id)
	if err != nil {
		return err
	}
	trail, err := h.Store.AuditTrail(ctx, g.Subject())
	if err != nil {
		return err
	}
	p, err := h.page(c, "Generate request "+strconv.FormatInt(id, 10), "billing", portal.UpstreamVergeOS)
	if err != nil {
		return err
	}
	v := templates.GenerateItemView{Page: p, Request: generateRow(g), OutboxHref: "/outbox/" + strconv.FormatInt(g.OutboxID, 10),
		Attempts: g.Attempts, NextAttempt: g.NextAttempt, SentAt: g.SentAt, ActionKey: g.ActionKey, Pending: g.Pending(),
		Trail: auditRows(trail), Now: h.nowUTC()}
	if err := h.generateRecords(c, g, &v); err != nil {
		return err
	}
	if wantsCSV(c) {
		return generateSinceCSV(c, id, v.Since)
	}
	return render(c, http.StatusOK, templates.GenerateItem(v))
}

// generateRecords finds the records VergeOS wrote after the request was
// sent. A delivered request's record is the first one written between
// sending and a few minutes after the answer: VergeOS's records carry no
// trace of the request, so this is shown as "the first record written
// after" (VergeOS's own hourly records skipped), never used to decide
// the delivery.
func (h *Handler) generateRecords(c echo.Context, g billing.GenerateRequest, v *templates.GenerateItemView) error {
	if g.SentAt.IsZero() {
		return nil
	}
	sent := g.SentAt.Unix()
	switch g.State {
	case portal.OutboxDelivered:
		// VergeOS writes its hourly records meanwhile (one may fall
		// between the send and the answer): they are not the request's.
		recs, err := h.Billing.BillingRecordsCreated(c.Request().Context(), sent, g.SettledAt.Unix()+newRecordWindow, 20)
		if err != nil {
			return err
		}
		for i := range recs {
			if !billing.IsHourly(recs[i].From, recs[i].To) {
				row := recordRow(&recs[i])
				v.NewRecord = &row
				break
			}
		}
	case portal.OutboxUncertain:
		recs, err := h.Billing.BillingRecordsCreated(c.Request().Context(), sent, h.nowUTC().Unix(), 20)
		if err != nil {
			return err
		}
		for i := range recs {
			v.Since = append(v.Since, recordRow(&recs[i]))
		}
	}
	return nil
}

// generateSinceCSV is the CSV twin of the table of records VergeOS wrote
// since an unanswered generate request was sent.
func generateSinceCSV(c echo.Context, id int64, rows []templates.BillingRecordRow) error {
	w, err := streamCSV(c, "vergeos_generate_request_"+strconv.FormatInt(id, 10)+"_records_since.csv",
		[]string{"key", "from_utc", "to_utc", "created_utc", "description"})
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := w.row([]string{r.Key, csvUnix(r.From), csvUnix(r.To), csvUnix(r.Created), r.Description}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}
