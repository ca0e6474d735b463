package budgets

import (
	"slices"
	"time"
)

// A request that repeats a recent one (the same kind, the same accounts
// and the same amount, by anyone, within DuplicateWindow, and not
// denied, cancelled or failed) is most likely sent twice by mistake: the
// form warns about it and asks to confirm.

// DuplicateWindow is how far back a likely duplicate is looked for.
const DuplicateWindow = 24 * time.Hour

// DuplicateStates are the states of an earlier request that a new one
// may duplicate: still waiting, or carried out (or being carried out).
var DuplicateStates = []string{Pending, Approved, Applied}

// LikelyDuplicate reports whether n repeats r: same kind, lab, project(s)
// and amount, r in DuplicateStates and created within DuplicateWindow
// before now.
func LikelyDuplicate(n NewRequest, r Request, now time.Time) bool {
	return n.Kind == r.Kind && n.VlabID == r.VlabID && n.ProjID == r.ProjID && n.ToProjID == r.ToProjID &&
		n.Amount.Equal(r.Amount) && slices.Contains(DuplicateStates, r.State) &&
		!r.Created.Before(now.Add(-DuplicateWindow))
}
