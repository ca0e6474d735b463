package budgets

import (
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

func TestLikelyDuplicate(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	amt := decimal.MustParse("250.00")
	n := NewRequest{Kind: Assign, VlabID: "lab", ProjID: "p1", Amount: amt}
	base := Request{Kind: Assign, VlabID: "lab", ProjID: "p1", Amount: decimal.MustParse("250"), State: Pending, Created: now.Add(-time.Minute)}
	if !LikelyDuplicate(n, base, now) {
		t.Fatal("the same assignment a minute later is not a likely duplicate")
	}
	for name, change := range map[string]func(*Request){
		"another kind":    func(r *Request) { r.Kind = Reverse },
		"another lab":     func(r *Request) { r.VlabID = "lab2" },
		"another project": func(r *Request) { r.ProjID = "p2" },
		"another target":  func(r *Request) { r.ToProjID = "p3" },
		"another amount":  func(r *Request) { r.Amount = decimal.MustParse("250.01") },
		"denied":          func(r *Request) { r.State = Denied },
		"cancelled":       func(r *Request) { r.State = Cancelled },
		"failed":          func(r *Request) { r.State = Failed },
		"more than 1 day": func(r *Request) { r.Created = now.Add(-DuplicateWindow - time.Second) },
	} {
		r := base
		change(&r)
		if LikelyDuplicate(n, r, now) {
			t.Errorf("%s: taken for a duplicate", name)
		}
	}
	for _, st := range []string{Approved, Applied} {
		r := base
		r.State = st
		if !LikelyDuplicate(n, r, now) {
			t.Errorf("an %s request is not a likely duplicate", st)
		}
	}
}
