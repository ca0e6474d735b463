package handlers

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// ListParams are a table's paging and sorting, read from the query string.
type ListParams struct {
	Page, Size int
	Sort       string
	Desc       bool
}

// Offset returns the first row of the page.
func (p ListParams) Offset() int { return (p.Page - 1) * p.Size }

// MaxPageSize bounds the rows of one page.
const MaxPageSize = 500

// MaxPage bounds the page number, so that (page-1)*size cannot overflow
// into a negative OFFSET (found by FuzzParseList); no table has that many rows.
const MaxPage = 10_000_000

// parseList reads page, size and sort ("key" or "-key" for descending).
// An unknown sort key or a bad number is an EINVALID naming the parameter.
func parseList(q url.Values, sorts []string, defSort string, defDesc bool) (ListParams, error) {
	p := ListParams{Page: 1, Size: 50, Sort: defSort, Desc: defDesc}
	var problems []string
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPage {
			problems = append(problems, fmt.Sprintf("page: %q is not a page number (1, 2, …)", v))
		} else {
			p.Page = n
		}
	}
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxPageSize {
			problems = append(problems, fmt.Sprintf("size: %q must be a number from 1 to %d", v, MaxPageSize))
		} else {
			p.Size = n
		}
	}
	if v := q.Get("sort"); v != "" {
		key, desc := strings.TrimPrefix(v, "-"), strings.HasPrefix(v, "-")
		if !slices.Contains(sorts, key) {
			problems = append(problems, fmt.Sprintf("sort: %q is not a column of this table (use one of %s)", key, strings.Join(sorts, ", ")))
		} else {
			p.Sort, p.Desc = key, desc
		}
	}
	if len(problems) > 0 {
		return p, portal.Errorf(portal.EINVALID, "%s", strings.Join(problems, "; "))
	}
	return p, nil
}

// sortParam is the query value for sorting by key in the given direction.
func sortParam(key string, desc bool) string {
	if desc {
		return "-" + key
	}
	return key
}

// withQuery returns the current URL with query parameters set (an empty
// value removes one), keeping every other filter.
func withQuery(u *url.URL, kv ...string) string {
	q := u.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	out := url.URL{Path: u.Path, RawQuery: q.Encode()}
	return out.RequestURI()
}

// sortHeader builds a column header that sorts by key, toggling direction
// when the table is already sorted by it, and going back to page 1.
func sortHeader(c echo.Context, p ListParams, label, key string, numeric bool) templates.SortHeader {
	h := templates.SortHeader{Label: label, Key: key, Numeric: numeric}
	if key == "" {
		return h
	}
	desc := numeric // numbers and dates sort biggest first on the first click
	if p.Sort == key {
		h.Active = "asc"
		if p.Desc {
			h.Active = "desc"
		}
		desc = !p.Desc
	}
	h.Href = withQuery(c.Request().URL, "sort", sortParam(key, desc), "page", "")
	return h
}

// pager builds the pagination of a table with total rows.
func pager(c echo.Context, p ListParams, total int64) templates.PagerView {
	pages := int(math.Ceil(float64(total) / float64(p.Size)))
	u := c.Request().URL
	return templates.PagerView{Page: p.Page, Pages: max(pages, 1), Total: total,
		Href: func(n int) string { return withQuery(u, "page", strconv.Itoa(n)) }}
}

// TimeRange is a table's time window: [From, To).
type TimeRange struct {
	Preset   string // a key of timePresets, or "custom"
	From, To time.Time
	// Note says how custom dates were clamped, if they were.
	Note string
	// Invalid holds custom dates that could not be used, as typed, with a
	// message per field; the range is then the page's default one. A page
	// shows them marked in its range form (see keepPage); a CSV refuses.
	Invalid *RangeInput
}

// RangeInput is a custom range as typed, with what is wrong with it.
type RangeInput struct {
	From, To string
	// Errors has a message for "from" and/or "to"; Both marks both fields
	// (dates in the wrong order: either may be the slip).
	Errors map[string]string
	Both   bool
}

// Status is the status of a page drawn for the range: 422 when the
// dates asked for could not be used.
func (tr TimeRange) Status() int {
	if tr.Invalid != nil {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

// keepPage returns err, unless the only problem is a custom range that a
// page (not a CSV) can show marked in its form while it draws its default
// range: the person keeps the page and every filter they chose.
func keepPage(c echo.Context, tr TimeRange, err error) error {
	if err != nil && (tr.Invalid == nil || wantsCSV(c)) {
		return err
	}
	return nil
}

// MaxRangeYears is the longest custom range a page or CSV covers. Dates
// beyond it, and after today, are clamped (and the page says so), so no
// URL makes a request walk centuries of days; the charts then draw at
// most templates.MaxChartPoints points per line whatever the range.
const MaxRangeYears = 20

// timePresets are the ranges offered as one-click links, in order.
var timePresets = []struct {
	Key, Label string
	Span       time.Duration
}{
	{"24h", "Last 24 hours", 24 * time.Hour},
	{"7d", "Last 7 days", 7 * 24 * time.Hour},
	{"30d", "Last 30 days", 30 * 24 * time.Hour},
	{"90d", "Last 90 days", 90 * 24 * time.Hour},
	{"1y", "Last year", 365 * 24 * time.Hour},
}

// parseTimeRange reads range=<preset> or from/to dates (YYYY-MM-DD, both
// inclusive). Custom dates win over a preset. Dates that cannot be used
// are an EINVALID error naming the field; the range returned with it is
// then the default preset's, with Invalid set (see keepPage).
func parseTimeRange(q url.Values, now time.Time, defPreset string) (TimeRange, error) {
	from, to := q.Get("from"), q.Get("to")
	if from != "" || to != "" {
		in := &RangeInput{From: from, To: to, Errors: map[string]string{}}
		f, err := time.Parse("2006-01-02", from)
		if err != nil {
			in.Errors["from"] = fmt.Sprintf("%q is not a date: use YYYY-MM-DD.", from)
		}
		t, err := time.Parse("2006-01-02", to)
		if err != nil {
			in.Errors["to"] = fmt.Sprintf("%q is not a date: use YYYY-MM-DD.", to)
		}
		if len(in.Errors) == 0 && t.Before(f) {
			in.Errors["from"] = fmt.Sprintf("From (%s) is after To (%s): choose a start on or before the end.", from, to)
			in.Both = true
		}
		if len(in.Errors) > 0 {
			var problems []string
			for _, k := range []string{"from", "to"} {
				if m := in.Errors[k]; m != "" {
					problems = append(problems, k+": "+m)
				}
			}
			tr, _ := presetRange(defPreset, now)
			tr.Invalid = in
			return tr, portal.Errorf(portal.EINVALID, "%s", strings.Join(problems, "; "))
		}
		return clampRange(f, t.AddDate(0, 0, 1), now), nil
	}
	key := q.Get("range")
	if key == "" {
		key = defPreset
	}
	return presetRange(key, now)
}

// presetRange is the range of a preset ending now.
func presetRange(key string, now time.Time) (TimeRange, error) {
	for _, p := range timePresets {
		if p.Key == key {
			return TimeRange{Preset: key, From: now.Add(-p.Span).UTC(), To: now.UTC()}, nil
		}
	}
	keys := make([]string, len(timePresets))
	for i, p := range timePresets {
		keys[i] = p.Key
	}
	return TimeRange{}, portal.Errorf(portal.EINVALID, "range: %q is not one of %s (or give from and to dates)", key, strings.Join(keys, ", "))
}

// presetLabel names a preset for people ("last 30 days").
func presetLabel(key string) string {
	for _, p := range timePresets {
		if p.Key == key {
			return strings.ToLower(p.Label[:1]) + p.Label[1:]
		}
	}
	return key
}

// clampRange bounds a custom range [from, to) of whole UTC days: it ends
// today at the latest (there is no data from the future) and spans at
// most MaxRangeYears, counted back from its end.
func clampRange(from, to, now time.Time) TimeRange {
	tr := TimeRange{Preset: "custom", From: from, To: to}
	var notes []string
	if end := now.UTC().Truncate(24*time.Hour).AddDate(0, 0, 1); tr.To.After(end) {
		tr.To = end
		notes = append(notes, "ends today")
	}
	if tr.From.After(tr.To.AddDate(0, 0, -1)) {
		tr.From = tr.To.AddDate(0, 0, -1)
	}
	if first := tr.To.AddDate(-MaxRangeYears, 0, 0); tr.From.Before(first) {
		tr.From = first
		notes = append(notes, fmt.Sprintf("covers at most %d years", MaxRangeYears))
	}
	if len(notes) > 0 {
		tr.Note = "The range was shortened: it " + strings.Join(notes, " and ") + "."
	}
	return tr
}

// timeRangeView builds the range picker of a page. Dates that could not
// be used are shown as typed, marked, with the range drawn instead.
func timeRangeView(c echo.Context, tr TimeRange) templates.TimeRangeView {
	u := c.Request().URL
	v := templates.TimeRangeView{Preset: tr.Preset, From: tr.From.Format("2006-01-02"), To: tr.To.Add(-time.Nanosecond).Format("2006-01-02"),
		Hidden: hiddenFields(u.Query(), "range", "from", "to", "page"), Note: tr.Note}
	if in := tr.Invalid; in != nil {
		v.Preset, v.From, v.To = "", in.From, in.To
		v.FromError, v.ToError = in.Errors["from"], in.Errors["to"]
		v.FromInvalid, v.ToInvalid = v.FromError != "" || in.Both, v.ToError != "" || in.Both
		v.Note = "Showing the " + presetLabel(tr.Preset) + " until the dates are corrected."
	}
	for _, p := range timePresets {
		v.Presets = append(v.Presets, templates.PresetLink{Key: p.Key, Label: p.Label,
			Href: withQuery(u, "range", p.Key, "from", "", "to", "", "page", "")})
	}
	return v
}

// hiddenFields keeps the other filters of a page in a GET form.
func hiddenFields(q url.Values, except ...string) []templates.Hidden {
	var out []templates.Hidden
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if slices.Contains(except, k) {
			continue
		}
		for _, v := range q[k] {
			out = append(out, templates.Hidden{Name: k, Value: v})
		}
	}
	return out
}

// csvFilename names a download after the view and its time range.
func csvFilename(view string, tr TimeRange) string {
	if tr.From.IsZero() {
		return view + ".csv"
	}
	return fmt.Sprintf("%s_%s_%s.csv", view, tr.From.Format("2006-01-02"), tr.To.Add(-time.Nanosecond).Format("2006-01-02"))
}

// pathWithQuery builds a link with query parameters (empty ones left out).
func pathWithQuery(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
