package templates

import "time"

// View models of budget requests and the approvals inbox.

// KindLabel names a budget request kind for people.
func KindLabel(kind string) string {
	switch kind {
	case "top-up":
		return "Top-up of a virtual lab"
	case "assign":
		return "Assignment to a project"
	case "reverse":
		return "Reversal from a project"
	case "move":
		return "Move between projects"
	}
	return kind
}

// StateLink filters a list by state.
type StateLink struct {
	State string
	Count int
	Href  string
}

// RequestsView lists budget requests (a manager's own, or all for admins).
type RequestsView struct {
	Page
	Title         string
	Intro         string
	Notices       []Notice
	Filters       []StateLink
	State         string
	AllHref       string
	Rows          []RequestRow
	Headers       []SortHeader
	Pager         PagerView
	Total         int64
	CSVHref       string
	ShowRequester bool
	// Inbox adds the justification, the cached balances and the decision forms.
	Inbox     bool
	CanCreate bool
	// CanBulk shows the form that approves the ticked requests at once
	// (an inbox with a request the viewer may approve).
	CanBulk bool
}

// RequestRow is one request in a list.
type RequestRow struct {
	ID            int64
	Href          string
	Kind          string
	What          string
	Amount        string
	State         string
	Requester     string
	Created       time.Time
	Age           string
	Justification string
	// Balances are the cached balances of the accounts involved.
	Balances []string
	// Exceeds warns that the cached balance that pays for it is smaller.
	Exceeds string
	Pending bool
	// ApproveBlocked says why the viewer may not approve it (their own
	// request); the Approve button is left out.
	ApproveBlocked string
	// Approved is the amount approved when an admin approved less than
	// was asked ("" otherwise); ApproveNote is the note they left.
	Approved    string
	ApproveNote string
}

// RequestView is one request's page.
type RequestView struct {
	Page
	Row           RequestRow
	Lab           string
	Project       string
	ToProject     string
	Justification string
	DecidedBy     string
	DecidedAt     time.Time
	DenyReason    string
	UpstreamError string
	SettledBy     string
	SettledAt     time.Time
	SettleReason  string
	// Delivery describes the outbox item while the request is approved.
	Delivery   string
	OutboxHref string
	Readings   []ReadingRow
	ReadBefore time.Time
	ReadAfter  time.Time
	AfterError string
	// AttemptReadings are the balances each attempt read around its call;
	// Attempts is how many attempts there were.
	AttemptReadings []AttemptReadingRow
	Attempts        int
	Trail           []AuditRow

	CanCancel    bool
	CanDecide    bool
	CanReconcile bool
	// ApproveError says why an approval (its amount or note) was refused;
	// ApproveAmount and ApproveNoteInput keep what was typed.
	ApproveError, ApproveAmount, ApproveNoteInput string
	// Form state of a refused decision, kept for the re-render.
	DenyReasonInput string
	DenyError       string
	ReconcileChoice string
	ReconcileReason string
	ReconcileError  string
}

// AttemptReadingRow is one account's balances read around one attempt of
// the OBI call.
type AttemptReadingRow struct {
	Attempt  int
	Started  time.Time
	Outcome  string // the outbox state the attempt led to
	Error    string
	Account  string
	Before   string
	After    string
	Observed string // after - before
}

// ReadingRow compares one account's balances around an OBI call.
type ReadingRow struct {
	Account  string
	Before   string
	After    string
	Observed string // after - before
	Expected string // the change if the call was applied
	Matches  bool
}

// RequestFormView is the form for a new budget request.
type RequestFormView struct {
	Page
	Kinds         []Option
	Labs          []Option
	Projects      []OptionGroup
	Kind          string
	Vlab          string
	Project       string
	ToProject     string
	Amount        string
	Justification string
	Errors        map[string]string
	Warning       string
	Acknowledge   bool
	// Banner is the red message above a refused form: it points at the
	// fields marked below, or says what is wrong when no field is marked.
	Banner string
	// Duplicate warns that the same request was sent recently; it must be
	// confirmed (ConfirmDuplicate) to send this one as well.
	Duplicate        string
	ConfirmDuplicate bool
}

// OptionGroup is a labelled group of options.
type OptionGroup struct {
	Label   string
	Options []Option
}
