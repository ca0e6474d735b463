package handlers

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// attemptReading is one account's balances as one attempt of a request's
// OBI call read them, just before and just after the call. An attempt
// that read nothing (it never reached OBI) has no readings.
type attemptReading struct {
	attempt        int
	started        time.Time
	outcome, err   string
	account        string
	before, after  decimal.Decimal
	knownB, knownA bool
}

// attemptReadings lists the readings of every attempt, in attempt order,
// of the accounts given (those the reader's scope may see).
func attemptReadings(r *budgets.Request, accounts []budgets.Account, attempts []portal.OutboxAttempt) []attemptReading {
	var out []attemptReading
	for i, a := range attempts {
		var d budgets.Delivery
		if a.Result == "" || json.Unmarshal([]byte(a.Result), &d) != nil || (d.Before == nil && d.After == nil) {
			continue
		}
		for _, acc := range accounts {
			rd := attemptReading{attempt: i + 1, started: a.Started, outcome: a.Outcome, err: a.Error, account: accountName(r, acc)}
			if b, ok := d.Before.Find(acc); ok {
				rd.before, rd.knownB = b.Balance, true
			}
			if af, ok := d.After.Find(acc); ok {
				rd.after, rd.knownA = af.Balance, true
			}
			out = append(out, rd)
		}
	}
	return out
}

// attemptReadingRows shows the readings of every attempt on the request's
// page; "—" marks a balance the attempt could not read.
func attemptReadingRows(r *budgets.Request, accounts []budgets.Account, attempts []portal.OutboxAttempt) []templates.AttemptReadingRow {
	var rows []templates.AttemptReadingRow
	for _, rd := range attemptReadings(r, accounts, attempts) {
		row := templates.AttemptReadingRow{Attempt: rd.attempt, Started: rd.started, Outcome: rd.outcome, Error: rd.err,
			Account: rd.account, Before: "—", After: "—", Observed: "—"}
		if rd.knownB {
			row.Before = templates.Credits(rd.before)
		}
		if rd.knownA {
			row.After = templates.Credits(rd.after)
		}
		if rd.knownA && rd.knownB {
			row.Observed = signed(templates.Credits(rd.after.Sub(rd.before)))
		}
		rows = append(rows, row)
	}
	return rows
}

// attemptReadingsColumns is the header of the per-attempt readings CSV.
var attemptReadingsColumns = []string{"attempt", "started_utc", "outcome", "error", "account",
	"before (credits)", "after (credits)", "change_seen (credits)"}

// handleRequestAttempts is the CSV twin of the "Each attempt" table of a
// request's page: for every attempt of the OBI call, the balances it read
// around the call. Numbers are plain; a balance not read is an empty cell.
func (h *Handler) handleRequestAttempts(c echo.Context) error {
	r, err := h.visibleRequest(c)
	if err != nil {
		return err
	}
	var attempts []portal.OutboxAttempt
	if r.OutboxID != 0 {
		if attempts, err = h.Store.OutboxAttempts(c.Request().Context(), r.OutboxID); err != nil {
			return err
		}
	}
	w, err := streamCSV(c, "budget_request_"+strconv.FormatInt(r.ID, 10)+"_attempts.csv", attemptReadingsColumns)
	if err != nil {
		return err
	}
	known := func(d decimal.Decimal, ok bool) string {
		if !ok {
			return ""
		}
		return credits(d)
	}
	for _, rd := range attemptReadings(r, shownAccounts(r, user(c).Scope()), attempts) {
		if err := w.row([]string{strconv.Itoa(rd.attempt), csvTime(rd.started), rd.outcome, rd.err, rd.account,
			known(rd.before, rd.knownB), known(rd.after, rd.knownA), known(rd.after.Sub(rd.before), rd.knownA && rd.knownB)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}
