package handlers

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/auth"
	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// NotifyStore is what the notifications pages need; *cache.DB implements it.
type NotifyStore interface {
	Notifications(ctx context.Context, subject string, f notify.Filter) ([]notify.Notification, int64, error)
	EachNotification(ctx context.Context, subject string, f notify.Filter, fn func(notify.Notification) error) error
	NavCounts(ctx context.Context, subject string, admin bool) (unread, pending int, err error)
	MarkRead(ctx context.Context, subject string, id int64) error
	MarkAllRead(ctx context.Context, subject string) (int64, error)
	NotifyPrefs(ctx context.Context, subject string) (map[string]string, error)
	SetNotifyPrefs(ctx context.Context, u portal.User, prefs map[string]string) error
	Thresholds(ctx context.Context) (notify.Thresholds, map[string]notify.Thresholds, error)
	SetThresholds(ctx context.Context, project string, th notify.Thresholds, actor, actorName string) error
	NotifyUsers(ctx context.Context) ([]notify.User, error)
	Catalog(ctx context.Context) (*portal.Catalog, error)
}

// NotifySettings are what the settings page says about mail.
type NotifySettings struct {
	MailConfigured bool
	DigestHour     int
	ReminderDays   int
	FailingAfter   string
}

// registerNotify mounts the notifications pages (when the store is set).
func (h *Handler) registerNotify(e *echo.Echo) {
	if h.Notify == nil {
		return
	}
	h.add(e, "GET", "/notifications", h.handleNotifications, Member)
	h.add(e, "GET", "/notifications.csv", h.handleNotifications, Member)
	h.add(e, "POST", "/notifications/:id/read", h.handleNotificationRead, Member)
	h.add(e, "POST", "/notifications/read-all", h.handleNotificationsReadAll, Member)
	h.add(e, "GET", "/settings/notifications", h.handleNotifySettings, Member)
	h.add(e, "GET", "/settings/notifications/recipients.csv", h.handleNotifyRecipientsCSV, Admin)
	h.add(e, "POST", "/settings/notifications", h.handleNotifyPrefs, Member)
	h.add(e, "POST", "/settings/notifications/thresholds", h.handleNotifyThresholds, Manager)
	h.registerDemoMail(e)
}

// navCounts fills the navigation's counts of a page.
func (h *Handler) navCounts(ctx context.Context, p *templates.Page) error {
	if h.Notify == nil || p.User == nil || p.User.Subject == "" {
		return nil
	}
	unread, pending, err := h.Notify.NavCounts(ctx, p.User.Subject, p.User.Admin)
	p.Unread, p.PendingApprovals = unread, pending
	return err
}

func (h *Handler) handleNotifications(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	q := c.QueryParams()
	lp, err := parseList(q, nil, "", false)
	if err != nil {
		return err
	}
	f := notify.Filter{UnreadOnly: q.Get("unread") == "1", Limit: lp.Size, Offset: lp.Offset()}
	if v := q.Get("unread"); v != "" && v != "1" {
		return portal.Errorf(portal.EINVALID, "unread: %q must be 1 (or left out)", v)
	}
	if wantsCSV(c) {
		w, err := streamCSV(c, "notifications.csv", notificationColumns)
		if err != nil {
			return err
		}
		return w.finish(h.Notify.EachNotification(ctx, u.Subject, f, func(n notify.Notification) error {
			by := n.ActorName
			if n.Actor == portal.SystemActor {
				by = "the portal"
			}
			return w.row([]string{strconv.FormatInt(n.ID, 10), csvTime(n.At), n.Kind, n.Title, by, n.Link, csvTime(n.Read), n.Mode, n.Mail})
		}))
	}
	items, total, err := h.Notify.Notifications(ctx, u.Subject, f)
	if err != nil {
		return err
	}
	p, err := h.page(c, "Notifications", "notifications")
	if err != nil {
		return err
	}
	v := templates.NotificationsView{Page: p, Pager: pager(c, lp, total), CSVHref: csvHref(c), Total: total, UnreadOnly: f.UnreadOnly,
		AllHref: withQuery(c.Request().URL, "unread", "", "page", ""), UnreadHref: withQuery(c.Request().URL, "unread", "1", "page", "")}
	for _, n := range items {
		r := templates.NotificationRow{ID: n.ID, At: n.At, Kind: notify.KindLabel(n.Kind), Title: n.Title, Body: strings.Split(n.Body, "\n"),
			Link: n.Link, Read: !n.Read.IsZero(), Mail: notify.MailLabel(n.Mail, n.Mode)}
		if n.Actor != portal.SystemActor && n.ActorName != "" {
			r.By = n.ActorName
		}
		v.Items = append(v.Items, r)
	}
	return render(c, http.StatusOK, templates.Notifications(v))
}

// handleNotificationRead marks one notification read, then goes to what
// it is about (next, a path of the portal) or back to the list.
func (h *Handler) handleNotificationRead(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return portal.Errorf(portal.ENOTFOUND, "There is no notification %q.", c.Param("id"))
	}
	if err := h.Notify.MarkRead(c.Request().Context(), user(c).Subject, id); err != nil {
		return err
	}
	next := "/notifications"
	if n := c.FormValue("next"); n != "" {
		next = auth.SafeReturnTo(n)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (h *Handler) handleNotificationsReadAll(c echo.Context) error {
	n, err := h.Notify.MarkAllRead(c.Request().Context(), user(c).Subject)
	if err != nil {
		return err
	}
	msg := "Nothing was unread."
	if n > 0 {
		msg = "Marked " + strconv.FormatInt(n, 10) + " notifications read."
		if n == 1 {
			msg = "Marked 1 notification read."
		}
	}
	return h.flashRedirect(c, msg, "/notifications")
}

// handleNotifySettings shows a person's preferences; for the projects
// they manage, the thresholds they may add; for admins, the site's
// thresholds and who can be mailed.
func (h *Handler) handleNotifySettings(c echo.Context) error {
	return h.renderNotifySettings(c, http.StatusOK, nil, "")
}

// renderNotifySettings draws the settings page; form names the form
// whose values to show again ("prefs", "site" or "project:<key>").
func (h *Handler) renderNotifySettings(c echo.Context, status int, errs map[string]string, form string) error {
	ctx := c.Request().Context()
	u := user(c)
	p, err := h.page(c, "Notification settings", "notifications")
	if err != nil {
		return err
	}
	prefs, err := h.Notify.NotifyPrefs(ctx, u.Subject)
	if err != nil {
		return err
	}
	site, extras, err := h.Notify.Thresholds(ctx)
	if err != nil {
		return err
	}
	v := templates.NotifySettingsView{Page: p, Mail: h.NotifySettings.MailConfigured, DigestHour: h.NotifySettings.DigestHour,
		ReminderDays: h.NotifySettings.ReminderDays, FailingAfter: h.NotifySettings.FailingAfter, Errors: errs,
		SitePercents: site.PercentText(), SiteDays: site.DaysText(), Admin: u.Admin}
	if errs == nil {
		v.Errors = map[string]string{}
	}
	for _, k := range notify.Kinds {
		if k.AdminOnly && !u.Admin {
			continue
		}
		row := templates.PrefRow{Kind: k.Kind, Label: k.Label, Description: k.Description, Mode: prefs[k.Kind]}
		if row.Mode == "" {
			rel := notify.AsRequester
			if k.OptIn && len(u.Manages) == 0 && !u.Admin {
				rel = notify.AsMember
			}
			row.Mode = notify.ModeFor(k.Kind, rel, "", u.Admin)
		}
		for _, m := range notify.Modes {
			if m == notify.ModeOff && u.Admin && k.Approval {
				continue
			}
			row.Options = append(row.Options, templates.Option{Value: m, Label: notify.ModeLabel(m)})
		}
		v.Prefs = append(v.Prefs, row)
	}
	names, err := h.Store.ProjectNames(ctx, u.Manages)
	if err != nil {
		return err
	}
	for _, key := range u.Manages {
		x := extras[key]
		r := templates.ThresholdRow{Project: key, Name: names[key], Percents: x.PercentText(), Days: x.DaysText(),
			Effective: site.With(x).PercentText() + " % · " + site.With(x).DaysText() + " days"}
		if form == "project:"+key {
			r.Percents, r.Days = c.FormValue("percents"), c.FormValue("days")
		}
		if r.Name == "" {
			r.Name = key
		}
		v.Projects = append(v.Projects, r)
	}
	if form == "site" && u.Admin {
		v.SitePercents, v.SiteDays = c.FormValue("percents"), c.FormValue("days")
	}
	if u.Admin {
		users, err := h.Notify.NotifyUsers(ctx)
		if err != nil {
			return err
		}
		managed := map[string]bool{}
		for _, x := range users {
			row := templates.RecipientRow{Name: x.Name, Email: x.Email, Admin: x.Admin, Manages: strings.Join(x.Manages, ", "),
				Member: strings.Join(x.Member, ", "), LastSeen: x.LastSeen}
			if row.Name == "" {
				row.Name = x.Subject
			}
			v.Recipients = append(v.Recipients, row)
			if x.Email != "" {
				for _, k := range x.Manages {
					managed[k] = true
				}
			}
		}
		cat, err := h.Notify.Catalog(ctx)
		if err != nil {
			return err
		}
		for _, cp := range cat.Projects {
			if !managed[cp.Key] {
				v.Unreached = append(v.Unreached, cp.Name+" ("+cp.Key+")")
			}
		}
	}
	return render(c, status, templates.NotifySettings(v))
}

// handleNotifyPrefs stores a person's choice for each kind of event.
func (h *Handler) handleNotifyPrefs(c echo.Context) error {
	u := user(c)
	prefs := map[string]string{}
	errs := map[string]string{}
	for _, k := range notify.Kinds {
		if k.AdminOnly && !u.Admin {
			continue
		}
		m := c.FormValue("mode_" + k.Kind)
		if m == "" {
			continue
		}
		if err := notify.CheckPref(k.Kind, m, u.Admin); err != nil {
			errs["mode_"+k.Kind] = err.Error()
			continue
		}
		prefs[k.Kind] = m
	}
	if len(errs) > 0 {
		return h.renderNotifySettings(c, http.StatusUnprocessableEntity, errs, "prefs")
	}
	if len(prefs) == 0 {
		errs["prefs"] = "Choose how you want to hear of at least one kind of event."
		return h.renderNotifySettings(c, http.StatusUnprocessableEntity, errs, "prefs")
	}
	if err := h.Notify.SetNotifyPrefs(c.Request().Context(), *u, prefs); err != nil {
		return err
	}
	return h.flashRedirect(c, "Your notification settings are saved.", "/settings/notifications")
}

// handleNotifyThresholds stores the site's thresholds (admins, project
// empty) or the levels a project's manager adds to them.
func (h *Handler) handleNotifyThresholds(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	project := c.FormValue("project")
	if project == "" && !u.Admin {
		return portal.Errorf(portal.EFORBIDDEN, "Only admins set the site's thresholds; choose one of your projects.")
	}
	if project != "" && !slices.Contains(u.Manages, project) && !u.Admin {
		return portal.Errorf(portal.ENOTFOUND, "There is no project %q among those you manage.", project)
	}
	th, err := notify.ParseThresholds(c.FormValue("percents"), c.FormValue("days"))
	if err != nil {
		return h.renderNotifySettings(c, http.StatusUnprocessableEntity, map[string]string{"thresholds:" + project: err.Error()}, thresholdForm(project))
	}
	if project == "" && (len(th.Percents) == 0 && len(th.Days) == 0) {
		return h.renderNotifySettings(c, http.StatusUnprocessableEntity,
			map[string]string{"thresholds:": "Give at least one level: a site without thresholds would tell nobody."}, "site")
	}
	if project != "" {
		site, _, err := h.Notify.Thresholds(ctx)
		if err != nil {
			return err
		}
		th = th.Only(site)
	}
	if err := h.Notify.SetThresholds(ctx, project, th, u.Subject, u.DisplayName()); err != nil {
		return err
	}
	msg := "The site's thresholds are saved."
	if project != "" {
		msg = "The thresholds of " + project + " are saved."
	}
	return h.flashRedirect(c, msg, "/settings/notifications")
}

// thresholdForm names the thresholds form of project ("" is the site's).
func thresholdForm(project string) string {
	if project == "" {
		return "site"
	}
	return "project:" + project
}

// handleNotifyRecipientsCSV is the CSV twin of the settings page's "Who
// can be told" table (admins): the people the portal knows from their
// sign-ins, with the address and roles of the last one. Like every page it
// names people by name, never by their identity provider's subject.
func (h *Handler) handleNotifyRecipientsCSV(c echo.Context) error {
	users, err := h.Notify.NotifyUsers(c.Request().Context())
	if err != nil {
		return err
	}
	w, err := streamCSV(c, "notification-recipients.csv", []string{"name", "email", "admin", "manages", "member_of", "last_sign_in_utc"})
	if err != nil {
		return err
	}
	for _, x := range users {
		if err := w.row([]string{x.Name, x.Email, strconv.FormatBool(x.Admin), strings.Join(x.Manages, " "),
			strings.Join(x.Member, " "), csvTime(x.LastSeen)}); err != nil {
			return w.finish(err)
		}
	}
	return w.finish(nil)
}
