package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/decimal"
)

// The demo manager manages neuro-sim and brain-atlas, both in the virtual
// lab Cortex Lab; climate-ml (Earth Systems Lab) is someone else's.
const (
	managersLab     = "Cortex Lab"
	managersProject = "neuro-sim"
	managersName    = "Neural Circuit Simulation"
)

// TestDay_TopUpRequestedApprovedAndApplied is a manager's and an admin's
// day in one browser: the manager reads the budgets and the metrics
// (every table agreeing with its download), asks for a top-up of the
// lab through the form and signs out; the admin signs in, approves it
// from the inbox, watches it applied and the lab's balance rise by the
// amount; the manager signs in again and is told.
func TestDay_TopUpRequestedApprovedAndApplied(t *testing.T) {
	b := env.Browser(t)

	// Morning: the manager reads the budgets.
	b.SignIn("manager", "/")
	budgets := b.OpenBudgets()
	projects := budgets.Projects()
	if !slices.Contains(projects, managersProject) || !slices.Contains(projects, "brain-atlas") || slices.Contains(projects, "climate-ml") {
		t.Errorf("the manager's budgets list %q", projects)
	}
	b.MustMatchCSV(BudgetsProjectsCSV)
	b.MustMatchCSV(BudgetsLabsCSV)
	project := budgets.OpenProject(managersProject)
	if h := b.Heading(); !strings.Contains(h, managersName) {
		t.Errorf("project page heading %q", h)
	}
	if project.LabBalance().Sign() <= 0 {
		t.Errorf("the project page shows the lab's balance as %s", project.LabBalance())
	}
	if n := b.MustMatchCSV(BudgetJobsCSV); n == 0 {
		t.Error("the project's jobs table is empty")
	}

	// ... and the metrics of the projects' installations.
	metrics := b.OpenMetrics()
	if metrics.Rows() == 0 || !metrics.HasChart() {
		t.Errorf("the metrics overview has %d rows, chart %v", metrics.Rows(), metrics.HasChart())
	}
	b.MustMatchCSV(metrics.CSV())
	list := metrics.Installations()
	for _, p := range list.Projects() {
		if p != managersName && p != "Brain Atlas Imaging" {
			t.Errorf("the manager sees an installation of %q", p)
		}
	}
	inst := list.Open(managersName)
	if inst.Charts() == 0 {
		t.Errorf("installation %s has no chart", inst.Name())
	}
	if n := b.MustMatchCSV(InstallationMetricsCSV); n == 0 {
		t.Errorf("installation %s shows no metrics", inst.Name())
	}

	// The lab needs credits: a top-up, through the form.
	amount := "125.50"
	form := b.OpenBudgets().RequestBudget()
	if st := form.TopUp(managersLab, amount, "Spring school: 40 students need GPU time"); st != 200 {
		t.Fatalf("sending the request answered %d at %s", st, b.Path())
	}
	req := b.RequestPage()
	id := req.ID()
	if req.State() != "pending" || req.Amount() != amount+" credits" || !strings.Contains(b.Flash(), "Request "+id+" sent") {
		t.Errorf("request %s: state %q, amount %q, flash %q", id, req.State(), req.Amount(), b.Flash())
	}
	if st := b.GoTo("Requests"); st != 200 || b.Requests().State(id) != "pending" {
		t.Fatalf("the requests list (%d) shows request %s as %q", st, id, b.Requests().State(id))
	}
	b.MustMatchCSV(MyRequestsCSV)
	b.SignOut()

	// The admin reads the lab's balance, approves from the inbox and
	// waits for OBI.
	b.SignIn("admin", "/")
	before := b.OpenBudgets().LabBalance(managersLab)
	// The navigation counts the requests waiting. (Whether the admin also
	// has a notification of it depends on whether they had signed in
	// before it was made: the portal knows people from their sign-ins.)
	if n := b.NavCount("approvals"); n < 1 {
		t.Errorf("the admin's navigation counts %d requests waiting, want at least 1", n)
	}
	if st := b.GoTo("Approvals"); st != 200 {
		t.Fatalf("approvals: %d", st)
	}
	inbox := b.Requests()
	if inbox.State(id) != "pending" {
		t.Fatalf("the inbox shows request %s as %q", id, inbox.State(id))
	}
	b.MustMatchCSV(ApprovalsCSV)
	if st := inbox.Approve(id); st != 200 || b.Path() != "/approvals" || !strings.Contains(b.Flash(), "Request "+id+" approved") {
		t.Fatalf("approving answered %d at %s with %q", st, b.Path(), b.Flash())
	}
	b.Open("/requests/" + id)
	b.RequestPage().WaitState("applied")
	// The portal read the lab's balance from OBI just before and after the
	// call; the change it saw is the amount.
	lab := b.RequestPage().Readings()[managersLab+" (virtual lab)"]
	if lab.Seen != "+"+amount+" matches" || lab.Expected != "+"+amount {
		t.Errorf("the request page's readings of %s: %+v", managersLab, b.RequestPage().Readings())
	}
	want := before.Add(decimal.MustParse(amount))
	b.OpenBudgets().WaitLabBalance(managersLab, want)
	b.SignOut()

	// The manager comes back and is told.
	b.SignIn("manager", "/budgets")
	notices := strings.Join(b.Budgets().Notices(), "\n")
	if !strings.Contains(notices, "Your request "+id+" (Top up "+managersLab+" with "+amount+" credits) was applied in OBI.") {
		t.Errorf("the manager's notices: %q", notices)
	}
	if got := b.Budgets().LabBalance(managersLab); !got.Equal(want) {
		t.Errorf("the manager sees %s in %s, want %s", got, managersLab, want)
	}
	b.GoTo("Requests")
	if s := b.Requests().State(id); s != "applied" {
		t.Errorf("the manager's list shows request %s as %q", id, s)
	}
	b.Open("/requests/" + id)
	hist := strings.Join(b.RequestPage().History(), "\n")
	for _, step := range []string{"pending", "approved", "applied"} {
		if !strings.Contains(hist, step) {
			t.Errorf("the request's history lacks %q:\n%s", step, hist)
		}
	}
}

// TestDay_DeniedRequestTellsTheReason: a manager's mistyped request is
// sent back with the input kept; the corrected one is denied by an admin
// (in a browser of their own, at the same time) with a reason the
// manager then reads.
func TestDay_DeniedRequestTellsTheReason(t *testing.T) {
	manager := env.Browser(t)
	manager.SignIn("manager", "/requests/new")
	form := manager.RequestForm()
	const why = "Extra storage for the imaging pipeline"
	if st := form.TopUp(managersLab, "12.345", why); st != 422 {
		t.Fatalf("an amount with 3 decimals answered %d", st)
	}
	if e := form.FieldError("amount"); !strings.Contains(e, "2 decimal places") {
		t.Errorf("the amount's error says %q", e)
	}
	if got := manager.Value("#justification"); got != why {
		t.Errorf("the re-shown form lost the justification: %q", got)
	}
	if st := form.TopUp(managersLab, "9000", why); st != 200 {
		t.Fatalf("the corrected request answered %d", st)
	}
	id := manager.RequestPage().ID()

	admin := env.Browser(t)
	admin.SignIn("admin", "/approvals")
	const reason = "The spring allocation round is closed; ask again in May."
	if st := admin.Requests().Deny(id, reason); st != 200 || !strings.Contains(admin.Flash(), "Request "+id+" denied") {
		t.Fatalf("denying answered %d with %q", st, admin.Flash())
	}

	manager.Open("/requests/" + id)
	page := manager.RequestPage()
	if page.State() != "denied" || page.DenyReason() != reason {
		t.Errorf("the manager sees state %q, reason %q", page.State(), page.DenyReason())
	}
	manager.Open("/budgets")
	notices := strings.Join(manager.Budgets().Notices(), "\n")
	if !strings.Contains(notices, "Your request "+id) || !strings.Contains(notices, "was denied: "+reason) {
		t.Errorf("the manager's notices: %q", notices)
	}
	// Nothing is waiting for the admin any more.
	admin.Open("/approvals?state=pending")
	if s := admin.Requests().State(id); s != "" {
		t.Errorf("the pending inbox still lists request %s (%s)", id, s)
	}
}

// TestCSV_UsageAndBillingTablesMatchTheirDownloads compares the usage and
// billing tables with their downloads, as a manager and as an admin
// (whose failed-records table has a selection column).
func TestCSV_UsageAndBillingTablesMatchTheirDownloads(t *testing.T) {
	for _, who := range []string{"manager", "admin"} {
		t.Run(who, func(t *testing.T) {
			b := env.Browser(t)
			b.SignIn(who, "/")
			b.OpenUsage()
			if n := b.MustMatchCSV(UsageStatusCSV); n == 0 {
				t.Error("the usage status table is empty")
			}
			if st := b.Click(`a[href="/usage/failed"]`); st != 200 {
				t.Fatalf("failed records: %d", st)
			}
			if n := b.MustMatchCSV(FailedRecordsCSV); n == 0 {
				t.Error("the failed records table is empty")
			}
			billing := b.OpenBilling()
			if billing.Charts() == 0 {
				t.Error("the billing page draws no chart")
			}
			if n := b.MustMatchCSV(BillingRecordsCSV); n == 0 {
				t.Error("the billing records table is empty")
			}
		})
	}
}
