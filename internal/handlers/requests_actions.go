package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// afterDecision is where an admin goes after deciding: back to the inbox
// when the form came from there, else to the request.
func afterDecision(c echo.Context, id int64) string {
	if c.FormValue("back") == "approvals" {
		return "/approvals"
	}
	return "/requests/" + strconv.FormatInt(id, 10)
}

func (h *Handler) handleRequestCancel(c echo.Context) error {
	r, err := h.visibleRequest(c)
	if err != nil {
		return err
	}
	u := user(c)
	if err := h.Budgets.CancelBudgetRequest(c.Request().Context(), r.ID, u.Subject, u.DisplayName()); err != nil {
		return err
	}
	return h.flashRedirect(c, "Request "+strconv.FormatInt(r.ID, 10)+" cancelled.", "/requests/"+strconv.FormatInt(r.ID, 10))
}

// approvalBlocked returns why u may not approve r, or "" when they may
// (budgets.ApprovalBlocked: four eyes unless PORTAL_FOUR_EYES is off).
func (h *Handler) approvalBlocked(u *portal.User, r *budgets.Request) string {
	return budgets.ApprovalBlocked(r, u.Subject, h.AllowSelfApproval)
}

// handleRequestApprove approves a pending request: the OBI call is queued
// in the same transaction, and a second approval is refused (409) with
// who approved it first and when. An admin's approval of their own
// request is refused here (403), whatever the page offered.
func (h *Handler) handleRequestApprove(c echo.Context) error {
	r, err := h.visibleRequest(c)
	if err != nil {
		return err
	}
	a := readApproval(c.FormValue)
	done, errs, err := h.approveRequest(c.Request().Context(), user(c), r, a)
	switch {
	case portal.ErrorCode(err) == portal.ECONFLICT:
		// Another admin was first: back to the inbox, told who and when.
		return h.flashRedirect(c, portal.ErrorMessage(err), "/approvals")
	case err != nil:
		return err
	case len(errs) > 0:
		return h.rerenderRequest(c, r, func(v *templates.RequestView) {
			v.ApproveError, v.ApproveAmount, v.ApproveNoteInput = errs["approved_amount"], a.Amount, a.Note
		})
	}
	return h.flashRedirect(c, "Request "+strconv.FormatInt(r.ID, 10)+" approved: "+approvedText(done)+". It is being sent to OBI.", afterDecision(c, r.ID))
}

// approvedText describes what an approval moves, with the amount asked
// when less was approved.
func approvedText(r *budgets.Request) string {
	if r.Reduced() {
		return r.OutboxSummary() + " (of the " + credits(r.Amount) + " asked)"
	}
	return r.Summary()
}

// maxBulkApprove bounds the requests one bulk approval decides.
const maxBulkApprove = 100

// handleApproveSelected approves the requests ticked in the inbox, each
// on its own: the same checks as one approval (four eyes, still pending),
// each in its own transaction, so one refused request does not hold back
// the others. The inbox then lists what became of each.
func (h *Handler) handleApproveSelected(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	ids := form["ids"]
	if len(ids) == 0 {
		return h.flashRedirect(c, "No request was approved: tick the requests to approve first.", "/approvals")
	}
	if len(ids) > maxBulkApprove {
		return portal.Errorf(portal.EINVALID, "Approve at most %d requests at once.", maxBulkApprove)
	}
	note := c.FormValue("note")
	var results []string
	approved := 0
	for _, s := range ids {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			results = append(results, fmt.Sprintf("%q is not a request number.", s))
			continue
		}
		r, err := h.Budgets.BudgetRequestByID(ctx, id)
		if portal.ErrorCode(err) == portal.ENOTFOUND {
			results = append(results, fmt.Sprintf("Request %d: there is no such request.", id))
			continue
		} else if err != nil {
			return err
		}
		if why := h.approvalBlocked(u, r); why != "" {
			results = append(results, fmt.Sprintf("Request %d: not approved: %s", id, why))
			continue
		}
		done, errs, err := h.approveRequest(ctx, u, r, approval{Note: note})
		switch code := portal.ErrorCode(err); {
		case err == nil && len(errs) == 0:
			approved++
			results = append(results, fmt.Sprintf("Request %d approved: %s.", id, approvedText(done)))
		case err == nil:
			results = append(results, fmt.Sprintf("Request %d: not approved: %s", id, errs["approved_amount"]))
		case code == portal.ECONFLICT:
			results = append(results, "Not approved: "+portal.ErrorMessage(err))
		default:
			return err
		}
	}
	head := fmt.Sprintf("%d of %d requests approved and being sent to OBI.", approved, len(ids))
	return h.flashRedirect(c, head+" "+strings.Join(results, " "), "/approvals")
}

func (h *Handler) handleRequestDeny(c echo.Context) error {
	r, err := h.visibleRequest(c)
	if err != nil {
		return err
	}
	errs, err := h.denyRequest(c.Request().Context(), user(c), r, readDenial(c.FormValue))
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return h.rerenderRequest(c, r, func(v *templates.RequestView) {
			v.DenyReasonInput, v.DenyError = c.FormValue("reason"), errs["reason"]
		})
	}
	return h.flashRedirect(c, "Request "+strconv.FormatInt(r.ID, 10)+" denied.", afterDecision(c, r.ID))
}

// approval is an admin's decision to approve, as the form (or the API,
// with the same fields: approvalFields) sends it: optionally a smaller
// amount than asked, and a note the requester reads.
type approval struct{ Amount, Note string }

// approvalFields are the approval form's fields; the API's approve body
// takes the same, so a field added here (and read in readApproval) is
// the API's too, and its OpenAPI schema lists it.
var approvalFields = []string{"approved_amount", "note"}

func readApproval(get func(string) string) approval {
	return approval{Amount: strings.TrimSpace(get("approved_amount")), Note: get("note")}
}

// approveRequest approves r for u: refused (403) when four eyes forbid it,
// refused (409) when it was decided already, and sent back with the
// problem of the amount field when the amount typed is not a number or
// more than asked. The OBI call is queued in the same transaction and the
// dispatcher woken. The form, the inbox's bulk approval and the API all
// approve through here.
func (h *Handler) approveRequest(ctx context.Context, u *portal.User, r *budgets.Request, a approval) (*budgets.Request, map[string]string, error) {
	if why := h.approvalBlocked(u, r); why != "" {
		return nil, nil, portal.Errorf(portal.EFORBIDDEN, "Request %d: %s", r.ID, why)
	}
	ba := budgets.Approval{Actor: u.Subject, ActorName: u.DisplayName(), Note: a.Note}
	if a.Amount != "" {
		amt, msg := parseAmount(a.Amount)
		if msg != "" {
			return nil, map[string]string{"approved_amount": msg}, nil
		}
		ba.Amount = amt
	}
	done, err := h.Budgets.ApproveBudgetRequestWith(ctx, r.ID, ba)
	if portal.ErrorCode(err) == portal.EINVALID {
		return nil, map[string]string{"approved_amount": portal.ErrorMessage(err)}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	h.Outbox.Notify()
	return done, nil, nil
}

// denial is an admin's decision to deny, with the reason the requester reads.
type denial struct{ Reason string }

// denialFields are the deny form's fields, which the API's deny body takes.
var denialFields = []string{"reason"}

func readDenial(get func(string) string) denial {
	return denial{Reason: strings.TrimSpace(get("reason"))}
}

// denyRequest denies r for u, or returns the problem of each field. The
// form and the API both deny through here.
func (h *Handler) denyRequest(ctx context.Context, u *portal.User, r *budgets.Request, d denial) (map[string]string, error) {
	if d.Reason == "" {
		return map[string]string{"reason": "Say why the request is denied; the requester sees it."}, nil
	}
	return nil, h.Budgets.DenyBudgetRequest(ctx, r.ID, u.Subject, u.DisplayName(), d.Reason)
}

// handleRequestReconcile records what an admin found in OBI about a call
// whose outcome was unknown, settling the request and its outbox item.
func (h *Handler) handleRequestReconcile(c echo.Context) error {
	r, err := h.visibleRequest(c)
	if err != nil {
		return err
	}
	outcome, reason := c.FormValue("outcome"), strings.TrimSpace(c.FormValue("reason"))
	if (outcome != budgets.Applied && outcome != budgets.Failed) || reason == "" {
		return h.rerenderRequest(c, r, func(v *templates.RequestView) {
			v.ReconcileChoice, v.ReconcileReason = outcome, c.FormValue("reason")
			switch {
			case outcome != budgets.Applied && outcome != budgets.Failed:
				v.ReconcileError = "Choose whether OBI applied the change or not."
			default:
				v.ReconcileError = "Say how you checked OBI, so others can follow the decision."
			}
		})
	}
	u := user(c)
	applied := outcome == budgets.Applied
	if err := h.Budgets.ReconcileBudgetRequest(c.Request().Context(), r.ID, applied, u.Subject, u.DisplayName(), reason); err != nil {
		return err
	}
	if applied {
		// Show the new balance without waiting for the schedule.
		_ = h.Sync.Trigger(portal.UpstreamOBI)
	}
	return h.flashRedirect(c, "Request "+strconv.FormatInt(r.ID, 10)+" marked "+outcome+".", "/requests/"+strconv.FormatInt(r.ID, 10))
}

// rerenderRequest shows the request page again with a refused form's
// input and message (422).
func (h *Handler) rerenderRequest(c echo.Context, r *budgets.Request, set func(*templates.RequestView)) error {
	v, err := h.requestView(c, r)
	if err != nil {
		return err
	}
	set(&v)
	return render(c, http.StatusUnprocessableEntity, templates.Request(v))
}

// handleApprovals is the admins' inbox: pending requests first, oldest
// first, with the cached balances of the accounts involved.
func (h *Handler) handleApprovals(c echo.Context) error {
	f, lp, err := requestList(c, "")
	if err != nil {
		return err
	}
	if wantsCSV(c) {
		return h.requestsCSV(c, f, "approvals")
	}
	v, err := h.requestsView(c, f, lp, "Approvals", "approvals")
	if err != nil {
		return err
	}
	v.Inbox = true
	v.Intro = "Budget requests waiting for a decision come first, oldest first. Approving sends the change to OBI at once; denying needs a reason, which the requester sees."
	return render(c, http.StatusOK, templates.Requests(v))
}
