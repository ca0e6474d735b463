package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// requestList reads a request list's filters: states (comma-separated)
// and the sort; "" sorts in inbox order.
func requestList(c echo.Context, requestedBy string) (budgets.RequestFilter, ListParams, error) {
	q := c.QueryParams()
	lp, err := parseList(q, budgets.RequestSorts, "", false)
	if err != nil {
		return budgets.RequestFilter{}, lp, err
	}
	f := budgets.RequestFilter{RequestedBy: requestedBy, Sort: lp.Sort, Desc: lp.Desc, Limit: lp.Size, Offset: lp.Offset()}
	if s := q.Get("state"); s != "" {
		for _, st := range strings.Split(s, ",") {
			if !slices.Contains(budgets.States, st) {
				return f, lp, portal.Errorf(portal.EINVALID, "state: %q is not one of %s", st, strings.Join(budgets.States, ", "))
			}
			f.States = append(f.States, st)
		}
	}
	return f, lp, nil
}

// handleRequests lists the user's requests (admins: everyone's).
func (h *Handler) handleRequests(c echo.Context) error {
	u := user(c)
	who := u.Subject
	if u.Admin {
		who = ""
	}
	f, lp, err := requestList(c, who)
	if err != nil {
		return err
	}
	if f.Sort == "" {
		f.Sort, f.Desc = "created", true // a requester's list: newest first
	}
	if wantsCSV(c) {
		return h.requestsCSV(c, f, "budget_requests")
	}
	v, err := h.requestsView(c, f, lp, "Budget requests", "requests")
	if err != nil {
		return err
	}
	v.Intro = "Your requests for budget and what became of them."
	if u.Admin {
		v.Intro = "Every budget request. Admins decide on pending ones in the approvals inbox."
	}
	v.CanCreate = true
	if v.Notices, err = h.outcomeNotices(c); err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.Requests(v))
}

// requestsView builds a request list page.
func (h *Handler) requestsView(c echo.Context, f budgets.RequestFilter, lp ListParams, title, section string) (templates.RequestsView, error) {
	ctx := c.Request().Context()
	rows, total, err := h.Budgets.ListBudgetRequests(ctx, f)
	if err != nil {
		return templates.RequestsView{}, err
	}
	counts, err := h.Budgets.BudgetRequestCounts(ctx, f.RequestedBy)
	if err != nil {
		return templates.RequestsView{}, err
	}
	p, err := h.page(c, title, section, portal.UpstreamOBI)
	if err != nil {
		return templates.RequestsView{}, err
	}
	u := c.Request().URL
	v := templates.RequestsView{Page: p, Title: title, State: c.QueryParam("state"), Total: total, CSVHref: csvHref(c),
		Pager: pager(c, lp, total), ShowRequester: f.RequestedBy == "", AllHref: withQuery(u, "state", "", "page", "")}
	for _, s := range budgets.States {
		v.Filters = append(v.Filters, templates.StateLink{State: s, Count: counts[s], Href: withQuery(u, "state", s, "page", "")})
	}
	for _, col := range []struct {
		label, key string
		num        bool
	}{{"#", "id", true}, {"Request", "kind", false}, {"Amount (credits)", "amount", true}, {"State", "state", false},
		{"Requested by", "requester", false}, {"Requested", "created", true}} {
		v.Headers = append(v.Headers, sortHeader(c, lp, col.label, col.key, col.num))
	}
	for _, r := range rows {
		row := requestRow(r, h.nowUTC())
		row.ApproveBlocked = h.approvalBlocked(user(c), &r)
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

func requestRow(r budgets.Request, now time.Time) templates.RequestRow {
	row := templates.RequestRow{ID: r.ID, Href: "/requests/" + strconv.FormatInt(r.ID, 10), Kind: templates.KindLabel(r.Kind),
		What: r.Summary(), Amount: credits(r.Amount), State: r.State, Requester: orName(r.RequestedByName, r.RequestedBy),
		Created: r.Created, Age: templates.Ago(now, r.Created), Justification: r.Justification, Pending: r.State == budgets.Pending,
		ApproveNote: r.ApproveNote}
	if r.Reduced() {
		row.Approved = credits(r.Granted())
	}
	lab := orName(r.VlabName, r.VlabID)
	if pays := payingBalance(r); pays.Known && pays.Value.Cmp(r.Amount) < 0 {
		row.Exceeds = "more than the " + credits(pays.Value) + " available"
	}
	switch r.Kind {
	case budgets.TopUp:
		row.Balances = []string{lab + ": " + creditsOr(r.LabBalance.Value, r.LabBalance.Known)}
	case budgets.Assign, budgets.Reverse:
		row.Balances = []string{lab + ": " + creditsOr(r.LabBalance.Value, r.LabBalance.Known),
			orName(r.ProjName, r.ProjectKey) + ": " + creditsOr(r.ProjBalance.Value, r.ProjBalance.Known)}
	case budgets.Move:
		row.Balances = []string{orName(r.ProjName, r.ProjectKey) + ": " + creditsOr(r.ProjBalance.Value, r.ProjBalance.Known),
			orName(r.ToName, r.ToProjectKey) + ": " + creditsOr(r.ToBalance.Value, r.ToBalance.Known)}
	}
	return row
}

// payingBalance is the cached balance a request takes its credits from:
// the lab's for an assignment, the project's for a reversal or a move
// (a top-up comes from OBI's system account).
func payingBalance(r budgets.Request) budgets.CachedBalance {
	switch r.Kind {
	case budgets.Assign:
		return r.LabBalance
	case budgets.Reverse, budgets.Move:
		return r.ProjBalance
	}
	return budgets.CachedBalance{}
}

func orName(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// requestsCSV streams a request list with the page's filters and order.
func (h *Handler) requestsCSV(c echo.Context, f budgets.RequestFilter, name string) error {
	w, err := streamCSV(c, name+"_"+h.nowUTC().Format("2006-01-02")+".csv", []string{"id", "kind", "virtual_lab", "project", "to_project",
		"amount (credits)", "state", "requested_by", "requested_utc", "justification", "decided_by", "decided_utc", "deny_reason",
		"upstream_error", "lab_balance_cached (credits)", "project_balance_cached (credits)", "to_project_balance_cached (credits)"})
	if err != nil {
		return err
	}
	err = h.Budgets.EachBudgetRequest(c.Request().Context(), f, func(r budgets.Request) error {
		return w.row([]string{strconv.FormatInt(r.ID, 10), r.Kind, orName(r.VlabName, r.VlabID), r.ProjectKey, r.ToProjectKey,
			credits(r.Amount), r.State, orName(r.RequestedByName, r.RequestedBy), csvTime(r.Created), r.Justification,
			r.DecidedByName, csvTime(r.Decided), r.DenyReason, r.UpstreamError, cachedCSV(r.LabBalance), cachedCSV(r.ProjBalance), cachedCSV(r.ToBalance)})
	})
	return w.finish(err)
}

func cachedCSV(b budgets.CachedBalance) string {
	if !b.Known {
		return ""
	}
	return credits(b.Value)
}

// visibleRequest returns the request of the URL if the user may see it:
// its requester and admins. Anyone else is told it does not exist.
func (h *Handler) visibleRequest(c echo.Context) (*budgets.Request, error) {
	id, err := strconv.ParseInt(strings.TrimSuffix(c.Param("id"), ".csv"), 10, 64)
	if err != nil {
		return nil, portal.Errorf(portal.ENOTFOUND, "There is no budget request %q.", c.Param("id"))
	}
	r, err := h.Budgets.BudgetRequestByID(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	if u := user(c); !u.Admin && r.RequestedBy != u.Subject {
		return nil, portal.Errorf(portal.ENOTFOUND, "There is no budget request %d.", id)
	}
	return r, nil
}

func (h *Handler) handleRequest(c echo.Context) error {
	r, err := h.visibleRequest(c)
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		return requestReadingsCSV(c, r)
	}
	v, err := h.requestView(c, r)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.Request(v))
}
