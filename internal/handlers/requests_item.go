package handlers

import (
	"fmt"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// requestView builds a request's page: its facts, what the deliverer read
// around the OBI call, its history, and what the user may do with it.
func (h *Handler) requestView(c echo.Context, r *budgets.Request) (templates.RequestView, error) {
	ctx := c.Request().Context()
	u := user(c)
	p, err := h.page(c, "Budget request "+strconv.FormatInt(r.ID, 10), "requests", portal.UpstreamOBI)
	if err != nil {
		return templates.RequestView{}, err
	}
	trail, err := h.Store.AuditTrail(ctx, budgets.RequestRef(r.ID))
	if err != nil {
		return templates.RequestView{}, err
	}
	v := templates.RequestView{Page: p, Row: requestRow(*r, h.nowUTC()), Lab: orName(r.VlabName, r.VlabID),
		Justification: r.Justification, DecidedBy: orName(r.DecidedByName, r.DecidedBy), DecidedAt: r.Decided, DenyReason: r.DenyReason,
		SettledBy: orName(r.SettledByName, r.SettledBy), SettledAt: r.Settled, SettleReason: r.SettleReason, Trail: auditRows(trail),
		CanCancel: r.State == budgets.Pending && r.RequestedBy == u.Subject && u.IsManager(),
		CanDecide: r.State == budgets.Pending && u.Admin, CanReconcile: r.State == budgets.NeedsReconciliation && u.Admin}
	if v.CanDecide {
		v.Row.ApproveBlocked = h.approvalBlocked(u, r)
	}
	if r.ProjectKey != "" {
		v.Project = orName(r.ProjName, r.ProjectKey) + " (" + r.ProjectKey + ")"
	}
	if r.ToProjectKey != "" {
		v.ToProject = orName(r.ToName, r.ToProjectKey) + " (" + r.ToProjectKey + ")"
	}
	if r.State == budgets.Failed || r.State == budgets.NeedsReconciliation {
		v.UpstreamError = r.UpstreamError
	}
	if r.OutboxID != 0 {
		if u.Admin {
			v.OutboxHref = "/outbox/" + strconv.FormatInt(r.OutboxID, 10)
		}
		if r.State == budgets.Approved {
			it, err := h.Store.OutboxItemByID(ctx, r.OutboxID)
			if err != nil {
				return v, err
			}
			v.Delivery = deliveryText(it)
		}
		attempts, err := h.Store.OutboxAttempts(ctx, r.OutboxID)
		if err != nil {
			return v, err
		}
		v.AttemptReadings = attemptReadingRows(r, shownAccounts(r, u.Scope()), attempts)
		v.Attempts = len(attempts)
	}
	if r.State == budgets.NeedsReconciliation {
		v.Delivery = "OBI's answer to the call was lost or proves nothing (" + r.UpstreamError + "), so it is not known whether " +
			"the change was applied. OBI's budget calls cannot be looked up and applying one twice moves the money twice, so the " +
			"portal does not send it again: an admin compares the balances read around the call (below) with OBI and settles it."
	}
	v.Readings, v.ReadBefore, v.ReadAfter = readingRows(r, shownAccounts(r, u.Scope()))
	v.AfterError = r.Delivery.AfterError
	return v, nil
}

// accountName names an account of the request for people.
func accountName(r *budgets.Request, a budgets.Account) string {
	if a.Kind != "project" {
		return orName(r.VlabName, r.VlabID) + " (virtual lab)"
	}
	if a.ID == r.ToProjID {
		return orName(r.ToName, r.ToProjectKey)
	}
	return orName(r.ProjName, r.ProjectKey)
}

// deliveryText says where an approved request's OBI call stands.
func deliveryText(it *portal.OutboxItem) string {
	switch it.State {
	case portal.OutboxQueued:
		if it.Attempts == 0 {
			return "Queued: it will be sent to OBI in a moment."
		}
		return fmt.Sprintf("OBI did not take the call (%s); nothing was applied. Attempt %d of %d; trying again at %s.",
			it.LastError, it.Attempts, it.MaxAttempts, templates.FormatTime(it.NextAttemptAt))
	case portal.OutboxSending:
		return "Being sent to OBI now."
	}
	return "Outbox state: " + it.State + "."
}

// reading is one account's balances around the OBI call, as numbers.
type reading struct {
	account                         string
	before, after, observed, change decimal.Decimal
	knownBefore, knownAfter         bool
	matches                         bool
}

// readings compares each account's balance before the first call and
// after the last with the change the request would make.
func readings(r *budgets.Request, accounts []budgets.Account) ([]reading, time.Time, time.Time) {
	d := r.Delivery
	if d.Before == nil {
		return nil, time.Time{}, time.Time{}
	}
	p := r.Payload()
	var out []reading
	for _, a := range accounts {
		rd := reading{account: accountName(r, a), change: p.Change(a)}
		before, okB := d.Before.Find(a)
		after, okA := d.After.Find(a)
		if okB {
			rd.before, rd.knownBefore = before.Balance, true
		}
		if okA {
			rd.after, rd.knownAfter = after.Balance, true
		}
		if okA && okB {
			rd.observed = after.Balance.Sub(before.Balance)
			rd.matches = rd.observed.Equal(rd.change)
		}
		out = append(out, rd)
	}
	var after time.Time
	if d.After != nil {
		after = d.After.At
	}
	return out, d.Before.At, after
}

// readingRows are the readings as the request page shows them: changes
// with their sign, "—" for what was not read.
func readingRows(r *budgets.Request, accounts []budgets.Account) ([]templates.ReadingRow, time.Time, time.Time) {
	rds, before, after := readings(r, accounts)
	var rows []templates.ReadingRow
	for _, rd := range rds {
		row := templates.ReadingRow{Account: rd.account, Before: "—", After: "—", Observed: "—", Expected: signed(templates.Credits(rd.change)), Matches: rd.matches}
		if rd.knownBefore {
			row.Before = templates.Credits(rd.before)
		}
		if rd.knownAfter {
			row.After = templates.Credits(rd.after)
		}
		if rd.knownBefore && rd.knownAfter {
			row.Observed = signed(templates.Credits(rd.observed))
		}
		rows = append(rows, row)
	}
	return rows, before, after
}

// signed puts a plus before positive amounts (on pages only: a CSV
// writes numbers plainly, see requestReadingsCSV).
func signed(s string) string {
	if s != "" && s[0] != '-' && s != "0.00" {
		return "+" + s
	}
	return s
}

// requestReadingsCSV is the CSV twin of a request page's readings table:
// the balances read just before and just after the OBI call. Numbers are
// written plainly, negative or not ("1.23", "-1.23"), so a spreadsheet
// reads every one of them as a number; a value not read is an empty cell.
func requestReadingsCSV(c echo.Context, r *budgets.Request) error {
	rds, before, after := readings(r, shownAccounts(r, user(c).Scope()))
	w, err := streamCSV(c, "budget_request_"+strconv.FormatInt(r.ID, 10)+"_readings.csv", []string{"account", "before (credits)",
		"after (credits)", "change_seen (credits)", "change_if_applied (credits)", "matches", "read_before_utc", "read_after_utc"})
	if err != nil {
		return err
	}
	known := func(d decimal.Decimal, ok bool) string {
		if !ok {
			return ""
		}
		return credits(d)
	}
	for _, rd := range rds {
		if err := w.row([]string{rd.account, known(rd.before, rd.knownBefore), known(rd.after, rd.knownAfter),
			known(rd.observed, rd.knownBefore && rd.knownAfter), credits(rd.change),
			strconv.FormatBool(rd.matches), csvTime(before), csvTime(after)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}
