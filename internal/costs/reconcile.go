package costs

import (
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Check compares two sources that measure the same thing for a project in
// a month: the SUs the project sent to AMIE and the cpu_hours ARGO reports
// for its installations (both core-hours where the site charges one SU per
// core-hour).
type Check struct {
	Project, ProjectName string
	Month                time.Time
	AMIE, Argo           decimal.Decimal
	HasAMIE, HasArgo     bool            // whether the source reported anything
	Diff                 decimal.Decimal // AMIE − ARGO
	// DiffPct is |Diff| as a percentage of ARGO's figure (one decimal);
	// not valid when ARGO reports nothing.
	DiffPct decimal.Null
	Flagged bool
}

// Compare fills c's difference and flags it when it exceeds tolerancePct
// of ARGO's figure, or when only one side reports anything.
func Compare(c Check, tolerancePct decimal.Decimal) Check {
	c.Diff = c.AMIE.Sub(c.Argo)
	if c.Argo.IsZero() {
		c.Flagged = !c.AMIE.IsZero()
		return c
	}
	pct, _ := c.Diff.Abs().Mul(decimal.NewFromInt(100)).DivRound(c.Argo.Abs(), 1)
	c.DiffPct = decimal.NullOf(pct)
	c.Flagged = pct.Cmp(tolerancePct) > 0
	return c
}
