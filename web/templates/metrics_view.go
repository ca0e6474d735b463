package templates

import (
	"context"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// View models of the metrics section (ARGO Accounting).

// Tab is one tab of a section's sub-navigation.
type Tab struct {
	Key, Label, Href string
	Current          bool
}

// SelectOption is one option of a <select>.
type SelectOption struct {
	Value, Label string
	Selected     bool
}

// SelectOptions are the options of a <select>, as a component. Kept
// renders them once, for options kept between requests: a project's
// filter lists hundreds of installations.
type SelectOptions struct {
	List []SelectOption
	html keptHTML
}

// Render writes the options: as they were rendered when kept.
func (s SelectOptions) Render(ctx context.Context, w io.Writer) error {
	return s.html.render(ctx, w, selectOptions(s.List))
}

// Kept returns the options with their rendering kept.
func (s SelectOptions) Kept() SelectOptions {
	s.html = ""
	s.html = keep(selectOptions(s.List))
	return s
}

// MetricFiltersView is the filter form of a metrics page. A nil option
// list leaves that filter out.
type MetricFiltersView struct {
	Projects, Providers, Installations, Definitions SelectOptions
	Granularities                                   SelectOptions
	// Hidden keeps the page's other parameters (range, sort) through the form.
	Hidden    []Hidden
	ResetHref string
}

// MetricTotalRow is one row of the overview: a definition's total for a
// project and provider over one period.
type MetricTotalRow struct {
	Period, PeriodStart             string
	ProjectID, Project, ProjectHref string
	ProviderID, Provider            string
	DefinitionID, Definition        string
	Unit, MetricType, Aggregation   string
	Installations, Metrics          int64
	Total                           string
}

// MetricsOverviewView is the metrics overview page.
type MetricsOverviewView struct {
	Page
	// NoData, when set, says no metric matches in the range, and where
	// the matching metrics are.
	NoData    string
	Tabs      []Tab
	Filters   MetricFiltersView
	Range     TimeRangeView
	RangeNote string // the periods actually shown, aligned to the granularity
	// Chart is nil when there is nothing to draw.
	Chart      *ChartView
	ChartLinks []PresetLink // other definitions to chart
	ChartKey   string
	PeriodHead string
	Headers    []SortHeader
	Rows       []MetricTotalRow
	Pager      PagerView
	Total      int64
	CSVHref    string
}

// InstallationFacts describes an installation.
type InstallationFacts struct {
	ID, Name                           string
	ProjectID, Project, ProjectKey     string
	ProviderID, Provider               string
	Infrastructure, Resource, External string
	UnitOfAccess                       string // "name (unit)" or ""
	Metrics                            int64
	First, Last                        time.Time
}

// MetricRowView is one metric of an installation.
type MetricRowView struct {
	ID               string
	Start, End       time.Time
	Definition, Unit string
	Value            string
	UserID, GroupID  string
}

// MetricsInstallationView is an installation's page.
type MetricsInstallationView struct {
	Page
	Tabs      []Tab
	Inst      InstallationFacts
	PushHref  string // "" when the user may not push
	Filters   MetricFiltersView
	Range     TimeRangeView
	RangeNote string
	Charts    []ChartView
	Headers   []SortHeader
	Rows      []MetricRowView
	Pager     PagerView
	Total     int64
	CSVHref   string
}

// InstallationRowView is one installation in the list.
type InstallationRowView struct {
	InstallationFacts
	Href string
}

// MetricsInstallationsView is the list of installations.
type MetricsInstallationsView struct {
	Page
	Tabs    []Tab
	Filters MetricFiltersView
	Headers []SortHeader
	Rows    []InstallationRowView
	Pager   PagerView
	Total   int64
	CSVHref string
}

// DefinitionRowView is one metric definition.
type DefinitionRowView struct {
	ID, Name, Description  string
	Unit, MetricType       string
	Aggregation            string
	Installations, Metrics int64
	First, Last            time.Time
	Href                   string // the overview filtered to it
}

// MetricsDefinitionsView is the metric definitions page.
type MetricsDefinitionsView struct {
	Page
	Tabs    []Tab
	Headers []SortHeader
	Rows    []DefinitionRowView
	Pager   PagerView
	Total   int64
	CSVHref string
}

// PushFormView is the form to push a metric to an installation.
type PushFormView struct {
	Page
	Tabs        []Tab
	Inst        InstallationFacts
	Action      string
	Definitions []SelectOption
	// Values holds the input by field name; Errors the problem of each field.
	Values    map[string]string
	Errors    map[string]string
	FormError string
	Now       string // the current time in the form's format, as a hint
	// OldWarning says the period is older than the portal pushes unasked;
	// ConfirmOld is whether its confirm box is ticked.
	OldWarning string
	ConfirmOld bool
}

// PushRowView is one metric push.
type PushRowView struct {
	ID                             int64
	Href                           string
	Installation, InstallationHref string
	Project                        string
	Definition, Unit               string
	Value                          string
	Start, End                     time.Time
	State, MetricID, Error         string
	CreatedBy                      string
	Created, Updated               time.Time
}

// PushesView is the list of metric pushes.
type PushesView struct {
	Page
	Tabs    []Tab
	All     bool // an admin's view of everyone's pushes
	States  []PresetLink
	State   string
	Headers []SortHeader
	Rows    []PushRowView
	Pager   PagerView
	Total   int64
	CSVHref string
}

// PushView is one metric push's page.
type PushView struct {
	Page
	Tabs       []Tab
	Push       PushRowView
	MetricType string
	UserID     string
	GroupID    string
	Result     string // ARGO's answer, pretty JSON
	OutboxHref string // for admins
	Trail      []AuditRow
}

// RoundMetric rounds a total to MetricPlaces decimals: sums of
// floating-point values carry noise in the last digits that nobody should
// read (or download).
func RoundMetric(v float64) float64 {
	if math.Abs(v) >= 1e15 {
		return v // no fraction left to round, and v*p would lose digits
	}
	p := math.Pow10(MetricPlaces)
	r := math.Round(v*p) / p
	if r == 0 {
		return 0 // no "-0"
	}
	return r
}

// MetricNumber prints a metric value with thousands separators and the
// digits it has, up to MetricPlaces decimals.
func MetricNumber(v float64) string {
	return Group(strconv.FormatFloat(RoundMetric(v), 'f', -1, 64))
}

// PeriodLabel names the period starting at t: "2026-03-02", "2026-W10"
// or "2026-03".
func PeriodLabel(t time.Time, granularity string) string {
	t = t.UTC()
	switch granularity {
	case "week":
		y, w := t.ISOWeek()
		return strconv.Itoa(y) + "-W" + twoDigits(w)
	case "month":
		return t.Format("2006-01")
	}
	return t.Format("2006-01-02")
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// describedBy lists the ids that describe a form field: its hint (if any)
// and its error message when it has one, so no reference points nowhere.
func describedBy(hint, errID, errMsg string) string {
	ids := []string{}
	if hint != "" {
		ids = append(ids, hint)
	}
	if errMsg != "" {
		ids = append(ids, errID)
	}
	return strings.Join(ids, " ")
}
