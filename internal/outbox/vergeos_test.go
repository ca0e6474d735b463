package outbox

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/vergeos"
)

type fakeGenerator struct {
	errs  []error
	calls int
}

func (f *fakeGenerator) Generate(ctx context.Context) (vergeos.GenerateResult, error) {
	f.calls++
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return vergeos.GenerateResult{}, err
		}
	}
	return vergeos.GenerateResult{Status: 201, Key: "7", Location: "/v4/billing_actions/7", DBPath: "billing_actions/7", Row: 7}, nil
}

func TestVergeOSGenerate_DeliversOnceAndStartsASync(t *testing.T) {
	db, d, now := setup(t)
	gen := &fakeGenerator{errs: []error{errDown}}
	synced := 0
	d.Register(cache.VergeOSGenerateKind, &VergeOSGenerate{Client: gen, OnDelivered: func() { synced++ }})
	id, err := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", "")
	if err != nil {
		t.Fatal(err)
	}
	// VergeOS down: no effect, queued again with backoff, no sync.
	d.DispatchDue(ctx)
	g, _ := db.GenerateRequestByID(ctx, id)
	if g.State != cache.OutboxQueued || synced != 0 || !strings.Contains(g.Error, "could not be reached") {
		t.Fatalf("after an outage: %+v, %d syncs", g, synced)
	}
	*now = now.Add(DefaultBackoff(1))
	d.DispatchDue(ctx)
	g, _ = db.GenerateRequestByID(ctx, id)
	if g.State != cache.OutboxDelivered || g.ActionKey != "7" || synced != 1 || gen.calls != 2 {
		t.Fatalf("delivered: %+v, %d syncs, %d calls", g, synced, gen.calls)
	}
	it, _ := db.OutboxItemByID(ctx, g.OutboxID)
	if it.Result != `{"status":201,"key":"7","location":"/v4/billing_actions/7","dbpath":"billing_actions/7","row":7}` {
		t.Fatalf("result %s", it.Result)
	}
}

func TestVergeOSGenerate_UnknownOutcomeIsUncertainNotRetried(t *testing.T) {
	db, d, now := setup(t)
	gen := &fakeGenerator{errs: []error{errNoAnswer}}
	d.Register(cache.VergeOSGenerateKind, &VergeOSGenerate{Client: gen})
	if d.CanVerify(cache.VergeOSGenerateKind) {
		t.Fatal("a generate must not be looked up: nothing identifies its record")
	}
	id, _ := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", "")
	d.DispatchDue(ctx)
	*now = now.Add(24 * time.Hour)
	d.DispatchDue(ctx)
	g, _ := db.GenerateRequestByID(ctx, id)
	if g.State != cache.OutboxUncertain || gen.calls != 1 {
		t.Fatalf("%+v after %d calls", g, gen.calls)
	}
}

func TestVergeOSGenerate_RefusedIsFailed(t *testing.T) {
	db, d, _ := setup(t)
	d.Register(cache.VergeOSGenerateKind, &VergeOSGenerate{Client: &fakeGenerator{errs: []error{errRefused}}})
	id, _ := db.RequestBillingGenerate(ctx, "sub-admin", "Ada Admin", "")
	d.DispatchDue(ctx)
	if g, _ := db.GenerateRequestByID(ctx, id); g.State != cache.OutboxFailed || !strings.Contains(g.Error, "400") {
		t.Fatalf("%+v", g)
	}
}
