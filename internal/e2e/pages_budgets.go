package e2e

import (
	"fmt"
	"strings"

	"github.com/chromedp/chromedp"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Page objects of the budgets area: the overview, a project's page, the
// request form, the request lists (a manager's requests, the admins'
// approvals inbox) and one request's page.

// Budgets is the budgets overview (/budgets).
type Budgets struct{ b *Browser }

// Budgets returns the overview's page object (the browser must show it).
func (b *Browser) Budgets() Budgets {
	b.t.Helper()
	b.WaitFor(`[data-testid="projects-table"]`)
	return Budgets{b}
}

// OpenBudgets follows the navigation to the overview.
func (b *Browser) OpenBudgets() Budgets {
	b.t.Helper()
	if st := b.GoTo("Budgets"); st != 200 {
		b.t.Fatalf("e2e: Budgets answered %d (at %s)", st, b.URL())
	}
	return b.Budgets()
}

// LabBalance is a virtual lab's unassigned balance as the labs table shows it.
func (p Budgets) LabBalance(lab string) decimal.Decimal {
	p.b.t.Helper()
	for _, row := range p.b.ReadTable(`[data-testid="labs-table"]`).Rows {
		if row[0] == lab {
			return p.b.credits(row[1], "the balance of "+lab)
		}
	}
	p.b.t.Fatalf("e2e: no virtual lab %q on the budgets page (at %s)", lab, p.b.URL())
	return decimal.Zero
}

// Projects are the keys of the projects listed.
func (p Budgets) Projects() []string {
	p.b.t.Helper()
	keys, err := run(p.b, evalStrings(`Array.from(document.querySelectorAll('[data-testid="projects-table"] tr[data-project]'), e => e.dataset.project)`))
	p.b.must(err, "read the projects")
	return keys
}

// Notices are the notices at the top, such as what became of the
// person's requests.
func (p Budgets) Notices() []string { return p.b.Texts(`[data-testid="notice"]`) }

// OpenProject follows a project's link in the projects table.
func (p Budgets) OpenProject(key string) BudgetProject {
	p.b.t.Helper()
	if st := p.b.Click(fmt.Sprintf(`tr[data-project=%q] a`, key)); st != 200 {
		p.b.t.Fatalf("e2e: project %s answered %d", key, st)
	}
	p.b.WaitFor(`[data-testid="jobs-table"]`)
	return BudgetProject{p.b}
}

// RequestBudget presses "Request budget".
func (p Budgets) RequestBudget() RequestForm {
	p.b.t.Helper()
	if st := p.b.Click(`.page-head a[href="/requests/new"]`); st != 200 {
		p.b.t.Fatalf("e2e: the request form answered %d", st)
	}
	return p.b.RequestForm()
}

// The overview's tables and their downloads.
var (
	BudgetsProjectsCSV = CSVTable{Table: `[data-testid="projects-table"]`, Link: `[data-testid="csv-link"]`, Count: `[data-testid="row-count"]`,
		File: "budgets_", Cols: []Col{
			{Screen: "Virtual lab", Show: Field("virtual_lab")},
			{Screen: "Project", Show: Join("", Field("project"), Text(" ("), Field("project_key"), Text(")"))},
			{Screen: "Balance (credits)", Show: Credits("balance (credits)")},
			{Screen: "Reserved (credits)", Show: Credits("reserved (credits)")},
			{Screen: "Spend 7 days (credits)", Show: Credits("spend_7d (credits)")},
			{Screen: "Spend 30 days (credits)", Show: Credits("spend_30d (credits)")},
			{Screen: "Burn rate (credits/day)", Show: Credits("burn_rate_30d (credits/day)")},
			// The sooner of the two dates, then how far off it is.
			{Screen: "Runs out", Show: soonerDate("runs_out_30d_rate (date)", "runs_out_7d_rate (date)"), Prefix: true},
			{Screen: "Status", Show: Field("status")},
		}}
	BudgetsLabsCSV = CSVTable{Table: `[data-testid="labs-table"]`, Link: `[data-testid="labs-csv-link"]`, File: "virtual_labs_", Cols: []Col{
		{Screen: "Virtual lab", Show: Field("virtual_lab")},
		{Screen: "Unassigned balance (credits)", Show: Credits("balance_unassigned (credits)")},
		{Screen: "Projects' balance (credits)", Show: Credits("projects_balance (credits)")},
		{Screen: "Reserved (credits)", Show: Credits("projects_reserved (credits)")},
		{Screen: "Projects", Show: Field("projects"), Prefix: true}, // then "1 to watch"
		{Screen: "Discount in force", Show: Field("discount_in_force")},
	}}
)

func soonerDate(a, b string) func(CSVRow) string {
	return func(r CSVRow) string {
		x, y := r[a], r[b]
		if x == "" || (y != "" && y < x) {
			return y
		}
		return x
	}
}

// BudgetProject is one project's budget page.
type BudgetProject struct{ b *Browser }

// Balance is the project's balance tile.
func (p BudgetProject) Balance() decimal.Decimal {
	return p.b.credits(p.b.Text(`[data-testid="balance"]`), "the project's balance")
}

// LabBalance is the tile with the lab's unassigned balance.
func (p BudgetProject) LabBalance() decimal.Decimal {
	return p.b.credits(p.b.Text(`[data-testid="lab-balance"]`), "the lab's balance")
}

// BudgetJobsCSV is a project's jobs table and its download.
var BudgetJobsCSV = CSVTable{Table: `[data-testid="jobs-table"]`, Link: `[data-testid="csv-link"]`, Count: `[data-testid="row-count"]`,
	File: "jobs_", Cols: []Col{
		{Screen: "Started", Show: UTC("started_utc", Minute)},
		{Screen: "Finished", Show: UTC("finished_utc", Minute)},
		{Screen: "Type", Show: Field("type")},
		{Screen: "Subtype", Show: Field("subtype")},
		{Screen: "Status", Show: Field("status")},
		{Screen: "Name", Show: Field("name")},
		{Screen: "Cost (credits)", Show: Credits("cost (credits)")},
		{Screen: "Reserved (credits)", Show: Credits("reserved (credits)")},
	}}

// credits reads an amount of credits as a page prints it.
func (b *Browser) credits(s, what string) decimal.Decimal {
	b.t.Helper()
	d, err := decimal.Parse(strings.ReplaceAll(strings.TrimSuffix(strings.TrimSpace(s), " credits"), ",", ""))
	if err != nil {
		b.t.Fatalf("e2e: %s reads %q, not an amount (at %s)", what, s, b.URL())
	}
	return d
}

// RequestForm is the form for a new budget request (/requests/new).
type RequestForm struct{ b *Browser }

// RequestForm returns the form's page object (the browser must show it).
func (b *Browser) RequestForm() RequestForm {
	b.t.Helper()
	b.WaitFor(`form[action="/requests"]`)
	return RequestForm{b}
}

// TopUp fills in a top-up of a lab the way a person does (clicking the
// kind, typing the lab's name into its list, typing the amount and the
// justification), sends it, and returns the status of the page it leads to.
func (f RequestForm) TopUp(lab, amount, justification string) int {
	f.b.t.Helper()
	f.b.must(f.b.do(chromedp.Click(chromedp.CSS(`input[name="kind"][value="top-up"]`), chromedp.NodeVisible)), "choose a top-up")
	f.b.Choose("#vlab", lab)
	f.b.Fill("#amount", amount)
	f.b.Fill("#justification", justification)
	return f.b.Click(`form[action="/requests"] button[type="submit"]`)
}

// FieldError is the error shown under a field ("" when none).
func (f RequestForm) FieldError(name string) string {
	sel := fmt.Sprintf(`[data-testid="error-%s"]`, name)
	if !f.b.Has(sel) {
		return ""
	}
	return f.b.Text(sel)
}

// Choose selects the option of a <select> whose label starts with label,
// by typing it into the focused list as a person would.
func (b *Browser) Choose(sel, label string) {
	b.t.Helper()
	b.must(b.do(chromedp.SendKeys(chromedp.CSS(sel), label)), "type %q into %s", label, sel)
	if got := b.Selected(sel); !strings.HasPrefix(got, label) {
		b.t.Fatalf("e2e: typing %q into %s chose %q", label, sel, got)
	}
}

// Selected is the label of the chosen option of a <select>.
func (b *Browser) Selected(sel string) string {
	b.t.Helper()
	got, err := run(b, chromedp.Evaluate[string](fmt.Sprintf(`(() => { const s = document.querySelector(%q); return s.selectedIndex < 0 ? "" : s.options[s.selectedIndex].text; })()`, sel)))
	b.must(err, "read the choice of %s", sel)
	return got
}

// RequestPage is one budget request's page (/requests/<id>).
type RequestPage struct{ b *Browser }

// RequestPage returns the page object (the browser must show it).
func (b *Browser) RequestPage() RequestPage {
	b.t.Helper()
	b.WaitFor(`[data-testid="request-state"]`)
	return RequestPage{b}
}

// ID is the request's number, from the address.
func (p RequestPage) ID() string {
	return strings.TrimPrefix(strings.SplitN(p.b.Path(), "?", 2)[0], "/requests/")
}

// State is the request's state ("pending", "applied", ...).
func (p RequestPage) State() string { return p.b.Text(`[data-testid="request-state"] .badge`) }

// Amount is the amount shown, e.g. "25.00 credits".
func (p RequestPage) Amount() string { return p.b.Text(`[data-testid="request-amount"]`) }

// DenyReason is the reason an admin gave for denying ("" when none).
func (p RequestPage) DenyReason() string {
	if !p.b.Has(`[data-testid="deny-reason"]`) {
		return ""
	}
	return p.b.Text(`[data-testid="deny-reason"]`)
}

// Readings are the balances the portal read from OBI around the call:
// per account, before, after, the change seen and the change expected
// (nil when the page shows none).
func (p RequestPage) Readings() map[string]Reading {
	if !p.b.Has(`[data-testid="readings-table"]`) {
		return nil
	}
	out := map[string]Reading{}
	for _, r := range p.b.ReadTable(`[data-testid="readings-table"]`).Rows {
		out[r[0]] = Reading{Before: r[1], After: r[2], Seen: r[3], Expected: r[4]}
	}
	return out
}

// Reading is one account's balances around an OBI call, as shown.
type Reading struct{ Before, After, Seen, Expected string }

// History is the timeline's entries, oldest first as shown.
func (p RequestPage) History() []string { return p.b.Texts(`.timeline li`) }

// WaitState reloads the page until the request is in the state (the
// outbox delivers in the background), and fails after a while.
func (p RequestPage) WaitState(want string) {
	p.b.t.Helper()
	p.b.poll(fmt.Sprintf("request %s to be %s", p.ID(), want), func() (bool, string) {
		got := p.b.RequestPage().State()
		return got == want, got
	})
}

// RequestList is a list of budget requests: a person's own (/requests)
// or the admins' approvals inbox (/approvals).
type RequestList struct{ b *Browser }

// Requests returns the list's page object (the browser must show one).
func (b *Browser) Requests() RequestList {
	b.t.Helper()
	b.WaitFor(`[data-testid="requests-table"]`)
	return RequestList{b}
}

// State is the state of one request in the list ("" when not listed).
func (l RequestList) State(id string) string {
	sel := fmt.Sprintf(`tr[data-request=%q] [data-col="state"]`, id)
	if !l.b.Has(sel) {
		return ""
	}
	return l.b.Text(sel)
}

// Approve presses a request's Approve button in the inbox.
func (l RequestList) Approve(id string) int {
	l.b.t.Helper()
	return l.b.Click(fmt.Sprintf(`tr[data-request=%q] form[action$="/approve"] button`, id))
}

// Deny types a reason into a request's deny form in the inbox and presses Deny.
func (l RequestList) Deny(id, reason string) int {
	l.b.t.Helper()
	l.b.Fill("#deny-"+id, reason)
	return l.b.Click(fmt.Sprintf(`tr[data-request=%q] form[action$="/deny"] button`, id))
}

// Flash is the message the portal shows after an action.
func (b *Browser) Flash() string {
	if !b.Has(`[data-testid="flash"]`) {
		return ""
	}
	return b.Text(`[data-testid="flash"]`)
}

// kindLabels are the request kinds as people read them.
var kindLabels = map[string]string{"top-up": "Top-up of a virtual lab", "assign": "Assignment to a project",
	"reverse": "Reversal from a project", "move": "Move between projects"}

func requestCols() []Col {
	return []Col{
		{Screen: "#", Show: Field("id")},
		{Screen: "Request", Show: func(r CSVRow) string { return kindLabels[r["kind"]] }, Suffix: true},
		{Screen: "Amount (credits)", Show: Credits("amount (credits)"), Prefix: true}, // the inbox may add a warning
		{Screen: "State", Show: Field("state")},
		{Screen: "Requested", Show: UTC("requested_utc", Minute), Prefix: true}, // then its age
		{Screen: "Requested by", Show: Field("requested_by")},
	}
}

// The request lists and their downloads: the requests of a person's
// projects, and the admins' inbox (with the justification).
var (
	MyRequestsCSV = CSVTable{Table: `[data-testid="requests-table"]`, Link: `[data-testid="csv-link"]`, Count: `[data-testid="row-count"]`,
		File: "budget_requests_", Cols: requestCols()}
	ApprovalsCSV = CSVTable{Table: `[data-testid="requests-table"]`, Link: `[data-testid="csv-link"]`, Count: `[data-testid="row-count"]`,
		File: "approvals_", Cols: append(requestCols(), Col{Screen: "Justification", Show: Field("justification")})}
)

// WaitLabBalance reloads the overview until a lab's balance is want (a
// change applied in OBI reaches the page with the next sync).
func (p Budgets) WaitLabBalance(lab string, want decimal.Decimal) {
	p.b.t.Helper()
	p.b.poll(fmt.Sprintf("the balance of %s to be %s", lab, want.StringFixed(2)), func() (bool, string) {
		got := p.b.Budgets().LabBalance(lab)
		return got.Equal(want), got.StringFixed(2)
	})
}
