package outbox

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/fault"
	simvergeos "github.com/accounting-portal/portal/internal/sim/vergeos"
	"github.com/accounting-portal/portal/internal/sim/world"
)

type fakeGenerator struct {
	errs  []error
	calls int
	// recs are the billing records; a generate adds one at created
	// (even when it returns an error, with apply set).
	recs    []vergeos.BillingRecord
	created int64
	apply   bool
	lists   int
}

func (f *fakeGenerator) Generate(ctx context.Context) (vergeos.GenerateResult, error) {
	f.calls++
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			if f.apply {
				f.add()
			}
			return vergeos.GenerateResult{}, err
		}
	}
	f.add()
	return vergeos.GenerateResult{Status: 201, Key: "7", Location: "/v4/billing_actions/7", DBPath: "billing_actions/7", Row: 7}, nil
}

func (f *fakeGenerator) add() {
	if f.created == 0 {
		return
	}
	f.recs = append(f.recs, vergeos.BillingRecord{Key: vergeos.KeyOf(int64(len(f.recs) + 1)), Created: f.created, From: f.created - 1800, To: f.created})
}

func (f *fakeGenerator) ListCreated(ctx context.Context, w vergeos.Window) ([]vergeos.BillingRecord, error) {
	f.lists++
	var out []vergeos.BillingRecord
	for _, r := range f.recs {
		if r.Created >= w.Since.Unix() {
			out = append(out, r)
		}
	}
	return out, nil
}

func TestVergeOSGenerate_DeliversOnceAndStartsASync(t *testing.T) {
	db, d, now := setup(t)
	gen := &fakeGenerator{errs: []error{errDown}}
	synced := 0
	d.register(portal.KindVergeOSGenerate, &VergeOSGenerate{Client: gen, OnDelivered: func() { synced++ }})
	id, err := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", "")
	if err != nil {
		t.Fatal(err)
	}
	// VergeOS down: no effect, queued again with backoff, no sync.
	d.DispatchDue(ctx)
	g, _ := db.GenerateRequestByID(ctx, id)
	if g.State != portal.OutboxQueued || synced != 0 || !strings.Contains(g.Error, "could not be reached") {
		t.Fatalf("after an outage: %+v, %d syncs", g, synced)
	}
	*now = now.Add(DefaultBackoff(1))
	d.DispatchDue(ctx)
	g, _ = db.GenerateRequestByID(ctx, id)
	if g.State != portal.OutboxDelivered || g.ActionKey != "7" || synced != 1 || gen.calls != 2 {
		t.Fatalf("delivered: %+v, %d syncs, %d calls", g, synced, gen.calls)
	}
	it, _ := db.OutboxItemByID(ctx, g.OutboxID)
	if it.Result != `{"status":201,"key":"7","location":"/v4/billing_actions/7","dbpath":"billing_actions/7","row":7,"listed":true}` {
		t.Fatalf("result %s", it.Result)
	}
}

// A generate whose outcome is unknown is looked up: the record it wrote
// (created since the first send, not there before, not hourly) makes it
// delivered without a second POST; none makes it sent again.
func TestVergeOSGenerate_UnknownOutcomeIsLookedUp(t *testing.T) {
	db, d, now := setup(t)
	d.VerifyDelay = 0
	at := now.Unix()
	// Already there: a generated record of the same second and an hourly one.
	gen := &fakeGenerator{errs: []error{errNoAnswer}, apply: true, created: at,
		recs: []vergeos.BillingRecord{{Key: "1", Created: at, From: at - 600, To: at}, {Key: "2", Created: at, From: at/3600*3600 - 3600, To: at / 3600 * 3600}}}
	synced := 0
	d.register(portal.KindVergeOSGenerate, &VergeOSGenerate{Client: gen, OnDelivered: func() { synced++ }})
	id, _ := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", "")
	d.DispatchDue(ctx)
	g, _ := db.GenerateRequestByID(ctx, id)
	it, _ := db.OutboxItemByID(ctx, g.OutboxID)
	if g.State != portal.OutboxDelivered || gen.calls != 1 || synced != 1 || !strings.Contains(it.Result, `"record":"3"`) {
		t.Fatalf("applied, answer lost: %+v after %d calls; result %s", g, gen.calls, it.Result)
	}
	// Not applied (a gateway answered before VergeOS saw it): sent again, once.
	gen = &fakeGenerator{errs: []error{errNoAnswer}, created: at, recs: []vergeos.BillingRecord{{Key: "1", Created: at, From: at - 600, To: at}}}
	d.register(portal.KindVergeOSGenerate, &VergeOSGenerate{Client: gen})
	*now = now.Add(time.Second)
	id, _ = db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", "")
	for range 3 {
		d.DispatchDue(ctx)
	}
	g, _ = db.GenerateRequestByID(ctx, id)
	if g.State != portal.OutboxDelivered || gen.calls != 2 || len(gen.recs) != 2 {
		t.Fatalf("not applied: %+v after %d calls, %d records", g, gen.calls, len(gen.recs))
	}
}

func TestVergeOSGenerate_RefusedIsFailed(t *testing.T) {
	db, d, _ := setup(t)
	d.register(portal.KindVergeOSGenerate, &VergeOSGenerate{Client: &fakeGenerator{errs: []error{errRefused}}})
	id, _ := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", "")
	d.DispatchDue(ctx)
	if g, _ := db.GenerateRequestByID(ctx, id); g.State != portal.OutboxFailed || !strings.Contains(g.Error, "400") {
		t.Fatalf("%+v", g)
	}
}

// Against the simulator, with faults before and after VergeOS acts: every
// request ends delivered with exactly one generated record, and a
// generate VergeOS performed is never sent again.
func TestVergeOSGenerate_FaultsYieldOneRecordEach(t *testing.T) {
	db, d, _ := setup(t)
	clock := func() time.Time { return time.Now().UTC() }
	db.Now, d.Now = clock, clock
	d.VerifyDelay, d.Backoff = 0, func(int) time.Duration { return 0 }
	sim := simvergeos.New(simvergeos.Options{World: world.New(2, 0.1), Now: clock})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := vergeos.New(vergeos.Config{BaseURL: srv.URL, APIKey: sim.APIKey(), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d.register(portal.KindVergeOSGenerate, &VergeOSGenerate{Client: c})
	modes := []string{fault.ApplyThen504, fault.ApplyThen502, fault.ApplyThen500, fault.ApplyThenReset, fault.ApplyThenGarbage,
		fault.BadGateway, fault.GatewayTimeout, fault.Outage, fault.Drop, fault.Garbage, fault.RateLimit}
	for i, mode := range modes {
		sim.Faults().Set(fault.Fault{Mode: mode, Method: "POST", Count: 1})
		id, err := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", mode)
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			d.DispatchDue(ctx)
		}
		g, _ := db.GenerateRequestByID(ctx, id)
		it, _ := db.OutboxItemByID(ctx, g.OutboxID)
		wantAttempts := 1
		if !fault.Applies(mode) {
			wantAttempts = 2
		}
		if g.State != portal.OutboxDelivered || sim.GeneratedCount() != i+1 || it.Attempts != wantAttempts {
			t.Fatalf("%s: %s (%s), %d records generated for %d requests, %d attempts", mode, g.State, g.Error, sim.GeneratedCount(), i+1, it.Attempts)
		}
	}
}

// An item that was mid-send when the portal stopped, before its first
// attempt noted the records already there, cannot be looked up soundly:
// it is left to an admin, never sent again.
func TestVergeOSGenerate_RecoveredBeforeListingIsLeftToAnAdmin(t *testing.T) {
	db, d, _ := setup(t)
	gen := &fakeGenerator{}
	d.register(portal.KindVergeOSGenerate, &VergeOSGenerate{Client: gen})
	id, _ := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", "")
	if _, err := db.ClaimOutbox(ctx); err != nil { // the process stops here
		t.Fatal(err)
	}
	if n, err := db.RecoverOutbox(ctx, d.CanVerify); err != nil || n != 1 {
		t.Fatalf("recover: %d %v", n, err)
	}
	d.DispatchDue(ctx)
	g, _ := db.GenerateRequestByID(ctx, id)
	if g.State != portal.OutboxUncertain || gen.calls != 0 || !strings.Contains(g.Error, "cannot be told") {
		t.Fatalf("%+v after %d calls", g, gen.calls)
	}
}
