package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// failedFake hands out a page of failed records, their groups and the
// filters' choices as the cache does: a copy of its own each time.
type failedFake struct {
	UsageStore
	rows    []usage.FailedRecord
	groups  []usage.FailedGroup
	opts    usage.FailedOptions
	clears  []usage.Clear
	filters []usage.FailedFilter
}

func (f *failedFake) ListFailed(_ context.Context, ff usage.FailedFilter) ([]usage.FailedRecord, int64, error) {
	f.filters = append(f.filters, ff)
	return slices.Clone(f.rows), int64(len(f.rows)) * 3, nil
}

func (f *failedFake) FailedGroups(context.Context, usage.FailedFilter) ([]usage.FailedGroup, error) {
	return slices.Clone(f.groups), nil
}

func (f *failedFake) FailedOptions(context.Context, portal.Scope) (usage.FailedOptions, error) {
	o := f.opts
	o.Resources, o.Errors, o.Types, o.Projects = slices.Clone(o.Resources), slices.Clone(o.Errors), slices.Clone(o.Types), slices.Clone(o.Projects)
	return o, nil
}

func (f *failedFake) ListUsageClears(context.Context, usage.ClearFilter) ([]usage.Clear, int64, error) {
	return slices.Clone(f.clears), int64(len(f.clears)), nil
}

// newFailedFake is a page of 50 records under three errors, with a
// charge to change.
func newFailedFake(charge string) *failedFake {
	f := &failedFake{opts: usage.FailedOptions{Resources: []string{"hpc-a", "hpc-b"}, Types: []string{"Compute", "Storage"},
		Projects: []usage.ProjectOption{{ID: "p-1", Key: "neuro-sim", Name: "Neuro sim"}, {ID: "p-2"}, {ID: "p-3", Name: "Unlisted <x>"}}}}
	at := time.Date(2026, 11, 1, 3, 4, 5, 0, time.UTC)
	for g := range 3 {
		e := fmt.Sprintf("error %d: <bad> & \"worse\"", g)
		f.opts.Errors = append(f.opts.Errors, e)
		f.groups = append(f.groups, usage.FailedGroup{Error: e, Records: int64(40 + g), Charge: fmt.Sprintf("%d.5", 100+g)})
		for i := range 17 {
			if len(f.rows) == 50 {
				break
			}
			r := usage.FailedRecord{FailedID: int64(1000 + len(f.rows)), UsageType: "Compute", Error: e, Resource: "hpc-a",
				LocalProjectID: fmt.Sprintf("p-%d", i%3+1), LocalRecordID: fmt.Sprintf("r-%d", len(f.rows)), Username: "u<1>",
				Start: at.Add(time.Duration(len(f.rows)) * time.Hour), End: at.Add(time.Duration(len(f.rows))*time.Hour + 90*time.Minute),
				Charge: charge}
			if i%3 == 0 {
				r.ProjectKey, r.ProjectName = "neuro-sim", "Neuro sim"
			}
			if i%5 == 0 {
				r.Problems = "StartTime: not a time"
			}
			f.rows = append(f.rows, r)
		}
	}
	f.clears = []usage.Clear{{ID: 7, FailedIDs: []int64{1, 2}, State: "pending", CreatedBy: "a", Created: at, Updated: at}}
	return f
}

// failedPage renders target with h as u.
func failedPage(h *Handler, u *portal.User, target string) (string, error) {
	req := httptest.NewRequest("GET", target, nil)
	req = req.WithContext(portal.NewContextWithUser(req.Context(), u))
	w := httptest.NewRecorder()
	if err := h.handleUsageFailed(echo.New().NewContext(req, w)); err != nil {
		return "", err
	}
	return w.Body.String(), nil
}

// TestUsageFailed_KeptPartsFollowTheirData: the failed page's selects and
// table are kept rendered by their choices and rows; the page equals one
// a handler without anything kept renders, for an admin (checkboxes) and
// a manager, and a changed record, total or choice shows at once.
func TestUsageFailed_KeptPartsFollowTheirData(t *testing.T) {
	f := newFailedFake("1.25")
	handler := func() *Handler {
		return &Handler{Deps: Deps{Store: &coreFake{}, Usage: f, Now: func() time.Time { return areaNow }}}
	}
	kept := handler()
	page := func(h *Handler, u *portal.User, target string) string {
		t.Helper()
		s, err := failedPage(h, u, target)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	same := func(what string) {
		t.Helper()
		for _, u := range []*portal.User{areaAdmin, areaManager} {
			for _, target := range []string{"/usage/failed", "/usage/failed?project=p-1&type=Compute&sort=-charge&page=2"} {
				got, want := page(kept, u, target), page(handler(), u, target)
				if got != want {
					t.Errorf("%s: %s as %s: the kept page differs from one rendered afresh", what, target, u.Name)
				}
				if again := page(kept, u, target); again != got {
					t.Errorf("%s: %s as %s: the page kept changed between two requests", what, target, u.Name)
				}
			}
		}
	}
	same("first")
	if p := page(kept, areaAdmin, "/usage/failed"); !strings.Contains(p, `name="id" value="1000"`) || strings.Contains(page(kept, areaManager, "/usage/failed"), `name="id"`) {
		t.Fatal("the admin's table has no checkboxes, or the manager's has")
	}
	// An AMIE sync: every charge changes, one record is fixed.
	f.rows[3].Charge, f.rows[40].Charge = "9.75", "9.75"
	f.rows = slices.Delete(f.rows, 10, 11)
	same("a sync changed records")
	if !strings.Contains(page(kept, areaAdmin, "/usage/failed"), "9.75") {
		t.Error("a changed charge is not shown")
	}
	f.groups[1].Records, f.groups[1].Charge = 77, "7.77"
	same("a sync changed a group's totals")
	f.opts.Projects[1].Name = "Named now"
	same("the catalogue named a project")
	f.opts.Errors = append(f.opts.Errors, "a new error")
	same("a sync brought a new error")
	for _, want := range []string{"a new error", "p-2 (Named now)"} {
		if !strings.Contains(page(kept, areaManager, "/usage/failed"), want) {
			t.Errorf("the filters do not offer %q", want)
		}
	}
	// A refused clear shows the page again with the admin's selection.
	req := httptest.NewRequest("POST", "/usage/failed/clear", nil)
	req = req.WithContext(portal.NewContextWithUser(req.Context(), areaAdmin))
	w := httptest.NewRecorder()
	c := echo.New().NewContext(req, w)
	ff, lp, err := usageFailedQuery(c, url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	if err := kept.renderFailed(c, http.StatusUnprocessableEntity, ff, lp, map[int64]bool{1001: true}, "refused"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.Body.String(), `value="1001" id="sel-1001" checked`) {
		t.Error("a refused clear's page does not keep the selection")
	}
	if strings.Contains(page(kept, areaAdmin, "/usage/failed"), "checked") {
		t.Error("a selection stayed on the kept page")
	}
}
