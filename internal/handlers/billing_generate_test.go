package handlers

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/portal"
)

// billingFake is a VergeOS billing store without records that takes
// generate requests; other methods panic.
type billingFake struct {
	BillingStore
	notes []string
}

func (f *billingFake) BillingSummary(context.Context, time.Time, time.Time) (billing.Summary, error) {
	return billing.Summary{}, nil
}

func (f *billingFake) BillingSeries(context.Context, time.Time, time.Time, billing.Bucket) ([]billing.Point, error) {
	return nil, nil
}

func (f *billingFake) BillingReconciliation(context.Context, time.Time, time.Time) (billing.Reconciliation, error) {
	return billing.Reconciliation{}, nil
}

func (f *billingFake) BillingRecords(context.Context, billing.RecordFilter) ([]billing.Record, int64, error) {
	return nil, 0, nil
}

func (f *billingFake) BillingExtent(context.Context) (portal.Extent, error) {
	return portal.Extent{}, nil
}

func (f *billingFake) BillingRecordByKey(_ context.Context, key string) (billing.Record, error) {
	return billing.Record{}, portal.Errorf(portal.ENOTFOUND, "There is no billing record %s.", key)
}

func (f *billingFake) GenerateRequests(context.Context, billing.GenerateRequestFilter) ([]billing.GenerateRequest, int64, error) {
	return nil, 0, nil
}

func (f *billingFake) RequestBillingGenerate(_ context.Context, _, _, note string) (int64, error) {
	f.notes = append(f.notes, note)
	return int64(len(f.notes)), nil
}

func billingServer(t *testing.T) (*areaServer, *billingFake, *notifyCount) {
	f, n := &billingFake{}, &notifyCount{}
	s := newAreaServer(t, Deps{Billing: f, Outbox: n, Sources: []Source{{Upstream: portal.UpstreamVergeOS, Configured: true}}},
		func(h *Handler, e *echo.Echo) { h.registerBilling(e) })
	return s, f, n
}

// The generate form: admins only; a note too long comes back with the
// input and the page's range kept, and nothing is recorded; a good one is
// recorded, wakes the outbox and goes to the request's page.
func TestBillingGenerate_FormAndRoles(t *testing.T) {
	s, f, n := billingServer(t)
	for _, u := range []*portal.User{areaViewer, areaManager} {
		if w := s.post(u, "/billing/generate", url.Values{"note": {"let me"}}); w.Code != http.StatusForbidden {
			t.Errorf("POST /billing/generate as %s: %d", u.Name, w.Code)
		}
		for _, path := range []string{"/billing/requests", "/billing/requests.csv", "/billing/requests/1"} {
			if w := s.get(u, path); w.Code != http.StatusForbidden {
				t.Errorf("GET %s as %s: %d", path, u.Name, w.Code)
			}
		}
	}
	long := strings.Repeat("n", billing.MaxGenerateNote+1)
	w := s.post(areaAdmin, "/billing/generate", url.Values{"note": {long}, "range": {"90d"}})
	body := w.Body.String()
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `data-testid="note-error"`) ||
		!strings.Contains(body, ">"+long+"</textarea>") || !strings.Contains(body, `aria-current="true">Last 90 days`) {
		t.Fatalf("a too long note: %d", w.Code)
	}
	if len(f.notes) != 0 || n.n != 0 {
		t.Fatalf("an invalid request was recorded (%q) or sent (%d)", f.notes, n.n)
	}
	w = s.post(areaAdmin, "/billing/generate", url.Values{"note": {"  month-end run  "}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/billing/requests/1" {
		t.Fatalf("a good request: %d %s", w.Code, w.Header().Get("Location"))
	}
	if len(f.notes) != 1 || f.notes[0] != "month-end run" || n.n != 1 {
		t.Fatalf("recorded %q, outbox woken %d times", f.notes, n.n)
	}
}

// Bad queries of the billing page are refused with 400 and say what was
// wrong, a date that is none keeps the page with the date marked (422);
// an unknown record is not found.
func TestBillingPage_BadQueriesAndUnknownRecord(t *testing.T) {
	s, _, _ := billingServer(t)
	for _, q := range []string{"range=forever", "sort=drop", "unsent=maybe", "page=0"} {
		w := s.get(areaViewer, "/billing?"+q)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `data-testid="error-message"`) {
			t.Errorf("/billing?%s: %d", q, w.Code)
		}
	}
	// Dates that cannot be used keep the page, with the date marked.
	if w := s.get(areaViewer, "/billing?from=2026-13-01&to=2026-01-01"); w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), `id="range-from-error"`) {
		t.Errorf("/billing with a date that is none: %d", w.Code)
	}
	if w := s.get(areaViewer, "/billing?range=7d"); w.Code != http.StatusOK {
		t.Errorf("a good query: %d", w.Code)
	}
	w := s.get(areaViewer, "/billing/records/no-such-record")
	if w.Code != http.StatusNotFound || !strings.Contains(html.UnescapeString(w.Body.String()), "There is no billing record no-such-record") {
		t.Errorf("unknown record: %d", w.Code)
	}
}
