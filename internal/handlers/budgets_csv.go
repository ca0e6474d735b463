package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// The project page's CSV twins. Amounts are OBI's exact decimals (the
// page rounds them to 2 places), so a column adds up to the true total.

func (h *Handler) handleBudgetJobsCSV(c echo.Context) error {
	d, err := h.budgetProject(c)
	if err != nil {
		return err
	}
	f, tr, _, err := parseJobFilter(c.QueryParams(), h.nowUTC())
	if err != nil {
		return err
	}
	w, err := streamCSV(c, csvFilename("jobs_"+d.Key, tr), []string{"job_id", "type", "subtype", "status", "name", "user_id",
		"reserved_utc", "started_utc", "finished_utc", "cancelled_utc", "duration_s", "count", "size_bytes", "cost (credits)", "reserved (credits)"})
	if err != nil {
		return err
	}
	err = h.Budgets.EachBudgetJob(c.Request().Context(), d.ProjID, f, func(j budgets.Job) error {
		reserved := ""
		if j.HasReservation {
			reserved = j.ReservedAmount.String()
		}
		return w.row([]string{j.ID, j.Type, j.Subtype, j.Status, j.Name, j.UserID,
			csvTime(j.ReservedAt), csvTime(j.StartedAt),
			csvTime(j.FinishedAt), csvTime(j.CancelledAt),
			strconv.FormatInt(j.Duration, 10), strconv.FormatInt(j.Count, 10), strconv.FormatInt(j.Size, 10), j.Amount.String(), reserved})
	})
	return w.finish(err)
}

func (h *Handler) handleBudgetSpendCSV(c echo.Context) error {
	d, err := h.budgetProject(c)
	if err != nil {
		return err
	}
	tr, err := parseTimeRange(c.QueryParams(), h.nowUTC(), "30d")
	if err != nil {
		return err
	}
	spend, err := h.Budgets.BudgetDailySpend(c.Request().Context(), d.ProjID, tr.From, tr.To)
	if err != nil {
		return err
	}
	w, err := streamCSV(c, csvFilename("daily_spend_"+d.Key, tr), []string{"day_utc", "type", "jobs", "cost (credits)"})
	if err != nil {
		return err
	}
	for _, s := range spend {
		if err := w.row([]string{templates.FormatDate(s.Day), s.Type, strconv.FormatInt(s.Jobs, 10), s.Amount.String()}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}

func (h *Handler) handleBudgetDiscountsCSV(c echo.Context) error {
	d, err := h.budgetProject(c)
	if err != nil {
		return err
	}
	w, err := streamCSV(c, "discounts_"+d.Key+".csv", []string{"virtual_lab", "discount_id", "discount (fraction)", "valid_from_utc", "valid_to_utc", "in_force"})
	if err != nil {
		return err
	}
	for _, ds := range d.Discounts {
		if err := w.row([]string{d.LabName, strconv.FormatInt(ds.ID, 10), ds.Discount.String(), csvTime(ds.ValidFrom),
			csvTime(ds.ValidTo), strconv.FormatBool(ds.Current)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}

// handleBudgetBalances is the recorded balance history of a project: every
// snapshot the portal stored, in a range, and its CSV twin.
func (h *Handler) handleBudgetBalances(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := h.budgetProject(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	tr, err := parseTimeRange(q, h.nowUTC(), "30d")
	if err := keepPage(c, tr, err); err != nil {
		return err
	}
	lp, err := parseList(q, []string{"at"}, "at", true)
	if err != nil {
		return err
	}
	f := budgets.SnapshotFilter{From: tr.From, To: tr.To, Desc: lp.Desc, Limit: lp.Size, Offset: lp.Offset()}
	if wantsCSV(c) {
		w, err := streamCSV(c, csvFilename("balance_history_"+d.Key, tr), []string{"at_utc", "balance (credits)", "reserved (credits)"})
		if err != nil {
			return err
		}
		return w.finish(h.Budgets.EachBudgetSnapshot(ctx, d.ProjID, f, func(p budgets.BalancePoint) error {
			return w.row([]string{csvTime(p.At), credits(p.Balance), credits(p.Reservation)})
		}))
	}
	pts, total, err := h.Budgets.BudgetSnapshots(ctx, d.ProjID, f)
	if err != nil {
		return err
	}
	p, err := h.page(c, d.Name+" balance history", "budgets", portal.UpstreamOBI)
	if err != nil {
		return err
	}
	v := templates.BalanceHistoryView{Page: p, Key: d.Key, Name: d.Name, Range: timeRangeView(c, tr), Total: total,
		CSVHref: csvHref(c), Pager: pager(c, lp, total), Header: sortHeader(c, lp, "Recorded at", "at", true)}
	for _, pt := range pts {
		v.Rows = append(v.Rows, templates.BalanceRow{At: templates.FormatSeconds(pt.At), Balance: credits(pt.Balance), Reserved: credits(pt.Reservation)})
	}
	return render(c, tr.Status(), templates.BalanceHistory(v))
}
