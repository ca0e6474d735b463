package templates

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

// Page is what every page's layout needs.
type Page struct {
	Title string
	// Section is the navigation key of the page ("home", "metrics", ...).
	Section string
	User    *portal.User
	CSRF    string
	Flash   string
	// Sources is the freshness of the upstream(s) whose data the page shows.
	Sources []Freshness
	// Refresh, when positive, reloads the page every so many seconds (for
	// pages that follow a delivery in progress; no JavaScript needed).
	Refresh int
}

// NavItem is one entry of the main navigation.
type NavItem struct {
	Key, Label, Href string
	Admin            bool // shown to admins only
	Manager          bool // shown to managers and admins only
}

// Nav is the main navigation, in order.
var Nav = []NavItem{
	{Key: "projects", Label: "Projects", Href: "/projects"},
	{Key: "budgets", Label: "Budgets", Href: "/budgets"},
	{Key: "metrics", Label: "Metrics", Href: "/metrics"},
	{Key: "usage", Label: "Usage", Href: "/usage"},
	{Key: "billing", Label: "Billing", Href: "/billing"},
	{Key: "costs", Label: "Costs", Href: "/costs"},
	{Key: "requests", Label: "Requests", Href: "/requests", Manager: true},
	{Key: "approvals", Label: "Approvals", Href: "/approvals", Admin: true},
	{Key: "sources", Label: "Data sources", Href: "/sources", Admin: true},
	{Key: "outbox", Label: "Outbox", Href: "/outbox", Admin: true},
}

// VisibleNav returns the navigation items u may see.
func VisibleNav(u *portal.User) []NavItem {
	var out []NavItem
	for _, n := range Nav {
		if u == nil || (n.Admin && !u.Admin) || (n.Manager && !u.IsManager()) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// Freshness says how current an upstream's data is.
type Freshness struct {
	Upstream   string
	Title      string
	Configured bool
	AsOf       time.Time // finish of the last successful sync; zero if none
	Failing    bool
	LastError  string
	ErrorAt    time.Time
	Now        time.Time
}

// Kind returns the notice kind for the freshness.
func (f Freshness) Kind() string {
	switch {
	case !f.Configured:
		return "info"
	case f.Failing || f.AsOf.IsZero():
		return "warn"
	}
	return "ok"
}

// Text describes the freshness in one sentence.
func (f Freshness) Text() string {
	switch {
	case !f.Configured:
		return f.Title + " is not configured."
	case f.AsOf.IsZero() && f.Failing:
		return f.Title + ": no data yet; the last sync failed " + Ago(f.Now, f.ErrorAt) + "."
	case f.AsOf.IsZero():
		return f.Title + ": no data yet; the first sync is running."
	case f.Failing:
		return fmt.Sprintf("%s: the last sync failed %s. Showing data as of %s (%s).", f.Title, Ago(f.Now, f.ErrorAt), FormatTime(f.AsOf), Ago(f.Now, f.AsOf))
	}
	return fmt.Sprintf("%s: data as of %s (%s).", f.Title, FormatTime(f.AsOf), Ago(f.Now, f.AsOf))
}

// FormatTime prints a time in UTC with the zone, to the minute.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// FormatDate prints a date.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02")
}

// FormatSeconds prints a time in UTC to the second.
func FormatSeconds(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// ISO prints a time for a <time datetime> attribute.
func ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Ago says how long before now t was, in words.
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "in " + span(-d)
	case d < time.Minute:
		return "just now"
	}
	return span(d) + " ago"
}

// In says how long until t, in words.
func In(now, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	if !t.After(now) {
		return "now"
	}
	return "in " + span(t.Sub(now))
}

func span(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case d < time.Minute:
		return plural(int(d.Seconds()), "second")
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute")
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour")
	}
	return plural(int(d.Hours()/24), "day")
}

// Int formats an integer with thin grouping.
func Int(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Duration prints a short duration.
func Duration(d time.Duration) string {
	if d < time.Second {
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	return d.Round(100 * time.Millisecond).String()
}

// RoleLabel names a project role.
func RoleLabel(manager bool) string {
	if manager {
		return "manager"
	}
	return "member"
}
