package outbox

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/obi"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/fault"
	simobi "github.com/accounting-portal/portal/internal/sim/obi"
	"github.com/accounting-portal/portal/internal/sim/world"
)

const (
	fLab  = "0b6f7d0e-3c8a-4f0e-9a51-3e4c2b1d9f10"
	fProj = "5b0c1a5e-6d5f-4d43-8a7e-2f1c0b9e8d71"
	fTo   = "6c1d2b6f-7e60-4e54-9b8f-3f2d1cae9e82"
)

// fakeOBI is a lab with two projects whose balances move when a call is
// applied; its errors are returned in order.
type fakeOBI struct {
	lab, proj, to decimal.Decimal
	readErrs      []error
	sendErr       error
	applyOnErr    bool // apply the change even when sendErr is returned (an unanswered call)
	sends         []string
}

func (f *fakeOBI) VirtualLabBalanceWithProjects(ctx context.Context, vlabID string) (obi.VirtualLabBalance, error) {
	if len(f.readErrs) > 0 {
		err := f.readErrs[0]
		f.readErrs = f.readErrs[1:]
		if err != nil {
			return obi.VirtualLabBalance{}, err
		}
	}
	return obi.VirtualLabBalance{VlabID: vlabID, Balance: f.lab, Projects: []obi.ProjectBalance{
		{ProjID: fProj, Balance: f.proj}, {ProjID: fTo, Balance: f.to}}}, nil
}

func (f *fakeOBI) apply(kind string, change func()) error {
	f.sends = append(f.sends, kind)
	if f.sendErr == nil || f.applyOnErr {
		change()
	}
	return f.sendErr
}

func (f *fakeOBI) TopUp(ctx context.Context, vlabID string, a decimal.Decimal) error {
	return f.apply("top-up", func() { f.lab = f.lab.Add(a) })
}

func (f *fakeOBI) Assign(ctx context.Context, vlabID, projID string, a decimal.Decimal) error {
	return f.apply("assign", func() { f.lab, f.proj = f.lab.Sub(a), f.proj.Add(a) })
}

func (f *fakeOBI) Reverse(ctx context.Context, vlabID, projID string, a decimal.Decimal) error {
	return f.apply("reverse", func() { f.lab, f.proj = f.lab.Add(a), f.proj.Sub(a) })
}

func (f *fakeOBI) Move(ctx context.Context, vlabID, from, to string, a decimal.Decimal) error {
	return f.apply("move", func() { f.proj, f.to = f.proj.Sub(a), f.to.Add(a) })
}

func budgetItem(t *testing.T, kind string) portal.OutboxItem {
	t.Helper()
	p := budgets.Payload{RequestID: 1, Kind: kind, VlabID: fLab, ProjID: fProj, ToProjID: fTo, Amount: decimal.MustParse("10.00")}
	b, _ := json.Marshal(p)
	return portal.OutboxItem{ID: 7, Kind: portal.KindOBIBudget, Payload: string(b)}
}

func newFake() *fakeOBI {
	return &fakeOBI{lab: decimal.MustParse("100.00"), proj: decimal.MustParse("50.00"), to: decimal.MustParse("5.00")}
}

func TestOBIBudget_ReadsBalancesAroundTheCall(t *testing.T) {
	for _, kind := range []string{budgets.TopUp, budgets.Assign, budgets.Reverse, budgets.Move} {
		f := newFake()
		applied := 0
		d := OBIBudget{Client: f, OnApplied: func() { applied++ }}
		res, err := d.Deliver(context.Background(), budgetItem(t, kind))
		if err != nil || applied != 1 || len(f.sends) != 1 || f.sends[0] != kind {
			t.Fatalf("%s: %v, applied %d, sent %v", kind, err, applied, f.sends)
		}
		var rec budgets.Delivery
		json.Unmarshal([]byte(res), &rec)
		var p budgets.Payload
		json.Unmarshal([]byte(budgetItem(t, kind).Payload), &p)
		for _, a := range p.Accounts() {
			b, okB := rec.Before.Find(a)
			af, okA := rec.After.Find(a)
			if !okB || !okA || !af.Balance.Sub(b.Balance).Equal(p.Change(a)) {
				t.Errorf("%s: %s %s moved from %v to %v, want %s", kind, a.Kind, a.ID, b.Balance, af.Balance, p.Change(a))
			}
		}
	}
}

func TestOBIBudget_Failures(t *testing.T) {
	ctx := context.Background()
	// A failed read before the call: nothing was sent, so it is retried.
	f := newFake()
	f.readErrs = []error{portal.Errorf(portal.EUNAVAILABLE, "OBI did not answer in time")}
	_, err := OBIBudget{Client: f}.Deliver(ctx, budgetItem(t, budgets.Assign))
	if portal.ErrorCode(err) != portal.EUNAVAILABLE || len(f.sends) != 0 || !strings.Contains(portal.ErrorMessage(err), "nothing was sent") {
		t.Fatalf("read failure before: %v, sent %v", err, f.sends)
	}
	// A refusal keeps OBI's words and the readings around it (whatever
	// came of an attempt, the admin can see that nothing moved).
	f = newFake()
	f.sendErr = portal.Errorf(portal.EINVALID, "OBI answered 400: Insufficient funds in the virtual-lab account")
	res, err := OBIBudget{Client: f, OnApplied: func() { t.Error("OnApplied after a refusal") }}.Deliver(ctx, budgetItem(t, budgets.Assign))
	if portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(res, `"before"`) || !strings.Contains(res, `"after"`) {
		t.Fatalf("refusal: %v %s", err, res)
	}
	// An unanswered call: read again after, keep both readings.
	f = newFake()
	f.sendErr, f.applyOnErr = portal.Errorf(portal.EUNCERTAIN, "OBI did not answer in time"), true
	res, err = OBIBudget{Client: f}.Deliver(ctx, budgetItem(t, budgets.TopUp))
	var rec budgets.Delivery
	json.Unmarshal([]byte(res), &rec)
	if portal.ErrorCode(err) != portal.EUNCERTAIN || rec.Before.Accounts[0].Balance.String() != "100.00" || rec.After.Accounts[0].Balance.String() != "110.00" {
		t.Fatalf("unanswered call: %v %s", err, res)
	}
	// ... and say so when that second reading fails too.
	f = newFake()
	f.sendErr = portal.Errorf(portal.EUNCERTAIN, "OBI did not answer in time")
	f.readErrs = []error{nil, portal.Errorf(portal.EUNAVAILABLE, "OBI could not be reached")}
	res, err = OBIBudget{Client: f}.Deliver(ctx, budgetItem(t, budgets.TopUp))
	if portal.ErrorCode(err) != portal.EUNCERTAIN || !strings.Contains(res, `"after_error":"OBI could not be reached"`) {
		t.Fatalf("unanswered call, no reading after: %v %s", err, res)
	}
	// A payload the deliverer cannot read fails without a call.
	if _, err := (OBIBudget{Client: newFake()}).Deliver(ctx, portal.OutboxItem{Payload: "{"}); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("bad payload: %v", err)
	}
}

// obiStack is the OBI simulator, the real client and a dispatcher with
// the budget deliverer, on one cache.
type obiStack struct {
	sim  *simobi.Server
	db   *cache.DB
	d    *Dispatcher
	lab  world.VirtualLab
	proj world.Project
}

func newOBIStack(t *testing.T) *obiStack {
	t.Helper()
	db, d, now := setup(t)
	w := world.New(3, 1)
	sim := simobi.New(simobi.Options{World: w, Now: func() time.Time { return *now }, ChargeEvery: -1})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := obi.New(obi.Config{BaseURL: srv.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d.register(portal.KindOBIBudget, OBIBudget{Client: c, Now: func() time.Time { return *now }})
	lab := w.VirtualLabs[1]
	return &obiStack{sim: sim, db: db, d: d, lab: lab, proj: w.ProjectsOfLab(lab.ID)[0]}
}

// approve records and approves an assignment of amount to the stack's project.
func (s *obiStack) approve(t *testing.T, amount string) int64 {
	t.Helper()
	id, err := s.db.CreateBudgetRequest(ctx, budgets.NewRequest{Kind: budgets.Assign, VlabID: s.lab.ID, ProjID: s.proj.OBIID,
		ProjectKey: s.proj.Key, Amount: decimal.MustParse(amount), Justification: "test", Actor: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ApproveBudgetRequest(ctx, id, "a", "Ada"); err != nil {
		t.Fatal(err)
	}
	return id
}

// assigned counts the simulator's assignments of amount.
func (s *obiStack) assigned(amount string) int {
	n := 0
	for _, e := range s.sim.Journal() {
		if e.Type == simobi.TxAssign && e.Amount.Equal(decimal.MustParse(amount)) {
			n++
		}
	}
	return n
}

// An assignment OBI applied and then answered 502 (a gateway lost the
// answer) must not be sent again: OBI's calls cannot be looked up, so it
// waits for an admin, with readings that show the change happened once.
func TestOBIBudget_AppliedThenFailedIsNeverSentAgain(t *testing.T) {
	for _, mode := range []string{fault.ApplyThen502, fault.ApplyThen504, fault.ApplyThen500, fault.ApplyThenReset, fault.ApplyThenGarbage} {
		t.Run(mode, func(t *testing.T) {
			s := newOBIStack(t)
			before, _ := s.sim.Balance(s.lab.ID)
			s.sim.Faults().Set(fault.Fault{Mode: mode, Method: "POST", PathPrefix: "/budget/", Count: 1})
			s.d.Backoff = func(int) time.Duration { return 0 } // a resend, if any, would happen at once
			id := s.approve(t, "100.00")
			for range 5 {
				s.d.DispatchDue(ctx)
			}
			r, _ := s.db.BudgetRequestByID(ctx, id)
			if n := s.assigned("100.00"); n != 1 {
				t.Fatalf("OBI applied the assignment %d times", n)
			}
			if r.State != budgets.NeedsReconciliation || r.Delivery.Before == nil || r.Delivery.After == nil {
				t.Fatalf("request %s, readings %+v", r.State, r.Delivery)
			}
			lab := budgets.Account{Kind: "vlab", ID: s.lab.ID}
			b, _ := r.Delivery.Before.Find(lab)
			a, _ := r.Delivery.After.Find(lab)
			if !b.Balance.Equal(before) || !a.Balance.Equal(before.Sub(decimal.MustParse("100.00"))) {
				t.Fatalf("readings %s -> %s, want %s -> %s", b.Balance, a.Balance, before, before.Sub(decimal.MustParse("100.00")))
			}
		})
	}
}

// A call refused unread (429) is sent again; the request keeps the
// reading from before that first attempt, and each attempt its own.
func TestOBIBudget_RetryKeepsFirstReading(t *testing.T) {
	s := newOBIStack(t)
	before, _ := s.sim.Balance(s.lab.ID)
	s.sim.Faults().Set(fault.Fault{Mode: fault.RateLimit, Method: "POST", PathPrefix: "/budget/", Count: 1},
		fault.Fault{Mode: fault.ApplyThen504, Method: "POST", PathPrefix: "/budget/", Count: 1})
	id := s.approve(t, "25.00")
	s.d.Backoff = func(int) time.Duration { return 0 }
	for range 5 {
		s.d.DispatchDue(ctx)
	}
	r, _ := s.db.BudgetRequestByID(ctx, id)
	it, _ := s.db.OutboxItemByID(ctx, r.OutboxID)
	attempts, _ := s.db.OutboxAttempts(ctx, r.OutboxID)
	if s.assigned("25.00") != 1 || r.State != budgets.NeedsReconciliation || it.Attempts != 2 || len(attempts) != 2 {
		t.Fatalf("applied %d, request %s, %d attempts", s.assigned("25.00"), r.State, it.Attempts)
	}
	lab := budgets.Account{Kind: "vlab", ID: s.lab.ID}
	b, _ := r.Delivery.Before.Find(lab)
	a, _ := r.Delivery.After.Find(lab)
	if !b.Balance.Equal(before) || !a.Balance.Equal(before.Sub(decimal.MustParse("25.00"))) {
		t.Fatalf("readings %s -> %s", b.Balance, a.Balance)
	}
	for i, at := range attempts {
		var rec budgets.Delivery
		if err := json.Unmarshal([]byte(at.Result), &rec); err != nil || rec.Before == nil || rec.After == nil {
			t.Fatalf("attempt %d keeps no readings: %q", i+1, at.Result)
		}
	}
}
