package templates

import (
	"context"
	"io"
	"strconv"
	"time"
)

// UsageStatusView is the usage status page: per resource and UTC day,
// what AMIE loaded and failed.
type UsageStatusView struct {
	Page
	// NoData, when set, says the range holds no status and where it is;
	// the page then shows no totals.
	NoData    string
	Range     TimeRangeView
	Resource  string
	Resources []string
	// Hidden keeps the time range and sorting in the resource filter form.
	Hidden             []Hidden
	Loaded, Failed     int64
	Charge             string
	FailureRate        string
	Reporting          int
	Chart              ChartView
	Headers            []SortHeader
	Rows               []UsageStatusRow
	Pager              PagerView
	Total              int64
	CSVHref            string
	FailedHref         string
	CanUpload, IsAdmin bool
}

// UsageStatusRow is one resource's day.
type UsageStatusRow struct {
	Day            time.Time
	Resource       string
	Loaded, Failed int64
	Charge         string
}

// UsageFailedView is the failed records page.
type UsageFailedView struct {
	Page
	Filters FailedFilters
	// Hidden keeps sorting and page size in the filter form.
	Hidden  []Hidden
	Headers []SortHeader
	Groups  FailedGroups
	Pager   PagerView
	Total   int64
	Charge  string
	CSVHref string
	// Admin shows the checkboxes and the clear buttons.
	Admin       bool
	ClearAction string
	Selected    map[int64]bool
	FormError   string
	Clears      []UsageClearRow
}

// FailedFilters are the failed page's selects, as a component: the
// chosen values and the choices. Kept renders them once, for choices
// kept between requests.
type FailedFilters struct {
	Resource, Error, Project, Type string
	Resources, Errors, Types       []string
	Projects                       []UsageOption
	html                           keptHTML
}

// Render writes the selects: as they were rendered when kept.
func (f FailedFilters) Render(ctx context.Context, w io.Writer) error {
	return f.html.render(ctx, w, failedFilters(f))
}

// Kept returns the selects with their rendering kept.
func (f FailedFilters) Kept() FailedFilters {
	f.html = ""
	f.html = keep(failedFilters(f))
	return f
}

// FailedGroups are the failed table's groups with their rows, as a
// component: Cols is the table's width, Admin adds the checkboxes and
// the clear buttons, Selected checks boxes. Kept renders them once, for
// a page of records kept between requests.
type FailedGroups struct {
	List     []FailedGroupView
	Cols     int
	Admin    bool
	Selected map[int64]bool
	html     keptHTML
}

// Render writes the groups: as they were rendered when kept.
func (g FailedGroups) Render(ctx context.Context, w io.Writer) error {
	return g.html.render(ctx, w, failedGroups(g))
}

// Kept returns the groups with their rendering kept.
func (g FailedGroups) Kept() FailedGroups {
	g.html = ""
	g.html = keep(failedGroups(g))
	return g
}

// UsageOption is a choice of a select.
type UsageOption struct{ Value, Label string }

// FailedGroupView is one error with its records on this page.
type FailedGroupView struct {
	Error string
	// Records and Charge are the group's totals (all pages).
	Records int64
	Charge  string
	Rows    []FailedRow
}

// FailedRow is a failed record.
type FailedRow struct {
	FailedID             int64
	Type, Resource       string
	Project, ProjectName string
	ProjectKey           string // the portal project, "" when the catalogue names none
	RecordID, User       string
	Start, End           time.Time
	Charge, Problems     string
}

// ID is the FailedRecordID as text.
func (r FailedRow) ID() string { return strconv.FormatInt(r.FailedID, 10) }

// UsageClearRow is a request to clear failed records.
type UsageClearRow struct {
	ID               int64
	Records          int
	State, By        string
	Created, Updated time.Time
}

// Href links the clear request's page.
func (r UsageClearRow) Href() string { return "/usage/clears/" + strconv.FormatInt(r.ID, 10) }

// UsageClearsView lists clear requests.
type UsageClearsView struct {
	Page
	Headers []SortHeader
	Rows    []UsageClearRow
	Pager   PagerView
	Total   int64
	CSVHref string
}

// UsageClearConfirmView asks before clearing every record of an error.
type UsageClearConfirmView struct {
	Page
	Error              string
	Records            int
	Action, CancelHref string
}

// UsageClearView is one clear request's page.
type UsageClearView struct {
	Page
	Clear   UsageClearRow
	IDs     []int64
	MoreIDs int
	Result  string
	Trail   []AuditRow
}

// UsageUploadView is the upload form.
type UsageUploadView struct {
	Page
	Configured bool
	Type       string
	Schemas    []UploadSchema
	Projects   []UploadProject
	AnyProject bool
	Resources  []string
	// Errors are per form field (type, file); Problems are the file's.
	Errors       map[string]string
	Problems     []UploadProblem
	MoreProblems int
	Filename     string
	MaxRows      string
	MaxSize      string
	// OldWarning names the file's oldest record when it is older than
	// the portal sends unasked; ConfirmOld is the confirm box's value.
	OldWarning string
	ConfirmOld string
}

// UploadSchema documents a record type's columns.
type UploadSchema struct {
	Key, Label, TemplateHref string
	Columns                  []UploadColumn
}

// UploadColumn is one documented column.
type UploadColumn struct {
	Name     string
	Required bool
	Doc      string
}

// UploadProject is a project the uploader may send records for.
type UploadProject struct{ ID, Key, Name string }

// UploadProblem is one reason a file was refused.
type UploadProblem struct {
	Line           int
	Column, Reason string
}

// UsageUploadsView lists uploads.
type UsageUploadsView struct {
	Page
	All     bool // an admin's view of everyone's uploads
	Headers []SortHeader
	Rows    []UploadRow
	Pager   PagerView
	Total   int64
	CSVHref string
}

// UploadRow is an upload in a list.
type UploadRow struct {
	ID                      int64
	Type, Filename, By      string
	Records, Accepted       int
	Refused, NotSent        int
	Chunks, ChunksDelivered int
	State                   string
	Created                 time.Time
}

// Href links the upload's page.
func (r UploadRow) Href() string { return "/usage/uploads/" + strconv.FormatInt(r.ID, 10) }

// UsageUploadItemView is one upload's page.
type UsageUploadItemView struct {
	Page
	Upload     UploadRow
	StateText  string
	Charge     string
	Projects   []string
	InProgress bool
	Refresh    int // seconds between reloads while in progress
	// Requests counts the upload's requests per outbox state.
	Requests   []UsageStateCount
	Processing int64
	Refusals   []RefusalRow
	Outcome    string
	Outcomes   []PresetLink
	Headers    []SortHeader
	Records    []UploadRecordRow
	Pager      PagerView
	Total      int64
	CSVHref    string
	Trail      []AuditRow
	OutboxHref string
}

// UsageStateCount is how many things are in one state.
type UsageStateCount struct {
	State string
	Count int
}

// RefusalRow is a reason records were refused, with how many.
type RefusalRow struct {
	Reason  string
	Records int64
}

// UploadRecordRow is an uploaded record with its outcome.
type UploadRecordRow struct {
	Line                        int
	RecordID, Resource, Project string
	User                        string
	Start, End                  time.Time
	Charge, Outcome, Error      string
	Processing                  string
	Chunk                       int
}

// UsagePercent formats part of whole as a percentage with one decimal.
func UsagePercent(part, whole int64) string {
	if whole <= 0 {
		return "—"
	}
	return Percent(float64(part) * 100 / float64(whole))
}
