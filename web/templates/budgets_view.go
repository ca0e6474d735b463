package templates

import (
	"context"
	"io"
	"strconv"
	"time"
)

// Plural prints n with the singular or plural words: "1 project is", "2 projects are".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// View models of the budgets pages. Amounts arrive formatted (credits,
// two decimals): templates never do arithmetic on money.

// Notice is a message shown at the top of a page, with an optional link.
type Notice struct {
	Kind string // ok, info, warn, bad
	Text string
	Href string
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
}

// BudgetsView is the budgets overview.
type BudgetsView struct {
	Page
	Notices    []Notice
	Labs       BudgetLabRows
	LabOptions []Option
	Lab        string // the lab filter
	Warn       bool   // only projects with a warning
	Hidden     []Hidden
	WarnDays   int
	Warnings   int
	Projects   []BudgetProjectRow
	Headers    []SortHeader
	Pager      PagerView
	Total      int64
	CSVHref    string
	// LabsCSVHref downloads the virtual labs table.
	LabsCSVHref string
	CanRequest  bool
}

// BudgetLabRow is one virtual lab on the overview.
type BudgetLabRow struct {
	ID, Name, Href string
	Balance        string // the lab's own, unassigned money
	Assigned       string // its (visible) projects' balances
	Reserved       string
	Projects       int
	Warnings       int
	Discount       string
}

// BudgetProjectRow is one project on the overview.
type BudgetProjectRow struct {
	Key, Name, Href, Lab string
	Balance, Reserved    string
	Spend7, Spend30      string
	Burn                 string
	RunOut, RunOutIn     string
	StatusKind, Status   string
}

// BudgetProjectView is one project's budget page.
type BudgetProjectView struct {
	Page
	Key, Name, Lab, ProjID      string
	Balance, Reserved           string
	LabBalance                  string
	Spend7, Spend30             string
	Burn7, Burn30               string
	RunOut7, RunOut30           string
	StatusKind, Status          string
	Discount                    string // the one in force, or ""
	FirstSnapshot, LastSnapshot time.Time
	Now                         time.Time
	RequestLinks                []PresetLink

	Range        TimeRangeView
	BalanceChart ChartView
	// BalanceNote explains what part of the chart is reconstructed.
	BalanceNote string
	SpendChart  ChartView
	Spend       []SpendRow
	// SpendTotal is how many rows the range has; Spend holds the newest
	// of them when there are more than a page shows.
	SpendTotal   int
	SpendCSV     string
	BalancesHref string
	BalancesCSV  string

	Type       string
	Types      []PresetLink
	Jobs       []JobRow
	JobHeaders []SortHeader
	JobsPager  PagerView
	JobsTotal  int64
	JobsCSV    string

	Discounts    []DiscountRow
	DiscountsCSV string
}

// SpendRow is one day's spend of one job type.
type SpendRow struct {
	Day, Type string
	Jobs      int64
	Cost      string
}

// JobRow is one job of a project's report.
type JobRow struct {
	ID                 string
	Started, Finished  string
	Type, Subtype      string
	Status, StatusKind string
	Name               string
	Duration, Usage    string
	Cost, CostExact    string
	Reserved           string
}

// DiscountRow is one discount of a virtual lab.
type DiscountRow struct {
	ID       int64
	Discount string
	From, To string
	InForce  bool
}

// BalanceHistoryView lists a project's recorded balances.
type BalanceHistoryView struct {
	Page
	Key, Name string
	Range     TimeRangeView
	Header    SortHeader
	Rows      []BalanceRow
	Pager     PagerView
	Total     int64
	CSVHref   string
}

// BalanceRow is one recorded balance.
type BalanceRow struct {
	At, Balance, Reserved string
}

// BudgetLabRows are the rows of the overview's labs table, as a
// component. Kept renders them once, for labs kept between requests.
type BudgetLabRows struct {
	List []BudgetLabRow
	html keptHTML
}

// Render writes the rows: as they were rendered when kept.
func (r BudgetLabRows) Render(ctx context.Context, w io.Writer) error {
	return r.html.render(ctx, w, budgetLabRows(r.List))
}

// Kept returns the rows with their rendering kept.
func (r BudgetLabRows) Kept() BudgetLabRows {
	r.html = ""
	r.html = keep(budgetLabRows(r.List))
	return r
}
