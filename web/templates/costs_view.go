package templates

// View models of the project page, the costs pages and statements. Every
// amount arrives formatted; units are written in full.

// ProjectsView is the list of the user's projects.
type ProjectsView struct {
	Page    Page
	Rows    []ProjectRowView
	CSVHref string
	Month   string // "March 2026"
	Base    string
}

// ProjectRowView is one project of the list.
type ProjectRowView struct {
	Key, Name, Href string
	Tenant          string
	Cost            string // this month, base currency
	Unpriced        int
	StatementHref   string
}

// SourceNote says which upstream a section's figures come from, and as of when.
type SourceNote struct {
	Title string // "OBI budgets"
	AsOf  string // "2026-03-09 15:04 UTC (5 minutes ago)" or why there is none
	Kind  string // ok, warn, info
}

// ProjectView is a project's page across all sources for a month.
type ProjectView struct {
	Page               Page
	Key, Name          string
	Month, MonthValue  string // "March 2026", "2026-03"
	PrevHref, NextHref string
	Base               string
	Links              []Link
	OBI                ProjectOBIView
	Argo               ProjectArgoView
	AMIE               ProjectAMIEView
	VergeOS            ProjectVergeOSView
	Costs              []SourceCostView
	CostTotal          string
	UnpricedLines      int
	StatementHref      string
	StatementCSV       string
	StatementJSON      string
	LedgerCSV          string
	Budgets            []BudgetRowView
	CanSetBudget       bool
	BudgetForm         BudgetFormView
	LedgerNote         string
}

// Link is a labelled link.
type Link struct{ Label, Href string }

// ProjectOBIView is the OBI section of a project page.
type ProjectOBIView struct {
	Note              SourceNote
	Configured, Known bool
	ProjID, Lab       string
	Balance, Reserved string
	Spent, Jobs       string
	Burn, RunOut      string
	Href              string
}

// ProjectArgoView is the ARGO section.
type ProjectArgoView struct {
	Note SourceNote
	ID   string
	Rows []ArgoTotalView
	Href string
}

// ArgoTotalView is one metric definition's total.
type ArgoTotalView struct {
	Definition, Total, Unit, How string
	Installations, Metrics       int
}

// ProjectAMIEView is the AMIE section.
type ProjectAMIEView struct {
	Note   SourceNote
	ID     string
	Counts []Link // "charged: 12", with Href empty
	Rows   []AMIERecordView
	Total  int
	Shown  int
	Href   string
}

// AMIERecordView is a record the project sent.
type AMIERecordView struct {
	RecordID, Resource, Type, Start, Charge, State, StateKind, Why string
	UploadHref                                                     string
}

// ProjectVergeOSView is the VergeOS section.
type ProjectVergeOSView struct {
	Note      SourceNote
	Tenant    string
	TenantKey string
	Seen      bool
	Latest    []Link // label: value pairs of the newest short-history reading
	LatestAt  string
	Usage     []UsageTotalView
}

// UsageTotalView is a measure's quantity in the month.
type UsageTotalView struct {
	Measure, Title, Quantity, Unit string
}

// SourceCostView is what a source cost in the month.
type SourceCostView struct {
	Source, Title, Amount string
	Unpriced              int
}

// BudgetRowView is a budget against actual spend.
type BudgetRowView struct {
	Project, ProjectName, ProjectHref string
	Kind, Period                      string
	Budget, Spent, Remaining, UsedPct string
	Burn, Projected, RunOut           string
	Level, LevelKind, LevelText       string
	Note, SetBy                       string
	Unpriced                          int
}

// BudgetFormView is the admins' form to set a budget.
type BudgetFormView struct {
	Projects []Option
	Kinds    []Option
	Project  string
	Kind     string
	Period   string
	Amount   string
	Note     string
	Back     string // "project" to come back to the project page
	Base     string
	CSRF     string
	Errors   map[string]string
}

// CostsView is the costs overview.
type CostsView struct {
	Page         Page
	Month        string
	MonthValue   string
	PrevHref     string
	NextHref     string
	Base         string
	Sources      []string // titles, in column order
	Rows         []CostRowView
	Total        string
	CSVHref      string
	Budgets      []BudgetRowView
	BudgetsCSV   string
	CanSetBudget bool
	BudgetForm   BudgetFormView
	WarnPct      string
}

// CostRowView is one project's month.
type CostRowView struct {
	Key, Name, Href, StatementHref string
	BySource                       []string
	Total                          string
	Unpriced                       int
}

// StatementView is a printable monthly statement.
type StatementView struct {
	Page                           Page
	Key, Name, Month, MonthValue   string
	Base                           string
	Issued                         string
	Sources                        []SourceNote
	Lines                          []StatementLineView
	Totals                         []Link // source title: total
	Total                          string
	Unpriced                       []UnpricedLineView
	CSVHref, JSONHref, ProjectHref string
	PrevHref, NextHref             string
}

// StatementLineView is one charged line.
type StatementLineView struct {
	Source, Measure, Scope, Days string
	Quantity, Unit               string
	Rate, PerUnit, RateVersion   string
	FX                           string
	Amount, Currency, Charged    string
}

// UnpricedLineView is usage a statement does not charge.
type UnpricedLineView struct {
	Source, Measure, Scope, Days, Quantity, Unit, Reason string
}

// RatesView is the admins' rate card page.
type RatesView struct {
	Page           Page
	Base           string
	Rates          []RateRowView
	FX             []FXRowView
	Measures       []MeasureRowView
	CSVHref        string
	Problems       []string
	ProblemsOf     string // which form the problems are about
	Form           RateFormView
	FXForm         FXFormView
	Sources        []Option
	Scopes         []Option
	MeasureOptions []Option
	Today          string
}

// RateRowView is one rate version.
type RateRowView struct {
	ID, Source, Measure, Scope, Price, PerUnit, ValidFrom, EnteredBy, EnteredAt string
	State, StateKind                                                            string
}

// FXRowView is one FX version.
type FXRowView struct {
	ID, Currency, PerBase, Reads, ValidFrom, EnteredBy, EnteredAt, State, StateKind string
}

// MeasureRowView is a measure a rate can price.
type MeasureRowView struct {
	Source, Measure, Title, PerUnit, Scope string
}

// RateFormView is the add-a-rate form as sent.
type RateFormView struct {
	Source, Measure, Scope, Price, Currency, ValidFrom string
}

// FXFormView is the add-an-FX-rate form as sent.
type FXFormView struct {
	Currency, PerBase, ValidFrom string
}

// ReconcileView is the cross-source checks page.
type ReconcileView struct {
	Page      Page
	From, To  string
	Tolerance string
	Rows      []ReconcileRowView
	Flagged   int
	CSVHref   string
}

// ReconcileRowView is one project and month.
type ReconcileRowView struct {
	Project, Name, Href, Month string
	AMIE, Argo, Diff, DiffPct  string
	Flagged                    bool
	Note                       string
}
