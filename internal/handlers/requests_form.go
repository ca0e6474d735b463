package handlers

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// requestForm is the new-request form as sent.
type requestForm struct {
	Kind, Vlab, Project, ToProject string
	Amount, Justification          string
	Acknowledge, ConfirmDuplicate  bool
}

// requestFields are the request form's fields, which the API's body takes.
var requestFields = []string{"kind", "vlab", "project", "to_project", "amount", "justification", "acknowledge", "confirm_duplicate"}

func readRequestForm(get func(string) string) requestForm {
	return requestForm{Kind: get("kind"), Vlab: get("vlab"), Project: get("project"), ToProject: get("to_project"),
		Amount: get("amount"), Justification: get("justification"), Acknowledge: get("acknowledge") == "1",
		ConfirmDuplicate: get("confirm_duplicate") == "1"}
}

// maxJustification bounds the justification, in characters.
const maxJustification = 2000

var amountText = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// maxAmountDigits is how many digits a request's whole credits may have:
// at most 9999999999999.99 credits, far beyond any real budget.
const maxAmountDigits = 13

// parseAmount reads a positive amount of credits with at most 2 decimal
// places. OBI shows every balance rounded to 2 places, so a finer amount
// could never be seen on a balance, nor checked when an admin compares
// balances before and after a call whose outcome is unknown. The size and
// the places are checked on the digits typed, which are exact however
// many there are; leading and trailing zeros do not count.
func parseAmount(s string) (decimal.Decimal, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return decimal.Zero, "Enter an amount in credits, such as 250 or 250.50."
	}
	if !amountText.MatchString(s) {
		return decimal.Zero, "Write a plain number of credits such as 250 or 250.50: no sign, spaces, letters or thousands separators."
	}
	whole, frac, _ := strings.Cut(s, ".")
	whole, frac = strings.TrimLeft(whole, "0"), strings.TrimRight(frac, "0")
	if len(whole) > maxAmountDigits {
		return decimal.Zero, "The amount is too big: a request can ask for at most 9999999999999.99 credits (" +
			strconv.Itoa(maxAmountDigits) + " digits before the point)."
	}
	if len(frac) > 2 {
		return decimal.Zero, "Use at most 2 decimal places: OBI keeps balances to the hundredth of a credit, so a smaller fraction could not be seen or checked."
	}
	// The zeros keep "0.0" readable when both parts were all zeros.
	d, err := decimal.Parse("0" + whole + "." + frac + "0")
	if err != nil {
		// Not reached: at most 15 significant digits are left.
		return decimal.Zero, "Write a plain number of credits such as 250 or 250.50."
	}
	if d.Sign() <= 0 {
		return decimal.Zero, "The amount must be more than 0."
	}
	return d.Round(2), ""
}

// requestAccounts indexes the labs and projects a user may request for.
type requestAccounts struct {
	labs     map[string]budgets.Lab
	projects map[string]budgets.Project
}

func indexAccounts(labs []budgets.Lab) requestAccounts {
	a := requestAccounts{labs: map[string]budgets.Lab{}, projects: map[string]budgets.Project{}}
	for _, l := range labs {
		a.labs[l.VlabID] = l
		for _, p := range l.Projects {
			a.projects[p.Key] = p
		}
	}
	return a
}

// validate checks the form against what the user may request for. It
// returns the request, an error per field, and a warning when the cached
// balance would not cover the amount (which the user must acknowledge).
func (f *requestForm) validate(acc requestAccounts) (budgets.NewRequest, map[string]string, string) {
	errs := map[string]string{}
	n := budgets.NewRequest{Kind: f.Kind, Justification: strings.TrimSpace(f.Justification)}
	if _, ok := map[string]bool{budgets.TopUp: true, budgets.Assign: true, budgets.Reverse: true, budgets.Move: true}[f.Kind]; !ok {
		errs["kind"] = "Choose what you are asking for."
	}
	var msg string
	if n.Amount, msg = parseAmount(f.Amount); msg != "" {
		errs["amount"] = msg
	}
	switch l := utf8.RuneCountInString(n.Justification); {
	case l == 0:
		errs["justification"] = "Say why the budget is needed; the admin who decides reads it."
	case l > maxJustification:
		errs["justification"] = "Keep the justification under " + strconv.Itoa(maxJustification) + " characters."
	}
	from, to := f.checkProjects(acc, errs)
	lab, ok := acc.labs[f.Vlab]
	if !ok && errs["vlab"] == "" {
		errs["vlab"] = "Choose a virtual lab that holds a project you manage."
	}
	if len(errs) > 0 {
		return n, errs, ""
	}
	n.VlabID = lab.VlabID
	if from != nil {
		n.ProjID, n.ProjectKey = from.ProjID, from.Key
	}
	if to != nil {
		n.ToProjID, n.ToProjectKey = to.ProjID, to.Key
	}
	warn := coverWarning(n, lab, from)
	if warn != "" && !f.Acknowledge {
		errs["acknowledge"] = "Tick the box to send the request anyway."
	}
	return n, errs, warn
}

// checkProjects checks the project(s) a kind needs: managed by the user,
// in the chosen lab (which they fill in when it was left empty), and two
// different ones for a move.
func (f *requestForm) checkProjects(acc requestAccounts, errs map[string]string) (from, to *budgets.Project) {
	if f.Kind == budgets.TopUp || errs["kind"] != "" {
		return nil, nil
	}
	pick := func(field, key, what string) *budgets.Project {
		if key == "" {
			errs[field] = "Choose the " + what + "."
			return nil
		}
		p, ok := acc.projects[key]
		if !ok {
			errs[field] = "You can only request budget for projects you manage."
			return nil
		}
		if f.Vlab == "" {
			f.Vlab = p.VlabID
		}
		if p.VlabID != f.Vlab {
			errs[field] = p.Name + " is not a project of the chosen virtual lab."
			return nil
		}
		return &p
	}
	what := "project"
	if f.Kind == budgets.Move {
		what = "project to move credits from"
	}
	from = pick("project", f.Project, what)
	if f.Kind != budgets.Move {
		return from, nil
	}
	to = pick("to_project", f.ToProject, "project to move credits to")
	if from != nil && to != nil && from.Key == to.Key {
		errs["to_project"] = "Choose two different projects."
	}
	return from, to
}

// coverWarning says when the cached balance that pays for a request is
// smaller than its amount: the lab's for an assignment, the project's for
// a reversal or a move. (A top-up comes from OBI's system account.)
func coverWarning(n budgets.NewRequest, lab budgets.Lab, from *budgets.Project) string {
	var name, bal string
	switch {
	case n.Kind == budgets.Assign && lab.HasBalance && lab.Balance.Cmp(n.Amount) < 0:
		name, bal = lab.Name+" has", credits(lab.Balance)+" credits unassigned"
	case (n.Kind == budgets.Reverse || n.Kind == budgets.Move) && from != nil && from.HasBalance && from.Balance.Cmp(n.Amount) < 0:
		name, bal = from.Name+" has", credits(from.Balance)+" credits"
	default:
		return ""
	}
	return name + " " + bal + " at the last sync, less than the " + credits(n.Amount) +
		" asked for. OBI will refuse the request unless the balance grows before it is approved."
}

func (h *Handler) handleRequestForm(c echo.Context) error {
	f := readRequestForm(c.QueryParam)
	f.Amount, f.Justification, f.Acknowledge, f.ConfirmDuplicate = "", "", false, false
	if f.Kind == "" {
		f.Kind = budgets.Assign
	}
	return h.renderRequestForm(c, http.StatusOK, f, nil, "", "")
}

func (h *Handler) handleRequestCreate(c echo.Context) error {
	f := readRequestForm(c.FormValue)
	id, errs, warn, dup, err := h.createBudgetRequest(c.Request().Context(), user(c), &f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return h.renderRequestForm(c, http.StatusUnprocessableEntity, f, errs, warn, dup)
	}
	return h.flashRedirect(c, "Request "+strconv.FormatInt(id, 10)+" sent. An admin will review it; its state shows here and in your requests.", "/requests/"+strconv.FormatInt(id, 10))
}

// createBudgetRequest checks a request (the form's, or the API's with the
// same fields) against what u may request for, and against the requests
// of the last day it likely repeats, and stores it. It returns the new
// request's id, or the problem of each field with the over-balance warning
// and the likely duplicate the form shows; nothing is stored then.
func (h *Handler) createBudgetRequest(ctx context.Context, u *portal.User, f *requestForm) (id int64, errs map[string]string, warn, dup string, err error) {
	labs, err := h.Budgets.BudgetAccounts(ctx, u.ManageScope())
	if err != nil {
		return 0, nil, "", "", err
	}
	n, errs, warn := f.validate(indexAccounts(labs))
	if !hasFieldError(errs) {
		if dup, err = h.duplicateWarning(ctx, n); err != nil {
			return 0, nil, "", "", err
		}
		if dup != "" && !f.ConfirmDuplicate {
			errs["confirm_duplicate"] = "Tick the box to send this request as well."
		}
	}
	if len(errs) > 0 {
		return 0, errs, warn, dup, nil
	}
	n.Actor, n.ActorName = u.Subject, u.DisplayName()
	id, err = h.Budgets.CreateBudgetRequest(ctx, n)
	return id, nil, warn, dup, err
}

// confirmFields are the form's confirm boxes: an error about one of them
// marks no field the person typed into.
var confirmFields = map[string]string{
	"acknowledge":       "the last synced balance would not cover it; tick the box below to send it anyway.",
	"confirm_duplicate": "the same request was sent recently; tick the box below to send this one as well.",
}

// hasFieldError reports whether an error marks a field of the form (not
// only a confirm box).
func hasFieldError(errs map[string]string) bool {
	for k := range errs {
		if _, ok := confirmFields[k]; !ok {
			return true
		}
	}
	return false
}

// formBanner is the message above a refused form: it sends the person to
// the marked fields only when a field is marked, and otherwise says what
// must be confirmed.
func formBanner(errs map[string]string) string {
	if len(errs) == 0 {
		return ""
	}
	if hasFieldError(errs) {
		return "The request was not sent: please correct the fields marked below."
	}
	var why []string
	for _, k := range []string{"acknowledge", "confirm_duplicate"} {
		if _, ok := errs[k]; ok {
			why = append(why, confirmFields[k])
		}
	}
	return "The request was not sent: " + strings.Join(why, " Also, ")
}

// duplicateWarning says which recent request n likely repeats, or "".
func (h *Handler) duplicateWarning(ctx context.Context, n budgets.NewRequest) (string, error) {
	now := h.nowUTC()
	similar, err := h.Budgets.SimilarBudgetRequests(ctx, n, now.Add(-budgets.DuplicateWindow))
	if err != nil {
		return "", err
	}
	for _, r := range similar {
		if budgets.LikelyDuplicate(n, r, now) {
			return "Request " + strconv.FormatInt(r.ID, 10) + " asks for the same: " + r.Summary() + ", sent by " +
				orName(r.RequestedByName, r.RequestedBy) + " " + templates.Ago(now, r.Created) + " and " + r.State +
				". Sending this one too would ask for the credits twice.", nil
		}
	}
	return "", nil
}

// renderRequestForm shows the form with what the user may request for.
func (h *Handler) renderRequestForm(c echo.Context, status int, f requestForm, errs map[string]string, warn, dup string) error {
	labs, err := h.Budgets.BudgetAccounts(c.Request().Context(), user(c).ManageScope())
	if err != nil {
		return err
	}
	p, err := h.page(c, "Request budget", "requests", portal.UpstreamOBI)
	if err != nil {
		return err
	}
	v := templates.RequestFormView{Page: p, Kind: f.Kind, Vlab: f.Vlab, Project: f.Project, ToProject: f.ToProject, Amount: f.Amount,
		Justification: f.Justification, Errors: errs, Warning: warn, Acknowledge: f.Acknowledge, Banner: formBanner(errs),
		Duplicate: dup, ConfirmDuplicate: f.ConfirmDuplicate}
	for _, k := range budgets.Kinds {
		v.Kinds = append(v.Kinds, templates.Option{Value: k, Label: templates.KindLabel(k)})
	}
	for _, l := range labs {
		v.Labs = append(v.Labs, templates.Option{Value: l.VlabID, Label: l.Name + " — " + creditsOr(l.Balance, l.HasBalance) + " credits unassigned"})
		g := templates.OptionGroup{Label: l.Name}
		for _, pr := range l.Projects {
			g.Options = append(g.Options, templates.Option{Value: pr.Key, Label: pr.Name + " (" + pr.Key + ") — " + creditsOr(pr.Balance, pr.HasBalance) + " credits"})
		}
		v.Projects = append(v.Projects, g)
	}
	return render(c, status, templates.RequestForm(v))
}
