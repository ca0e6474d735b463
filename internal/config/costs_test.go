package config

import (
	"io"
	"strings"
	"testing"
)

func TestLoad_Costs(t *testing.T) {
	c, err := Load(nil, env(minimal()), io.Discard)
	if err != nil || c.Costs.BaseCurrency != "EUR" || c.Costs.WarnPercent.String() != "80" || c.Costs.TolerancePercent.String() != "5" {
		t.Fatalf("defaults: %v %+v", err, c.Costs)
	}
	e := minimal()
	e["PORTAL_BASE_CURRENCY"], e["PORTAL_BUDGET_WARN_PERCENT"], e["PORTAL_RECONCILE_TOLERANCE_PERCENT"] = "CHF", "90.5", "2"
	if c, err := Load(nil, env(e), io.Discard); err != nil || c.Costs.BaseCurrency != "CHF" || c.Costs.WarnPercent.String() != "90.5" {
		t.Fatalf("%v %+v", err, c)
	}
	e["PORTAL_BASE_CURRENCY"], e["PORTAL_BUDGET_WARN_PERCENT"], e["PORTAL_RECONCILE_TOLERANCE_PERCENT"] = "euro", "-1", "x"
	_, err = Load(nil, env(e), io.Discard)
	for _, want := range []string{`PORTAL_BASE_CURRENCY: "euro" is not a three-letter currency code`, `PORTAL_BUDGET_WARN_PERCENT: "-1" is not a percentage`,
		`PORTAL_RECONCILE_TOLERANCE_PERCENT: "x" is not a percentage`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: no %q", err, want)
		}
	}
}
