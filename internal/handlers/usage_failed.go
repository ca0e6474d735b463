package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
	"github.com/accounting-portal/portal/web/templates"
)

var usageTypes = []string{"Compute", "Storage", "Adjustment"}

// usageFailedQuery reads the failed page's filters; the scope is the user's.
func usageFailedQuery(c echo.Context, q url.Values) (usage.FailedFilter, ListParams, error) {
	lp, err := parseList(q, usage.FailedSorts, "id", false)
	if err != nil {
		return usage.FailedFilter{}, lp, err
	}
	f := usage.FailedFilter{Scope: user(c).Scope(), Resource: q.Get("resource"), Error: q.Get("error"), Project: q.Get("project"),
		Type: q.Get("type"), Sort: lp.Sort, Desc: lp.Desc, Limit: lp.Size, Offset: lp.Offset()}
	if f.Type != "" && !slices.Contains(usageTypes, f.Type) {
		return f, lp, portal.Errorf(portal.EINVALID, "type: %q is not one of %s", f.Type, strings.Join(usageTypes, ", "))
	}
	return f, lp, nil
}

// handleUsageFailed lists the failed records the user may see, grouped by
// error (or its CSV twin).
func (h *Handler) handleUsageFailed(c echo.Context) error {
	f, lp, err := usageFailedQuery(c, c.QueryParams())
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		return h.failedCSV(c, f)
	}
	return h.renderFailed(c, http.StatusOK, f, lp, nil, "")
}

// renderFailed renders the failed page; a refused clear re-renders it
// with its selection and the reason.
func (h *Handler) renderFailed(c echo.Context, status int, f usage.FailedFilter, lp ListParams, selected map[int64]bool, formErr string) error {
	ctx := c.Request().Context()
	rows, total, err := h.Usage.ListFailed(ctx, f)
	if err != nil {
		return err
	}
	groups, err := h.Usage.FailedGroups(ctx, f)
	if err != nil {
		return err
	}
	opts, err := h.Usage.FailedOptions(ctx, f.Scope)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Failed usage records", "usage", portal.UpstreamAMIE)
	if err != nil {
		return err
	}
	u := user(c)
	q := c.QueryParams()
	v := templates.UsageFailedView{Page: p, Hidden: hiddenFields(q, "resource", "error", "project", "type", "page"),
		Pager: pager(c, lp, total), Total: total, CSVHref: csvHref(c), Admin: u.Admin, FormError: formErr,
		ClearAction: (&url.URL{Path: "/usage/failed/clear", RawQuery: usageFailedFilterQuery(f, lp).Encode()}).RequestURI()}
	v.Filters = h.keptFailedFilters(templates.FailedFilters{Resource: f.Resource, Error: f.Error, Project: f.Project, Type: f.Type,
		Resources: opts.Resources, Errors: opts.Errors, Types: opts.Types, Projects: usageProjectOptions(opts.Projects)})
	for _, col := range []struct {
		label, key string
		num        bool
	}{{"FailedRecordID", "id", true}, {"Type", "type", false}, {"Resource", "resource", false}, {"Project", "project", false},
		{"LocalRecordID", "record", false}, {"User", "user", false}, {"Start (UTC)", "start", false}, {"End (UTC)", "end", false},
		{"Charge (allocation units)", "charge", true}} {
		v.Headers = append(v.Headers, sortHeader(c, lp, col.label, col.key, col.num))
	}
	var list []templates.FailedGroupView
	list, v.Charge = usageFailedGroups(rows, groups)
	v.Groups = h.keptFailedGroups(templates.FailedGroups{List: list, Cols: len(v.Headers) + usageExtraCols(u.Admin), Admin: u.Admin, Selected: selected})
	if u.Admin {
		if v.Clears, _, err = h.usageClearRows(c, usage.ClearFilter{Limit: 5}); err != nil {
			return err
		}
	}
	return render(c, status, templates.UsageFailed(v))
}

// usageProjectOptions are the project filter's choices: an id, with the
// project's name when the catalogue knows it.
func usageProjectOptions(ps []usage.ProjectOption) []templates.UsageOption {
	var out []templates.UsageOption
	for _, o := range ps {
		label := o.ID
		if o.Name != "" {
			label += " (" + o.Name + ")"
		}
		out = append(out, templates.UsageOption{Value: o.ID, Label: label})
	}
	return out
}

// usageExtraCols is the checkbox column an admin's table has.
func usageExtraCols(admin bool) int {
	if admin {
		return 1
	}
	return 0
}

// keptFailedFilters keeps the failed page's selects rendered by their
// choices and chosen values: the choices are the same until an AMIE sync,
// a clear or the catalogue changes them (kept_parts.go).
func (h *Handler) keptFailedFilters(f templates.FailedFilters) templates.FailedFilters {
	// The four lists as one, each behind a marker no choice can equal.
	in := make([]templates.UsageOption, 0, len(f.Resources)+len(f.Errors)+len(f.Types)+len(f.Projects)+3)
	for _, l := range [][]string{f.Resources, f.Errors, f.Types} {
		for _, s := range l {
			in = append(in, templates.UsageOption{Value: s})
		}
		in = append(in, templates.UsageOption{Label: "\x00"})
	}
	in = append(in, f.Projects...)
	spec := strings.Join([]string{f.Resource, f.Error, f.Project, f.Type}, "\x00")
	return h.failedFilters.get(spec, in, sameUsageOption, f.Kept)
}

// keptFailedGroups keeps the failed table's groups rendered by their rows
// and totals: a page of records is the same until an AMIE sync, a clear
// or the catalogue changes it. A page re-rendered with a refused clear's
// selection is rendered afresh.
func (h *Handler) keptFailedGroups(g templates.FailedGroups) templates.FailedGroups {
	if g.Selected != nil {
		return g
	}
	spec := strconv.Itoa(g.Cols) + "\x00" + strconv.FormatBool(g.Admin)
	return h.failedGroupRows.get(spec, g.List, sameFailedGroup, g.Kept)
}

// sameUsageOption is eq for the failed page's choices.
func sameUsageOption(x, y templates.UsageOption) bool { return x == y }

// sameFailedGroup is eq for the failed table's groups: totals and rows.
func sameFailedGroup(x, y templates.FailedGroupView) bool {
	return x.Error == y.Error && x.Records == y.Records && x.Charge == y.Charge && slices.Equal(x.Rows, y.Rows)
}

// usageFailedGroups puts a page of records under their errors, with each
// error's totals over all pages.
func usageFailedGroups(rows []usage.FailedRecord, groups []usage.FailedGroup) ([]templates.FailedGroupView, string) {
	totals := map[string]usage.FailedGroup{}
	var sum usage.ChargeSum
	for _, g := range groups {
		totals[g.Error] = g
		_ = sum.Add(g.Charge)
	}
	var out []templates.FailedGroupView
	for _, r := range rows {
		if n := len(out); n == 0 || out[n-1].Error != r.Error {
			g := totals[r.Error]
			out = append(out, templates.FailedGroupView{Error: r.Error, Records: g.Records, Charge: g.Charge})
		}
		g := &out[len(out)-1]
		g.Rows = append(g.Rows, templates.FailedRow{FailedID: r.FailedID, Type: r.UsageType, Resource: r.Resource, Project: r.LocalProjectID,
			ProjectName: r.ProjectName, ProjectKey: r.ProjectKey, RecordID: r.LocalRecordID, User: r.Username, Start: r.Start, End: r.End, Charge: r.Charge, Problems: r.Problems})
	}
	return out, sum.String()
}

// usageFailedFilterQuery is the query string of a filter, for links and forms.
func usageFailedFilterQuery(f usage.FailedFilter, lp ListParams) url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"resource", f.Resource}, {"error", f.Error}, {"project", f.Project}, {"type", f.Type}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	if lp.Sort != "id" || lp.Desc {
		q.Set("sort", sortParam(lp.Sort, lp.Desc))
	}
	if lp.Size != 50 {
		q.Set("size", strconv.Itoa(lp.Size))
	}
	if lp.Page > 1 {
		q.Set("page", strconv.Itoa(lp.Page))
	}
	return q
}

// failedCSV streams the failed records the user may see, with the page's filters.
func (h *Handler) failedCSV(c echo.Context, f usage.FailedFilter) error {
	w, err := streamCSV(c, "usage_failed_records.csv", []string{"error", "failed_record_id", "usage_type", "resource", "local_project_id",
		"project", "local_record_id", "username", "start_utc", "end_utc", "charge_allocation_units", "local_reference", "problems"})
	if err != nil {
		return err
	}
	return w.finish(h.Usage.EachFailed(c.Request().Context(), f, func(r usage.FailedRecord) error {
		return w.row([]string{r.Error, strconv.FormatInt(r.FailedID, 10), r.UsageType, r.Resource, r.LocalProjectID, r.ProjectKey,
			r.LocalRecordID, r.Username, csvTime(r.Start), csvTime(r.End), r.Charge, r.LocalReference, r.Problems})
	}))
}
