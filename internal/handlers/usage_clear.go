package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
	"github.com/accounting-portal/portal/web/templates"
)

// handleUsageClear (admin) queues a request to clear failed records: the
// request row and its outbox item are written in one transaction, and the
// outbox confirms the clear by reading AMIE's failed records back. The
// form sends the ids of the selected records, or group=<error> to clear
// every record of that error matching the page's filters (the action URL
// carries them). A refused request re-renders the page with 422.
func (h *Handler) handleUsageClear(c echo.Context) error {
	ctx := c.Request().Context()
	// The page is re-rendered from this request on a refusal; its links and
	// forms must point at the page, not at this action.
	c.Request().URL.Path = "/usage/failed"
	f, lp, err := usageFailedQuery(c, c.QueryParams())
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return portal.Errorf(portal.EINVALID, "The form could not be read.")
	}
	selected := map[int64]bool{}
	var ids []int64
	for _, s := range form["id"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return h.renderFailed(c, http.StatusUnprocessableEntity, f, lp, selected, fmt.Sprintf("%q is not a FailedRecordID.", s))
		}
		selected[id] = true
		ids = append(ids, id)
	}
	what := templates.Int(int64(len(ids))) + " selected records"
	if g := form.Get("group"); g != "" {
		gf := f
		gf.Error, gf.Limit, gf.Offset = g, 0, 0
		if ids, err = h.Usage.FailedIDs(ctx, gf); err != nil {
			return err
		}
		what = fmt.Sprintf("all %s records with the error %q", templates.Int(int64(len(ids))), g)
		// A whole group is one click away from the list: ask once more.
		if form.Get("confirm") != "yes" && len(ids) > 0 {
			return h.confirmGroupClear(c, g, len(ids))
		}
	}
	if len(ids) == 0 {
		return h.renderFailed(c, http.StatusUnprocessableEntity, f, lp, selected, "Select at least one failed record to clear (tick its box), or use a group's “Clear all” button.")
	}
	u := user(c)
	id, err := h.Usage.CreateUsageClear(ctx, ids, u.Subject, u.DisplayName())
	switch portal.ErrorCode(err) {
	case "":
	case portal.EINVALID, portal.ECONFLICT:
		return h.renderFailed(c, http.StatusUnprocessableEntity, f, lp, selected, portal.ErrorMessage(err))
	default:
		return err
	}
	h.Outbox.Notify()
	return h.flashRedirect(c, fmt.Sprintf("Clear request %d queued for %s. It is confirmed once AMIE no longer lists them.", id, what), "/usage/clears/"+strconv.FormatInt(id, 10))
}

// confirmGroupClear asks before clearing every record of an error.
func (h *Handler) confirmGroupClear(c echo.Context, group string, n int) error {
	p, err := h.page(c, "Clear failed records", "usage", portal.UpstreamAMIE)
	if err != nil {
		return err
	}
	back := *c.Request().URL // the page's path and filters (see handleUsageClear)
	return render(c, http.StatusOK, templates.UsageClearConfirm(templates.UsageClearConfirmView{Page: p, Error: group, Records: n,
		Action: "/usage/failed/clear?" + c.Request().URL.RawQuery, CancelHref: back.RequestURI()}))
}

// usageClearRows lists clear requests for pages.
func (h *Handler) usageClearRows(c echo.Context, f usage.ClearFilter) ([]templates.UsageClearRow, int64, error) {
	clears, total, err := h.Usage.ListUsageClears(c.Request().Context(), f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]templates.UsageClearRow, 0, len(clears))
	for _, cl := range clears {
		out = append(out, usageClearRow(cl))
	}
	return out, total, nil
}

func usageClearRow(cl usage.Clear) templates.UsageClearRow {
	by := cl.CreatedByName
	if by == "" {
		by = cl.CreatedBy
	}
	return templates.UsageClearRow{ID: cl.ID, Records: len(cl.FailedIDs), State: cl.State, By: by, Created: cl.Created, Updated: cl.Updated}
}

// handleUsageClears (admin) lists the clear requests, or their CSV.
func (h *Handler) handleUsageClears(c echo.Context) error {
	lp, err := parseList(c.QueryParams(), usage.ClearSorts, "id", true)
	if err != nil {
		return err
	}
	f := usage.ClearFilter{Sort: lp.Sort, Desc: lp.Desc, Limit: lp.Size, Offset: lp.Offset()}
	if wantsCSV(c) {
		return h.clearsCSV(c, f)
	}
	rows, total, err := h.usageClearRows(c, f)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Clear requests", "usage", portal.UpstreamAMIE)
	if err != nil {
		return err
	}
	v := templates.UsageClearsView{Page: p, Rows: rows, Pager: pager(c, lp, total), Total: total, CSVHref: csvHref(c)}
	for _, col := range []struct {
		label, key string
		num        bool
	}{{"#", "id", true}, {"Requested (UTC)", "", false}, {"By", "by", false}, {"Records", "records", true}, {"State", "state", false}, {"Updated (UTC)", "updated", false}} {
		v.Headers = append(v.Headers, sortHeader(c, lp, col.label, col.key, col.num))
	}
	return render(c, http.StatusOK, templates.UsageClears(v))
}

func (h *Handler) clearsCSV(c echo.Context, f usage.ClearFilter) error {
	w, err := streamCSV(c, "usage_clear_requests.csv", []string{"id", "requested_utc", "requested_by", "records", "state", "updated_utc", "failed_record_ids"})
	if err != nil {
		return err
	}
	const batch = 500
	for off := 0; ; off += batch {
		f.Limit, f.Offset = batch, off
		clears, _, err := h.Usage.ListUsageClears(c.Request().Context(), f)
		if err != nil {
			return w.finish(err)
		}
		for _, cl := range clears {
			r := usageClearRow(cl)
			if err := w.row([]string{strconv.FormatInt(r.ID, 10), csvTime(r.Created), r.By, strconv.Itoa(r.Records), r.State,
				csvTime(r.Updated), usageJoinIDs(cl.FailedIDs)}); err != nil {
				return w.finish(err)
			}
		}
		if len(clears) < batch {
			return w.finish(nil)
		}
	}
}

// handleUsageClearItem (admin) shows a clear request with its history.
func (h *Handler) handleUsageClearItem(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return portal.Errorf(portal.ENOTFOUND, "There is no clear request %q.", c.Param("id"))
	}
	cl, err := h.Usage.UsageClearByID(ctx, id)
	if err != nil {
		return err
	}
	trail, err := h.Store.AuditTrail(ctx, usage.ClearRef(id))
	if err != nil {
		return err
	}
	p, err := h.page(c, "Clear request "+strconv.FormatInt(id, 10), "usage", portal.UpstreamAMIE)
	if err != nil {
		return err
	}
	v := templates.UsageClearView{Page: p, Clear: usageClearRow(*cl), Trail: auditRows(trail), Result: usageClearResult(cl.Result)}
	const shown = 200
	v.IDs = cl.FailedIDs[:min(len(cl.FailedIDs), shown)]
	v.MoreIDs = len(cl.FailedIDs) - len(v.IDs)
	return render(c, http.StatusOK, templates.UsageClear(v))
}

// usageClearResult describes a confirmed clear in words.
func usageClearResult(result string) string {
	if result == "" {
		return ""
	}
	var r usage.ClearResult
	if err := json.Unmarshal([]byte(result), &r); err != nil {
		return result
	}
	return templates.Int(int64(r.Cleared)) + " records cleared; a re-read no longer lists them"
}

func usageJoinIDs(ids []int64) string {
	b := make([]byte, 0, len(ids)*7)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(b)
}
