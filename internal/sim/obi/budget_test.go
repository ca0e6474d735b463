package obi

import (
	"strings"
	"testing"
)

// TestBudget_Errors checks every business error of §5.4: status, code and
// message, and that a refused operation changes nothing.
func TestBudget_Errors(t *testing.T) {
	f := newFixture(t)
	setupBalances(f)
	const other = "aaaaaaaa-0000-4000-8000-000000000000"
	const otherProj = "bbbbbbbb-0000-4000-8000-000000000000"
	f.must(201, "POST", "/account/virtual-lab", `{"id":"`+other+`","name":"vlab-02"}`)
	f.must(201, "POST", "/account/project", `{"id":"`+otherProj+`","name":"vlab-02/p","vlab_id":"`+other+`"}`)
	unknown := "cccccccc-0000-4000-8000-000000000000"
	cases := []struct {
		path, body string
		status     int
		code, msg  string
	}{
		{"/budget/top-up", `{"vlab_id":"` + unknown + `","amount":"1"}`, 404, "ENTITY_NOT_FOUND", "Virtual lab not found"},
		{"/budget/assign", `{"vlab_id":"` + vlabID + `","proj_id":"` + unknown + `","amount":"1"}`, 404, "ENTITY_NOT_FOUND", "Account not found"},
		{"/budget/assign", `{"vlab_id":"` + vlabID + `","proj_id":"` + otherProj + `","amount":"1"}`, 400, "INVALID_REQUEST", "The project doesn't belong to the virtual-lab"},
		{"/budget/assign", `{"vlab_id":"` + vlabID + `","proj_id":"` + projID + `","amount":"2000.01"}`, 400, "INVALID_REQUEST", "Insufficient funds in the virtual-lab account"},
		{"/budget/reverse", `{"vlab_id":"` + vlabID + `","proj_id":"` + projID + `","amount":"400.01"}`, 400, "INVALID_REQUEST", "Insufficient funds in the project account"},
		{"/budget/reverse", `{"vlab_id":"` + other + `","proj_id":"` + projID + `","amount":"1"}`, 400, "INVALID_REQUEST", "The project doesn't belong to the virtual-lab"},
		{"/budget/move", `{"vlab_id":"` + vlabID + `","debited_from":"` + projID + `","credited_to":"` + projID + `","amount":"1"}`, 400, "INVALID_REQUEST", "The debited and credited accounts must be different"},
		{"/budget/move", `{"vlab_id":"` + vlabID + `","debited_from":"` + otherProj + `","credited_to":"` + projID + `","amount":"1"}`, 400, "INVALID_REQUEST", "The debited project doesn't belong to the virtual-lab"},
		{"/budget/move", `{"vlab_id":"` + vlabID + `","debited_from":"` + projID + `","credited_to":"` + otherProj + `","amount":"1"}`, 400, "INVALID_REQUEST", "The credited project doesn't belong to the virtual-lab"},
		{"/budget/move", `{"vlab_id":"` + vlabID + `","debited_from":"` + projID + `","credited_to":"` + proj2ID + `","amount":"400.01"}`, 400, "INVALID_REQUEST", "Insufficient funds in the debited account"},
		{"/budget/move", `{"vlab_id":"` + vlabID + `","debited_from":"` + unknown + `","credited_to":"` + proj2ID + `","amount":"1"}`, 404, "ENTITY_NOT_FOUND", "Account not found"},
		{"/budget/grant", `{"proj_id":"` + unknown + `","amount":"1"}`, 404, "ENTITY_NOT_FOUND", "Account not found"},
		{"/budget/deplete/project", `{"proj_id":"` + vlabID + `"}`, 404, "ENTITY_NOT_FOUND", "Account not found"},
		{"/budget/deplete/virtual-lab", `{"vlab_id":"` + projID + `"}`, 404, "ENTITY_NOT_FOUND", "Virtual lab not found"},
	}
	journal := len(f.sim.Journal())
	for _, tc := range cases {
		code, b := f.do("POST", tc.path, tc.body)
		want := `{"error_code":"` + tc.code + `","message":"` + tc.msg + `","details":null}`
		if code != tc.status || string(b) != want {
			t.Errorf("%s %s: %d %s, want %d %s", tc.path, tc.body, code, b, tc.status, want)
		}
	}
	if n := len(f.sim.Journal()); n != journal {
		t.Fatalf("refused operations wrote %d journal entries", n-journal)
	}
	// The whole project balance may be moved: the check is amount > balance.
	f.must(200, "POST", "/budget/reverse", `{"vlab_id":"`+vlabID+`","proj_id":"`+projID+`","amount":"400"}`)
}

// TestLedger_DoubleEntry: every operation is an entry with two rows, and
// the balances are the sums of the rows.
func TestLedger_DoubleEntry(t *testing.T) {
	f := newFixture(t)
	setupBalances(f)
	f.must(200, "POST", "/budget/move", `{"vlab_id":"`+vlabID+`","debited_from":"`+projID+`","credited_to":"`+proj2ID+`","amount":"20.00"}`)
	f.must(200, "POST", "/budget/grant", `{"proj_id":"`+projID+`","amount":"50"}`)
	f.must(200, "POST", "/budget/deplete/virtual-lab", `{"vlab_id":"`+vlabID+`"}`)
	sums := map[string]string{}
	types := map[string]bool{}
	for _, e := range f.sim.Journal() {
		types[e.Type] = true
		for _, side := range []struct {
			id   string
			sign string
		}{{e.Debit, "-"}, {e.Credit, ""}} {
			cur := dec("0")
			if s, ok := sums[side.id]; ok {
				cur = dec(s)
			}
			sums[side.id] = cur.Add(dec(side.sign + e.Amount.String())).String()
		}
	}
	for id, s := range sums {
		bal, _ := f.sim.Balance(id)
		if !bal.Equal(dec(s)) {
			t.Errorf("account %s: balance %s, rows sum to %s", id, bal, s)
		}
	}
	for _, typ := range []string{TxTopUp, TxAssign, TxMove, TxReserve, TxDeplete} {
		if !types[typ] {
			t.Errorf("no %s entry", typ)
		}
	}
	if b := f.must(200, "GET", "/balance/virtual-lab/"+vlabID+"?include_projects=true", ""); !strings.Contains(string(b), `"balance":"0.00","projects":[{"proj_id":"`+projID+`","balance":"0.00","reservation":"100.00"}`) {
		t.Fatalf("after deplete: %s", b)
	}
}
