package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/costs"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// maxCheckMonths bounds the months one cross-source check page compares.
const maxCheckMonths = 36

// parseCheckMonths reads ?from= and ?to= (YYYY-MM, inclusive; default the
// last six months to this one).
func parseCheckMonths(c echo.Context, now time.Time) (time.Time, time.Time, error) {
	to := costs.Month(now)
	from := to.AddDate(0, -5, 0)
	var err error
	if s := c.QueryParam("to"); s != "" {
		if to, err = costs.ParseMonth(s); err != nil {
			return from, to, portal.Errorf(portal.EINVALID, "to: %v", err)
		}
	}
	if s := c.QueryParam("from"); s != "" {
		if from, err = costs.ParseMonth(s); err != nil {
			return from, to, portal.Errorf(portal.EINVALID, "from: %v", err)
		}
	}
	if from.After(to) {
		return from, to, portal.Errorf(portal.EINVALID, "from (%s) is after to (%s)", from.Format("2006-01"), to.Format("2006-01"))
	}
	if from.AddDate(0, maxCheckMonths, 0).Before(to.AddDate(0, 1, 0)) {
		return from, to, portal.Errorf(portal.EINVALID, "compare at most %d months at once", maxCheckMonths)
	}
	return from, to, nil
}

// handleReconcile compares the SUs each project sent to AMIE with the
// cpu_hours ARGO reports for it, per month (and, at .csv, its CSV).
func (h *Handler) handleReconcile(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	from, to, err := parseCheckMonths(c, h.nowUTC())
	if err != nil {
		return err
	}
	tol := h.CostSettings.TolerancePercent
	checks, err := h.Costs.SourceChecks(ctx, u.Scope(), from, to.AddDate(0, 1, 0), tol)
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		w, err := streamCSV(c, "cross-source-checks.csv", []string{"project_key", "project", "month", "amie_sus_sent", "argo_cpu_hours",
			"difference_amie_minus_argo", "difference_percent_of_argo", "tolerance_percent", "flagged"})
		if err != nil {
			return err
		}
		for _, k := range checks {
			pct := ""
			if k.DiffPct.Valid {
				pct = k.DiffPct.Decimal.String()
			}
			if err := w.row([]string{k.Project, k.ProjectName, k.Month.Format("2006-01"), exact(k.AMIE), exact(k.Argo), exact(k.Diff), pct,
				tol.String(), boolText(k.Flagged)}); err != nil {
				return w.finish(err)
			}
		}
		return w.finish(nil)
	}
	p, err := h.page(c, "Cross-source checks", "costs", portal.UpstreamAMIE, portal.UpstreamArgo)
	if err != nil {
		return err
	}
	v := templates.ReconcileView{Page: p, From: from.Format("2006-01"), To: to.Format("2006-01"), Tolerance: tol.String(), CSVHref: csvHref(c)}
	for _, k := range checks {
		r := templates.ReconcileRowView{Project: k.Project, Name: k.ProjectName, Href: projectHref(k.Project, k.Month), Month: k.Month.Format("2006-01"),
			AMIE: quantity(k.AMIE), Argo: quantity(k.Argo), Diff: quantity(k.Diff), DiffPct: "—", Flagged: k.Flagged}
		if k.DiffPct.Valid {
			r.DiffPct = k.DiffPct.Decimal.String() + "%"
		}
		switch {
		case !k.HasAMIE && !k.HasArgo:
			r.Note = "neither reports anything"
		case !k.HasAMIE:
			r.Note = "no AMIE record sent"
		case !k.HasArgo:
			r.Note = "ARGO reports no cpu_hours"
		}
		if k.Flagged {
			v.Flagged++
		}
		v.Rows = append(v.Rows, r)
	}
	return render(c, http.StatusOK, templates.Reconcile(v))
}

func boolText(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
