package handlers

import (
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
)

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]string{"250": "250.00", " 250.5 ": "250.50", "0.01": "0.01", "250.500": "250.50", "007": "7.00",
		"9999999999999.99": "9999999999999.99", "00000000000000001.5": "1.50", "1." + strings.Repeat("0", 400): "1.00"} {
		if d, msg := parseAmount(in); msg != "" || d.String() != want {
			t.Errorf("%q: %s %q", in, d, msg)
		}
	}
	for in, why := range map[string]string{"": "Enter", "0": "more than 0", "0.00": "more than 0", "-1": "plain number",
		"1.001": "2 decimal places", "1e3": "plain number", "1,000": "plain number", "12abc": "plain number", "NaN": "plain number",
		"1." + strings.Repeat("0", 400) + "1": "2 decimal places", "0.000": "more than 0", "5.": "plain number",
		// Too big says so, and what the limit is.
		"10000000000000": "too big: a request can ask for at most 9999999999999.99 credits", "99999999999999": "too big",
		"99999999999999999999": "at most 9999999999999.99 credits", strings.Repeat("9", 5000): "too big"} {
		if _, msg := parseAmount(in); !strings.Contains(msg, why) {
			t.Errorf("%.40q: %q, want it to mention %q", in, msg, why)
		}
	}
}

func TestRequestForm_Validate(t *testing.T) {
	d := decimal.MustParse
	acc := indexAccounts([]budgets.Lab{
		{VlabID: "lab-a", Name: "Cortex Lab", Balance: d("100.00"), HasBalance: true, Projects: []budgets.Project{
			{Key: "neuro-sim", Name: "Neural", ProjID: "p1", VlabID: "lab-a", Balance: d("20.00"), HasBalance: true},
			{Key: "brain-atlas", Name: "Brain", ProjID: "p2", VlabID: "lab-a", Balance: d("5.00"), HasBalance: true}}},
		{VlabID: "lab-b", Name: "Earth", Projects: []budgets.Project{{Key: "climate-ml", Name: "Climate", ProjID: "p3", VlabID: "lab-b"}}},
	})
	cases := []struct {
		name     string
		f        requestForm
		errField string // "" for valid
		warn     bool
	}{
		{"assign fills the lab in", requestForm{Kind: "assign", Project: "neuro-sim", Amount: "10", Justification: "x"}, "", false},
		{"assign more than the lab has", requestForm{Kind: "assign", Project: "neuro-sim", Amount: "150", Justification: "x"}, "acknowledge", true},
		{"acknowledged", requestForm{Kind: "assign", Project: "neuro-sim", Amount: "150", Justification: "x", Acknowledge: true}, "", true},
		{"reverse more than the project has", requestForm{Kind: "reverse", Project: "brain-atlas", Amount: "6", Justification: "x"}, "acknowledge", true},
		{"move", requestForm{Kind: "move", Project: "neuro-sim", ToProject: "brain-atlas", Amount: "19.99", Justification: "x"}, "", false},
		{"move to itself", requestForm{Kind: "move", Project: "neuro-sim", ToProject: "neuro-sim", Amount: "1", Justification: "x"}, "to_project", false},
		{"move across labs", requestForm{Kind: "move", Project: "neuro-sim", ToProject: "climate-ml", Amount: "1", Justification: "x"}, "to_project", false},
		{"project of another lab", requestForm{Kind: "assign", Vlab: "lab-b", Project: "neuro-sim", Amount: "1", Justification: "x"}, "project", false},
		{"unknown project", requestForm{Kind: "assign", Project: "genomics", Amount: "1", Justification: "x"}, "project", false},
		{"top-up needs a lab", requestForm{Kind: "top-up", Amount: "1", Justification: "x"}, "vlab", false},
		{"top-up of an unknown lab", requestForm{Kind: "top-up", Vlab: "lab-z", Amount: "1", Justification: "x"}, "vlab", false},
		{"top-up (no warning: it comes from OBI)", requestForm{Kind: "top-up", Vlab: "lab-a", Amount: "100000", Justification: "x"}, "", false},
		{"no justification", requestForm{Kind: "top-up", Vlab: "lab-a", Amount: "1", Justification: "  "}, "justification", false},
		{"no kind", requestForm{Vlab: "lab-a", Amount: "1", Justification: "x"}, "kind", false},
	}
	for _, c := range cases {
		f := c.f
		n, errs, warn := f.validate(acc)
		if c.errField == "" && len(errs) > 0 || c.errField != "" && errs[c.errField] == "" {
			t.Errorf("%s: errors %v", c.name, errs)
		}
		if (warn != "") != c.warn {
			t.Errorf("%s: warning %q", c.name, warn)
		}
		if len(errs) == 0 && (n.VlabID == "" || (c.f.Kind != "top-up" && n.ProjID == "")) {
			t.Errorf("%s: incomplete request %+v", c.name, n)
		}
	}
}
