package handlers

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

func (h *Handler) handleOutboxList(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	lp, err := parseList(q, nil, "", false)
	if err != nil {
		return err
	}
	var states []string
	if s := q.Get("state"); s != "" {
		for _, st := range strings.Split(s, ",") {
			if !slices.Contains(portal.OutboxStates, st) {
				return portal.Errorf(portal.EINVALID, "state: %q is not one of %s", st, strings.Join(portal.OutboxStates, ", "))
			}
			states = append(states, st)
		}
	}
	if wantsCSV(c) {
		return h.outboxCSV(c, states)
	}
	items, total, err := h.Store.ListOutbox(ctx, portal.OutboxFilter{States: states, Limit: lp.Size, Offset: lp.Offset()})
	if err != nil {
		return err
	}
	counts, err := h.Store.OutboxCounts(ctx)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Outbox", "outbox")
	if err != nil {
		return err
	}
	v := templates.OutboxView{Page: p, State: q.Get("state"), Pager: pager(c, lp, int64(total)), CSVHref: csvHref(c), Total: int64(total)}
	for _, s := range portal.OutboxStates {
		v.Filters = append(v.Filters, templates.OutboxFilterLink{State: s, Count: counts[s], Href: withQuery(c.Request().URL, "state", s, "page", "")})
	}
	v.AllHref = withQuery(c.Request().URL, "state", "", "page", "")
	for _, it := range items {
		v.Items = append(v.Items, outboxRow(it))
	}
	return render(c, http.StatusOK, templates.Outbox(v))
}

func outboxRow(it portal.OutboxItem) templates.OutboxRow {
	return templates.OutboxRow{ID: it.ID, Kind: it.Kind, Upstream: portal.UpstreamTitle(it.Upstream), Summary: it.Summary,
		State: it.State, Attempts: it.Attempts, MaxAttempts: it.MaxAttempts, LastError: it.LastError, Created: it.Created,
		Updated: it.Updated, Next: it.NextAttemptAt, Ref: it.Ref, RefHref: refHref(it.Ref), CreatedBy: orName(it.CreatedByName, it.CreatedBy)}
}

// refHref links an outbox item to the page of the request it delivers.
func refHref(ref string) string {
	kind, id, ok := strings.Cut(ref, ":")
	if !ok {
		return ""
	}
	switch kind {
	case "budget_request":
		return "/requests/" + id
	case "metric_push":
		return "/metrics/pushes/" + id
	case "usage_upload":
		return "/usage/uploads/" + id
	case "vergeos_generate":
		return "/billing/requests/" + id
	case "usage_clear":
		return "/usage/clears/" + id
	}
	return ""
}

func (h *Handler) outboxCSV(c echo.Context, states []string) error {
	ctx := c.Request().Context()
	w, err := streamCSV(c, "outbox.csv", []string{"id", "kind", "upstream", "summary", "state", "attempts", "max_attempts",
		"last_error", "created_utc", "updated_utc", "next_attempt_utc", "created_by"})
	if err != nil {
		return err
	}
	const batch = 1000
	for off := 0; ; off += batch {
		items, _, err := h.Store.ListOutbox(ctx, portal.OutboxFilter{States: states, Limit: batch, Offset: off})
		if err != nil {
			return w.finish(err)
		}
		for _, it := range items {
			if err := w.row([]string{strconv.FormatInt(it.ID, 10), it.Kind, it.Upstream, it.Summary, it.State,
				strconv.Itoa(it.Attempts), strconv.Itoa(it.MaxAttempts), it.LastError, templates.FormatSeconds(it.Created),
				templates.FormatSeconds(it.Updated), templates.FormatSeconds(it.NextAttemptAt), orName(it.CreatedByName, it.CreatedBy)}); err != nil {
				return w.finish(err)
			}
		}
		if len(items) < batch {
			return w.finish(nil)
		}
	}
}

func (h *Handler) outboxItem(c echo.Context) (*portal.OutboxItem, error) {
	id, err := strconv.ParseInt(strings.TrimSuffix(c.Param("id"), ".csv"), 10, 64)
	if err != nil {
		return nil, portal.Errorf(portal.ENOTFOUND, "There is no outbox item %q.", c.Param("id"))
	}
	return h.Store.OutboxItemByID(c.Request().Context(), id)
}

func (h *Handler) handleOutboxItem(c echo.Context) error {
	ctx := c.Request().Context()
	it, err := h.outboxItem(c)
	if err != nil {
		return err
	}
	attempts, err := h.Store.OutboxAttempts(ctx, it.ID)
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		return outboxAttemptsCSV(c, it.ID, attempts)
	}
	trail, err := h.Store.AuditTrail(ctx, "outbox:"+strconv.FormatInt(it.ID, 10))
	if err != nil {
		return err
	}
	p, err := h.page(c, "Outbox item "+strconv.FormatInt(it.ID, 10), "outbox")
	if err != nil {
		return err
	}
	v := templates.OutboxItemView{Page: p, Item: outboxRow(*it), Payload: prettyJSON(it.Payload), Result: prettyJSON(it.Result),
		CanResolve: it.State == portal.OutboxUncertain || it.State == portal.OutboxVerify,
		CanRequeue: it.State == portal.OutboxFailed || it.State == portal.OutboxDead, FirstSent: it.FirstSent, Unknown: it.UnknownAttempts}
	for _, a := range attempts {
		v.Attempts = append(v.Attempts, templates.AttemptRow{Started: a.Started, Finished: a.Finished, Outcome: a.Outcome, Error: a.Error,
			Result: prettyJSON(a.Result)})
	}
	v.Trail = auditRows(trail)
	return render(c, http.StatusOK, templates.OutboxItem(v))
}

// auditRows are a history as pages show it: each change by the name its
// person had then (the subject only for entries recorded without one).
func auditRows(trail []portal.AuditEntry) []templates.AuditRow {
	out := make([]templates.AuditRow, 0, len(trail))
	for _, e := range trail {
		out = append(out, templates.AuditRow{At: e.At, Who: orName(e.ActorName, e.Actor), From: e.From, To: e.To, Reason: e.Reason})
	}
	return out
}

func prettyJSON(s string) string {
	if s == "" {
		return ""
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// handleOutboxResolve records an admin's decision on a write whose outcome
// is unknown: it reached the upstream (delivered) or it did not (failed).
func (h *Handler) handleOutboxResolve(c echo.Context) error {
	it, err := h.outboxItem(c)
	if err != nil {
		return err
	}
	outcome, reason := c.FormValue("outcome"), strings.TrimSpace(c.FormValue("reason"))
	state := map[string]string{"delivered": portal.OutboxDelivered, "failed": portal.OutboxFailed}[outcome]
	if state == "" {
		return portal.Errorf(portal.EINVALID, "outcome: choose whether the write reached the upstream (delivered) or not (failed).")
	}
	if reason == "" {
		return portal.Errorf(portal.EINVALID, "reason: say how you checked, so others can follow the decision.")
	}
	u := user(c)
	_, err = h.Store.SettleOutbox(c.Request().Context(), it.ID, []string{portal.OutboxUncertain, portal.OutboxVerify},
		portal.OutboxOutcome{State: state, Error: "settled by an admin: " + reason, Actor: u.Subject, ActorName: u.DisplayName(), Reason: reason})
	if err != nil {
		return err
	}
	if state == portal.OutboxDelivered {
		// The upstream changed: bring its data in now rather than at the next run.
		h.Sync.Trigger(it.Upstream)
	}
	return h.flashRedirect(c, "Outbox item "+strconv.FormatInt(it.ID, 10)+" marked "+state+".", "/outbox/"+strconv.FormatInt(it.ID, 10))
}

func (h *Handler) handleOutboxRequeue(c echo.Context) error {
	it, err := h.outboxItem(c)
	if err != nil {
		return err
	}
	u := user(c)
	if err := h.Store.RequeueOutbox(c.Request().Context(), it.ID, u.Subject, u.DisplayName()); err != nil {
		return err
	}
	h.Outbox.Notify()
	return h.flashRedirect(c, "Outbox item "+strconv.FormatInt(it.ID, 10)+" will be sent again.", "/outbox/"+strconv.FormatInt(it.ID, 10))
}

// outboxAttemptsCSV is the CSV twin of an item's attempts table.
func outboxAttemptsCSV(c echo.Context, id int64, attempts []portal.OutboxAttempt) error {
	w, err := streamCSV(c, "outbox_"+strconv.FormatInt(id, 10)+"_attempts.csv", []string{"started_utc", "finished_utc", "outcome", "error", "result_json"})
	if err != nil {
		return err
	}
	for _, a := range attempts {
		if err := w.row([]string{csvTime(a.Started), csvTime(a.Finished), a.Outcome, a.Error, a.Result}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}
