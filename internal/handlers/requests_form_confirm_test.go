package handlers

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

const (
	formLab  = "0b6f7d0e-3c8a-4f0e-9a51-3e4c2b1d9f10"
	formProj = "5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71"
)

var (
	formManager  = &portal.User{Subject: "m", Name: "Max Manager", Manages: []string{"neuro-sim"}, Member: []string{"neuro-sim"}}
	formManager2 = &portal.User{Subject: "m2", Name: "Mia Manager", Manages: []string{"neuro-sim"}, Member: []string{"neuro-sim"}}
)

func postRequest(t *testing.T, h *Handler, u *portal.User, form url.Values) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/requests", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := serveHandler(t, h, h.handleRequestCreate, u, req)
	return w.Code, html.UnescapeString(w.Body.String())
}

var banner = regexp.MustCompile(`data-testid="form-errors">([^<]*)<`)

// TestRequestForm_BannerSaysWhatIsWrong: the red banner points at the
// fields marked below only when a field is marked; when the only thing
// missing is the over-balance confirmation it says so, and the confirm
// box's label and its message are separate elements, the box marked.
func TestRequestForm_BannerSaysWhatIsWrong(t *testing.T) {
	h, db := pagesHandler(t)
	if _, err := db.SaveOBIBalances(context.Background(), pagesNow, []budgets.LabReading{{VlabID: formLab, Balance: decimal.MustParse("100"),
		Projects: []budgets.ProjectReading{{ProjID: formProj, Balance: decimal.MustParse("5")}}}}); err != nil {
		t.Fatal(err)
	}
	st, body := postRequest(t, h, formManager, url.Values{"kind": {"assign"}, "project": {"neuro-sim"}, "amount": {"500"}, "justification": {"more"}})
	b := banner.FindStringSubmatch(body)
	if st != http.StatusUnprocessableEntity || b == nil {
		t.Fatalf("status %d, banner %q", st, b)
	}
	if strings.Contains(b[1], "fields marked below") || !strings.Contains(b[1], "would not cover it; tick the box below") {
		t.Errorf("with only the confirmation missing the banner says %q", b[1])
	}
	if strings.Contains(body, `aria-invalid="true"`) && !strings.Contains(body, `name="acknowledge" value="1" aria-describedby="acknowledge-error" aria-invalid="true"`) {
		t.Error("a field other than the confirm box is marked")
	}
	if !strings.Contains(body, `Send the request anyway</label><span class="error" id="acknowledge-error"`) ||
		!strings.Contains(body, `class="notice warn confirm"`) {
		t.Errorf("the confirm box's label and its message are not two elements of a confirm block:\n%s", body)
	}

	st, body = postRequest(t, h, formManager, url.Values{"kind": {"assign"}, "project": {"neuro-sim"}, "amount": {"abc"}, "justification": {"more"}})
	if b := banner.FindStringSubmatch(body); st != http.StatusUnprocessableEntity || b == nil || !strings.Contains(b[1], "correct the fields marked below") ||
		!strings.Contains(body, `aria-describedby="amount-error" aria-invalid="true"`) {
		t.Errorf("a bad amount: status %d, banner %q", st, b)
	}
}

// TestRequestForm_LikelyDuplicateNeedsConfirming sends the same top-up
// twice: the second is refused with a warning naming the first (by
// anyone, within a day) until its box is ticked; a different amount, or
// a denied first request, needs no confirmation.
func TestRequestForm_LikelyDuplicateNeedsConfirming(t *testing.T) {
	ctx := context.Background()
	h, db := pagesHandler(t)
	topUp := func(amount string) url.Values {
		return url.Values{"kind": {"top-up"}, "vlab": {formLab}, "amount": {amount}, "justification": {"spring school"}}
	}
	if st, body := postRequest(t, h, formManager, topUp("250")); st != http.StatusSeeOther {
		t.Fatalf("first request: %d %s", st, body)
	}
	st, body := postRequest(t, h, formManager2, topUp("250.00"))
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "Request 1 asks for the same: Top up Cortex Lab with 250.00 credits, sent by Max Manager") ||
		!strings.Contains(body, `name="confirm_duplicate"`) || !strings.Contains(body, "the same request was sent recently") {
		t.Fatalf("the repeat: status %d, page:\n%s", st, body)
	}
	if _, n, _ := db.ListBudgetRequests(ctx, budgets.RequestFilter{}); n != 1 {
		t.Fatalf("%d requests stored after the unconfirmed repeat", n)
	}
	confirmed := topUp("250")
	confirmed.Set("confirm_duplicate", "1")
	if st, _ := postRequest(t, h, formManager2, confirmed); st != http.StatusSeeOther {
		t.Fatalf("the confirmed repeat: %d", st)
	}
	if st, _ := postRequest(t, h, formManager, topUp("251")); st != http.StatusSeeOther {
		t.Errorf("another amount: %d", st)
	}
	for _, id := range []int64{1, 2, 3} {
		if err := db.DenyBudgetRequest(ctx, id, "a", "Ada Admin", "no"); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ := postRequest(t, h, formManager, topUp("250")); st != http.StatusSeeOther {
		t.Errorf("after the first was denied: %d", st)
	}
}
