package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/budgets"
)

// selfApprovalText is what the pages say where the Approve button would be.
const selfApprovalText = "You asked for this; another admin must approve it."

// TestSecurity_FourEyes_NoOneApprovesTheirOwnRequest: an admin who asks
// for budget (admins may act for every project) cannot approve that
// request: the approval itself is refused (403, saying why), the inbox
// and the request page show why there is no Approve button, and another
// admin can approve it. The requester may still deny (withdraw) it.
func TestSecurity_FourEyes_NoOneApprovesTheirOwnRequest(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, nil)
	admin := p.Login(t, "admin")
	id := request(t, admin, assignForm("neuro-sim", "10.00"))
	ids := strconv.FormatInt(id, 10)

	inbox := admin.Get("/approvals")
	row := between(inbox.Body, `data-request="`+ids+`"`, "</tr>")
	if !strings.Contains(row, selfApprovalText) || strings.Contains(row, "/approve") {
		t.Errorf("the inbox row of one's own request offers Approve or does not say why not: %s", row)
	}
	page := admin.Get("/requests/" + ids)
	if !strings.Contains(page.Body, selfApprovalText) || strings.Contains(page.Body, ids+"/approve") || !strings.Contains(page.Body, ids+"/deny") {
		t.Errorf("the request page of one's own request: Approve offered, Deny missing, or no reason given")
	}
	// The form is not the guard: the approval itself is refused.
	r := admin.Post("/requests/"+ids+"/approve", url.Values{"back": {"approvals"}})
	if r.Status != http.StatusForbidden || !strings.Contains(r.Body, "another admin must approve it") {
		t.Fatalf("approving one's own request: %d, want 403 saying why:\n%s", r.Status, r.Body)
	}
	if got := requestIn(t, p, id, budgets.Pending); got.DecidedBy != "" {
		t.Fatalf("the refused approval decided the request: %+v", got)
	}
	// Another admin (the same groups, another person) approves it.
	p.IdP.Tamper(func(c map[string]any) { c["sub"], c["name"] = "demo-admin-2", "Bea Admin" })
	other := p.Login(t, "admin")
	p.IdP.Tamper(nil)
	if r := other.Post("/requests/"+ids+"/approve", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("another admin's approval: %d", r.Status)
	}
	requestIn(t, p, id, budgets.Applied)
}

// TestSecurity_FourEyesOff_SingleAdminApprovesOwnRequest: with
// PORTAL_FOUR_EYES=false (a site with one admin) the admin approves
// their own request.
func TestSecurity_FourEyesOff_SingleAdminApprovesOwnRequest(t *testing.T) {
	t.Parallel()
	p := obiPortal(t, map[string]string{"PORTAL_FOUR_EYES": "false"})
	admin := p.Login(t, "admin")
	id := request(t, admin, assignForm("neuro-sim", "10.00"))
	ids := strconv.FormatInt(id, 10)
	if page := admin.Get("/requests/" + ids); strings.Contains(page.Body, selfApprovalText) || !strings.Contains(page.Body, ids+"/approve") {
		t.Errorf("with four eyes off the request page still refuses Approve")
	}
	if r := admin.Post("/requests/"+ids+"/approve", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("approving one's own request with four eyes off: %d\n%s", r.Status, r.Body)
	}
	requestIn(t, p, id, budgets.Applied)
}
