package handlers

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// flashStore records the flash message a handler leaves.
type flashStore struct {
	Store
	msg string
}

func (f *flashStore) SetFlash(_ context.Context, _ string, msg string) error { f.msg = msg; return nil }

var (
	admin1 = &portal.User{Subject: "a1", Name: "Ada Admin", Admin: true}
	admin2 = &portal.User{Subject: "a2", Name: "Bo Admin", Admin: true}
)

func newTopUp(t *testing.T, db interface {
	CreateBudgetRequest(context.Context, budgets.NewRequest) (int64, error)
}, amount string) int64 {
	t.Helper()
	id, err := db.CreateBudgetRequest(context.Background(), budgets.NewRequest{Kind: budgets.TopUp, VlabID: formLab,
		Amount: decimal.MustParse(amount), Justification: "school", Actor: "m", ActorName: "Max Manager"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func approve(t *testing.T, h *Handler, u *portal.User, id int64, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/requests/"+strconv.FormatInt(id, 10)+"/approve", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return serveHandler(t, h, h.handleRequestApprove, u, req, "id", strconv.FormatInt(id, 10))
}

// TestApprove_SecondAdminBackToTheInbox: an admin approving a request
// another admin approved first is sent back to the inbox (303) with a
// message naming who was first, not shown an error page.
func TestApprove_SecondAdminBackToTheInbox(t *testing.T) {
	h, db := pagesHandler(t)
	fs := &flashStore{Store: db}
	h.Store = fs
	id := newTopUp(t, db, "40")
	if w := approve(t, h, admin1, id, url.Values{"back": {"approvals"}}); w.Code != http.StatusSeeOther {
		t.Fatalf("first approval: %d", w.Code)
	}
	w := approve(t, h, admin2, id, url.Values{"back": {"approvals"}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/approvals" ||
		!strings.Contains(fs.msg, "Request 1 was already approved by Ada Admin") {
		t.Fatalf("second approval: %d to %q, flash %q", w.Code, w.Header().Get("Location"), fs.msg)
	}
}

// TestApprove_SmallerAmountWithNote: an admin approves less than asked
// with a note; the request keeps both amounts, the OBI call moves the
// smaller one, the requester's page shows both and the note. More than
// asked is refused with the page kept.
func TestApprove_SmallerAmountWithNote(t *testing.T) {
	ctx := context.Background()
	h, db := pagesHandler(t)
	id := newTopUp(t, db, "250")
	w := approve(t, h, admin1, id, url.Values{"approved_amount": {"250.01"}, "note": {"too much"}})
	body := html.UnescapeString(w.Body.String())
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "is more than the 250.00 credits asked for") ||
		!strings.Contains(body, `value="250.01"`) || !strings.Contains(body, ">too much</textarea>") {
		t.Fatalf("a larger amount: %d\n%s", w.Code, body)
	}
	if w := approve(t, h, admin1, id, url.Values{"approved_amount": {"200"}, "note": {"The school has 32 students, not 40."}}); w.Code != http.StatusSeeOther {
		t.Fatalf("a smaller amount: %d %s", w.Code, w.Body.String())
	}
	r, err := db.BudgetRequestByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Amount.Equal(decimal.MustParse("250")) || !r.Granted().Equal(decimal.MustParse("200")) || !r.Payload().Amount.Equal(decimal.MustParse("200")) {
		t.Errorf("asked %s, granted %s, OBI call %s", r.Amount, r.Granted(), r.Payload().Amount)
	}
	it, err := db.OutboxItemByID(ctx, r.OutboxID)
	if err != nil || !strings.Contains(it.Payload, `"amount":"200`) {
		t.Errorf("outbox payload %q (%v)", it.Payload, err)
	}
	req := httptest.NewRequest(http.MethodGet, "/requests/1", nil)
	page := html.UnescapeString(serveHandler(t, h, h.handleRequest, formManager, req, "id", "1").Body.String())
	for _, want := range []string{"200.00 credits of the 250.00 asked", "The school has 32 students, not 40."} {
		if !strings.Contains(page, want) {
			t.Errorf("the requester's page lacks %q", want)
		}
	}
}

// TestApprove_SelectedEachOnItsOwn approves three ticked requests at
// once: one the admin made (four eyes), one already approved, one
// pending. Only the last is approved, and the inbox says why for each.
func TestApprove_SelectedEachOnItsOwn(t *testing.T) {
	ctx := context.Background()
	h, db := pagesHandler(t)
	fs := &flashStore{Store: db}
	h.Store = fs
	own, err := db.CreateBudgetRequest(ctx, budgets.NewRequest{Kind: budgets.TopUp, VlabID: formLab, Amount: decimal.MustParse("1"),
		Justification: "mine", Actor: admin1.Subject, ActorName: admin1.Name})
	if err != nil {
		t.Fatal(err)
	}
	done, pending := newTopUp(t, db, "2"), newTopUp(t, db, "3")
	if _, err := db.ApproveBudgetRequest(ctx, done, admin2.Subject, admin2.Name); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"ids": {strconv.FormatInt(own, 10), strconv.FormatInt(done, 10), strconv.FormatInt(pending, 10)}, "note": {"spring round"}}
	req := httptest.NewRequest(http.MethodPost, "/approvals/approve", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := serveHandler(t, h, h.handleApproveSelected, admin1, req)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/approvals" {
		t.Fatalf("%d to %q", w.Code, w.Header().Get("Location"))
	}
	for _, want := range []string{"1 of 3 requests approved", "Request 1: not approved: You asked for this",
		"Request 2 was already approved by Bo Admin", "Request 3 approved: Top up Cortex Lab with 3.00 credits."} {
		if !strings.Contains(fs.msg, want) {
			t.Errorf("the inbox's message %q lacks %q", fs.msg, want)
		}
	}
	for id, want := range map[int64]string{own: budgets.Pending, pending: budgets.Approved} {
		r, _ := db.BudgetRequestByID(ctx, id)
		if r.State != want {
			t.Errorf("request %d is %s, want %s", id, r.State, want)
		}
	}
	if r, _ := db.BudgetRequestByID(ctx, pending); r.ApproveNote != "spring round" {
		t.Errorf("note %q", r.ApproveNote)
	}
}
