package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// pushOwner is whose pushes the user sees: their own, or everyone's ("") for admins.
func pushOwner(u *portal.User) string {
	if u.Admin {
		return ""
	}
	return u.Subject
}

func pushRow(p metrics.Push) templates.PushRowView {
	who := p.CreatedByName
	if who == "" {
		who = p.CreatedBy
	}
	return templates.PushRowView{ID: p.ID, Href: "/metrics/pushes/" + strconv.FormatInt(p.ID, 10), Installation: p.InstallationName,
		InstallationHref: installationHref(p.InstallationID), Project: p.ProjectName, Definition: p.DefinitionName, Unit: p.UnitType,
		Value: templates.ExactText(p.ValueText), Start: p.Start, End: p.End, State: p.State, MetricID: p.MetricID, Error: p.Error, CreatedBy: who,
		Created: p.Created, Updated: p.Updated}
}

// handlePushes lists the user's metric pushes (an admin's: everyone's),
// and at /metrics/pushes.csv gives its CSV.
func (h *Handler) handlePushes(c echo.Context) error {
	ctx := c.Request().Context()
	q := c.QueryParams()
	lp, err := parseList(q, metrics.PushSorts, "id", true)
	if err != nil {
		return err
	}
	state := q.Get("state")
	if state != "" && !slices.Contains(portal.OutboxStates, state) {
		return portal.Errorf(portal.EINVALID, "state: %q is not one of %s", state, strings.Join(portal.OutboxStates, ", "))
	}
	u := user(c)
	pq := metrics.PushQuery{CreatedBy: pushOwner(u), State: state, Sort: lp.Sort, Desc: lp.Desc}
	if wantsCSV(c) {
		return h.pushesCSV(c, pq)
	}
	pq.Limit, pq.Offset = lp.Size, lp.Offset()
	rows, total, err := h.Metrics.MetricPushes(ctx, pq)
	if err != nil {
		return err
	}
	title := "My metric pushes"
	if u.Admin {
		title = "Metric pushes"
	}
	p, err := h.page(c, title, "metrics", portal.UpstreamArgo)
	if err != nil {
		return err
	}
	v := templates.PushesView{Page: p, Tabs: metricsTabs(u, "pushes"), All: u.Admin, State: state, Pager: pager(c, lp, total),
		Total: total, CSVHref: csvHref(c)}
	v.States = append(v.States, templates.PresetLink{Key: "", Label: "all", Href: withQuery(c.Request().URL, "state", "", "page", "")})
	for _, s := range portal.OutboxStates {
		v.States = append(v.States, templates.PresetLink{Key: s, Label: s, Href: withQuery(c.Request().URL, "state", s, "page", "")})
	}
	v.Headers = []templates.SortHeader{
		sortHeader(c, lp, "#", "id", true), sortHeader(c, lp, "Installation", "installation", false),
		sortHeader(c, lp, "Metric", "definition", false), sortHeader(c, lp, "Period start", "start", true),
		sortHeader(c, lp, "Value", "value", true), {Label: "Unit"}, sortHeader(c, lp, "State", "state", false),
		sortHeader(c, lp, "Updated", "updated", true),
	}
	for _, r := range rows {
		v.Rows = append(v.Rows, pushRow(r))
	}
	return render(c, http.StatusOK, templates.Pushes(v))
}

func (h *Handler) pushesCSV(c echo.Context, q metrics.PushQuery) error {
	w, err := streamCSV(c, "argo-metric-pushes.csv", []string{"push_id", "created_utc", "created_by", "installation", "argo_installation_id",
		"project", "argo_project_id", "metric_definition", "metric_definition_id", "unit", "metric_type", "period_start_utc", "period_end_utc",
		"value", "user_id", "group_id", "state", "argo_metric_id", "error", "updated_utc"})
	if err != nil {
		return err
	}
	return w.finish(h.Metrics.EachMetricPush(c.Request().Context(), q, func(p metrics.Push) error {
		return w.row([]string{strconv.FormatInt(p.ID, 10), csvTime(p.Created), pushRow(p).CreatedBy, p.InstallationName, p.InstallationID,
			p.ProjectName, p.ProjectID, p.DefinitionName, p.DefinitionID, p.UnitType, p.MetricType, csvTime(p.Start), csvTime(p.End),
			p.ValueText, p.UserID, p.GroupID, p.State, p.MetricID, p.Error, csvTime(p.Updated)})
	}))
}

// handlePush is one push's page: its state, ARGO's answer and its
// history. Another person's push is not found (admins see every push).
func (h *Handler) handlePush(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return portal.Errorf(portal.ENOTFOUND, "There is no metric push %q.", c.Param("id"))
	}
	mp, err := h.Metrics.MetricPushByID(ctx, id, pushOwner(u))
	if err != nil {
		return err
	}
	trail, err := h.Store.AuditTrail(ctx, metrics.PushRef(id))
	if err != nil {
		return err
	}
	p, err := h.page(c, "Metric push "+strconv.FormatInt(id, 10), "metrics", portal.UpstreamArgo)
	if err != nil {
		return err
	}
	v := templates.PushView{Page: p, Tabs: metricsTabs(u, "pushes"), Push: pushRow(*mp), MetricType: mp.MetricType,
		UserID: mp.UserID, GroupID: mp.GroupID, Trail: auditRows(trail)}
	if mp.State == portal.OutboxDelivered {
		v.Result = prettyJSON(mp.Result)
	}
	if u.Admin && mp.OutboxID != 0 {
		v.OutboxHref = "/outbox/" + strconv.FormatInt(mp.OutboxID, 10)
	}
	return render(c, http.StatusOK, templates.PushPage(v))
}
