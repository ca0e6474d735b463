package outbox

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/portal"
)

// newDispatcher returns a dispatcher of the portal's table with no
// upstream configured; tests add deliverers with register.
func newDispatcher(t testing.TB, db *cache.DB) *Dispatcher {
	t.Helper()
	d, err := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), Table(db, Deliverers{}))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// register sets the deliverer of kind (tests only): a kind of the portal
// keeps its row of the table; another kind gets a row whose unknown
// outcomes follow its deliverer and whose settler does nothing (its items
// stand alone).
func (d *Dispatcher) register(kind string, del Deliverer) {
	k, ok := d.kinds[kind]
	if !ok {
		k = Kind{Name: kind, Upstream: "test", Unknown: AskAdmin,
			Settle: func(context.Context, *sql.Tx, portal.OutboxItem, portal.OutboxOutcome) error { return nil }}
		if _, checker := del.(Checker); checker {
			k.Unknown = LookUp
		}
	}
	k.Deliver = del
	if err := k.check(); err != nil {
		panic(err)
	}
	d.kinds[kind] = k
}

// every deliverer of the portal, with no clients: enough to check the table.
var allDeliverers = Deliverers{OBIBudget: OBIBudget{}, ARGOMetric: ArgoMetric{}, AMIEUsage: &AMIEUsage{}, AMIEClear: &AMIEClear{},
	VergeOSGenerate: &VergeOSGenerate{}, Mail: Mail{}}

// TestTable_EveryKindHasOneCompleteRow: each of portal.OutboxKinds has
// exactly one row, with an upstream, a deliverer, a settler and what an
// unknown outcome leads to (matching the deliverer), and the table names
// no other kind.
func TestTable_EveryKindHasOneCompleteRow(t *testing.T) {
	db, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kinds := Table(db, allDeliverers)
	for _, name := range portal.OutboxKinds {
		var rows []Kind
		for _, k := range kinds {
			if k.Name == name {
				rows = append(rows, k)
			}
		}
		if len(rows) != 1 {
			t.Errorf("kind %s has %d rows, want 1", name, len(rows))
			continue
		}
		k := rows[0]
		// Mail goes to the SMTP server, an upstream nothing is synced from.
		if !slices.Contains(append(slices.Clone(portal.Upstreams), portal.UpstreamSMTP), k.Upstream) || !strings.HasPrefix(name, k.Upstream+".") {
			t.Errorf("kind %s: upstream %q", name, k.Upstream)
		}
		if k.Deliver == nil || k.Settle == nil {
			t.Errorf("kind %s: deliverer %v, settler set %v", name, k.Deliver, k.Settle != nil)
		}
		if err := k.check(); err != nil {
			t.Error(err)
		}
		t.Logf("%-17s %-8s %-17T unknown outcome %s", k.Name, k.Upstream, k.Deliver, k.Unknown)
	}
	for _, k := range kinds {
		if !slices.Contains(portal.OutboxKinds, k.Name) {
			t.Errorf("the table has a row for %q, which is not one of portal.OutboxKinds", k.Name)
		}
	}
	if _, err := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), kinds); err != nil {
		t.Fatal(err)
	}
}

// TestNew_RefusesAnIncompleteTable: a row without a settler, a kind
// twice, or a deliverer that does not match what an unknown outcome
// leads to, stops the portal at start rather than losing a request.
func TestNew_RefusesAnIncompleteTable(t *testing.T) {
	db, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for name, change := range map[string]func([]Kind) []Kind{
		"no settler":     func(ks []Kind) []Kind { ks[0].Settle = nil; return ks },
		"no upstream":    func(ks []Kind) []Kind { ks[1].Upstream = ""; return ks },
		"unknown unsaid": func(ks []Kind) []Kind { ks[2].Unknown = 0; return ks },
		"twice":          func(ks []Kind) []Kind { return append(ks, ks[3]) },
		"look-up without a Checker": func(ks []Kind) []Kind {
			ks[1].Deliver = OBIBudget{}
			return ks
		},
		"admin with a Checker": func(ks []Kind) []Kind {
			ks[0].Deliver = ArgoMetric{}
			return ks
		},
	} {
		if _, err := New(db, log, change(Table(db, allDeliverers))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestSettlers_ReachTheStoreForAdminActions: the settlers New gives the
// store run when an admin settles or sends an item again outside the
// dispatcher.
func TestSettlers_ReachTheStoreForAdminActions(t *testing.T) {
	db, err := cache.Open(context.Background(), filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var seen []string
	settle := func(_ context.Context, _ *sql.Tx, _ portal.OutboxItem, o portal.OutboxOutcome) error {
		seen = append(seen, o.State)
		return nil
	}
	kinds := Table(db, Deliverers{})
	kinds[0].Settle = settle // the OBI budget row
	if _, err := New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), kinds); err != nil {
		t.Fatal(err)
	}
	id, err := db.Enqueue(ctx, portal.OutboxItem{Kind: portal.KindOBIBudget, Upstream: portal.UpstreamOBI, Summary: "x", Payload: "{}", CreatedBy: "s"})
	if err != nil {
		t.Fatal(err)
	}
	db.ClaimOutbox(ctx)
	if _, err := db.SettleOutbox(ctx, id, []string{portal.OutboxSending}, portal.OutboxOutcome{State: portal.OutboxUncertain}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SettleOutbox(ctx, id, []string{portal.OutboxUncertain}, portal.OutboxOutcome{State: portal.OutboxFailed, Actor: "admin", Reason: "checked"}); err != nil {
		t.Fatal(err)
	}
	if err := db.RequeueOutbox(ctx, id, "admin", "Ada"); err != nil {
		t.Fatal(err)
	}
	if want := []string{portal.OutboxUncertain, portal.OutboxFailed, portal.OutboxQueued}; !slices.Equal(seen, want) {
		t.Fatalf("the settler saw %v, want %v", seen, want)
	}
}
