package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/amie"
	"github.com/accounting-portal/portal/internal/clients/argo"
	"github.com/accounting-portal/portal/internal/clients/obi"
	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	simamie "github.com/accounting-portal/portal/internal/sim/amie"
	simargo "github.com/accounting-portal/portal/internal/sim/argo"
	"github.com/accounting-portal/portal/internal/sim/fault"
	simobi "github.com/accounting-portal/portal/internal/sim/obi"
	simvergeos "github.com/accounting-portal/portal/internal/sim/vergeos"
	"github.com/accounting-portal/portal/internal/sim/world"
	"github.com/accounting-portal/portal/internal/usage"
)

// The exactly-once test: 200 writes per upstream under about 30% mixed
// faults (before and after the simulator acts, answered at once or not at
// all), delivered by the real dispatcher and the real clients over
// loopback to the real simulators, then what each simulator applied is
// compared with what the portal shows, write by write.

const (
	eoWrites = 200
	// eoTimeout is the clients' per-attempt limit: the faults that send no
	// answer cost this much each.
	eoTimeout = 150 * time.Millisecond
)

// eoModes are the faults mixed in: every one that answers at once, plus a
// hang (before) and a timeout (after the simulator acted).
var eoModes = append(slices.Clone(fault.MixedDefault), fault.Hang, fault.ApplyThenTimeout)

// eoTally is one upstream's line of the table.
type eoTally struct {
	writes, once, flagged, notApplied, duplicates int
	// unknown counts the writes with at least one attempt whose outcome
	// was unknown (settled by a look-up, or flagged); flaggedApplied those
	// flagged that the upstream had in fact applied.
	unknown, flaggedApplied int
	faults                  map[string]int
}

// unknownOf counts an outbox item toward t.unknown.
func (r *eoTally) unknownOf(t *testing.T, db *cache.DB, id int64) {
	it, err := db.OutboxItemByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if it.UnknownAttempts > 0 {
		r.unknown++
	}
}

func TestExactlyOnce_UnderMixedFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 800 writes against the simulators")
	}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db, err := cache.Open(ctx, filepath.Join(t.TempDir(), "portal.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := world.New(11, 1)
	d := newDispatcher(t, db)
	d.Timeout, d.VerifyDelay, d.Poll = 10*time.Second, 20*time.Millisecond, 50*time.Millisecond
	d.Backoff = func(int) time.Duration { return 10 * time.Millisecond }

	o := newEOOBI(t, db, d, w)
	a := newEOArgo(t, db, d, w)
	m := newEOAMIE(t, db, d, w)
	v := newEOVergeOS(t, db, d, w)
	mixed := func(prefix string, seed uint64) fault.Fault {
		return fault.Fault{Mode: fault.Mixed, Method: "POST", PathPrefix: prefix, Percent: 30, Seed: seed, Modes: eoModes, Delay: 2 * eoTimeout}
	}
	o.sim.Faults().Set(mixed("/budget/", 1))
	a.sim.Faults().Set(mixed("/accounting-system/installations/", 2))
	m.sim.Faults().Set(mixed("/api/v1/usage", 3))
	v.sim.Faults().Set(mixed("/api/v4/billing_actions", 4))

	o.enqueue(t, ctx)
	a.enqueue(t, ctx)
	m.enqueue(t, ctx)
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.Run(run) }()
	// VergeOS takes one generate at a time: each is requested once the
	// previous one has settled, while the other upstreams' writes flow.
	v.generateAll(t, ctx, d)
	eoWaitSettled(t, ctx, db)
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	table := map[string]*eoTally{"OBI": o.check(t, ctx), "ARGO": a.check(t, ctx), "AMIE": m.check(t, ctx), "VergeOS": v.check(t)}
	var b strings.Builder
	fmt.Fprintf(&b, "exactly-once under 30%% mixed faults (%s):\n", time.Since(begin).Round(100*time.Millisecond))
	fmt.Fprintf(&b, "%-8s %6s %6s %7s %8s %14s %11s %10s  faults injected by kind\n", "upstream", "writes", "faults", "unknown",
		"applied1", "flagged (appl.)", "not applied", "duplicates")
	for _, name := range []string{"OBI", "ARGO", "AMIE", "VergeOS"} {
		r := table[name]
		var kinds []string
		for k, n := range r.faults {
			if k != fault.Mixed {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
			}
		}
		sort.Strings(kinds)
		fmt.Fprintf(&b, "%-8s %6d %6d %7d %8d %14s %11d %10d  %s\n", name, r.writes, r.faults[fault.Mixed], r.unknown, r.once,
			fmt.Sprintf("%d (%d)", r.flagged, r.flaggedApplied), r.notApplied, r.duplicates, strings.Join(kinds, ", "))
		if r.duplicates != 0 {
			t.Errorf("%s: %d writes applied more than once", name, r.duplicates)
		}
		if r.once+r.flagged+r.notApplied != r.writes {
			t.Errorf("%s: %d writes, but %d + %d + %d accounted for", name, r.writes, r.once, r.flagged, r.notApplied)
		}
		if n := r.faults[fault.Mixed]; n < eoWrites/5 {
			t.Errorf("%s: only %d faults injected", name, n)
		}
	}
	t.Log(b.String())
}

// eoWaitSettled waits until no write is queued, being sent or being looked up.
func eoWaitSettled(t *testing.T, ctx context.Context, db *cache.DB) {
	t.Helper()
	for {
		counts, err := db.OutboxCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts[portal.OutboxQueued]+counts[portal.OutboxSending]+counts[portal.OutboxVerify] == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("writes still in flight when the time ran out: %v", counts)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// --- OBI: budget requests ---

type eoOBI struct {
	sim *simobi.Server
	db  *cache.DB
	ids []int64
	req map[int64]budgets.Payload
	w   *world.World
}

func newEOOBI(t *testing.T, db *cache.DB, d *Dispatcher, w *world.World) *eoOBI {
	sim := simobi.New(simobi.Options{World: w, ChargeEvery: -1})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := obi.New(obi.Config{BaseURL: srv.URL, Timeout: eoTimeout, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	d.register(portal.KindOBIBudget, OBIBudget{Client: c, AfterTimeout: 5 * time.Second})
	return &eoOBI{sim: sim, db: db, w: w, req: map[int64]budgets.Payload{}}
}

// enqueue approves 200 budget requests of every kind, each with its own
// amount (1.01 to 3.00 credits) so that OBI's journal tells them apart.
func (o *eoOBI) enqueue(t *testing.T, ctx context.Context) {
	kinds := []string{budgets.TopUp, budgets.Assign, budgets.Reverse, budgets.Move}
	var lab world.VirtualLab
	var projs []world.Project
	for _, l := range o.w.VirtualLabs {
		if ps := o.w.ProjectsOfLab(l.ID); len(ps) >= 2 {
			lab, projs = l, ps
			break
		}
	}
	if len(projs) < 2 {
		t.Fatal("the world has no lab with two projects")
	}
	for i := range eoWrites {
		from, to := projs[i%len(projs)], projs[(i+1)%len(projs)]
		n := budgets.NewRequest{Kind: kinds[i%len(kinds)], VlabID: lab.ID, Amount: decimal.New(int64(101+i), -2),
			Justification: "exactly-once test", Actor: "m"}
		if n.Kind != budgets.TopUp {
			n.ProjID, n.ProjectKey = from.OBIID, from.Key
		}
		if n.Kind == budgets.Move {
			n.ToProjID, n.ToProjectKey = to.OBIID, to.Key
		}
		id, err := o.db.CreateBudgetRequest(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		r, err := o.db.ApproveBudgetRequest(ctx, id, "a", "Ada")
		if err != nil {
			t.Fatal(err)
		}
		o.ids = append(o.ids, id)
		o.req[id] = r.Payload()
	}
}

var eoTxType = map[string]string{budgets.TopUp: simobi.TxTopUp, budgets.Assign: simobi.TxAssign,
	budgets.Reverse: simobi.TxReverse, budgets.Move: simobi.TxMove}

// check compares OBI's journal with each request's state: applied once
// and shown applied; or waiting for an admin with readings around the
// unknown attempt that show exactly what OBI did; or not applied and
// shown failed (or still approved).
func (o *eoOBI) check(t *testing.T, ctx context.Context) *eoTally {
	r := &eoTally{writes: len(o.ids), faults: o.sim.Faults().AllHits()}
	journal := o.sim.Journal()
	for _, id := range o.ids {
		p := o.req[id]
		applied := 0
		for _, e := range journal {
			if e.Type == eoTxType[p.Kind] && e.Amount.Equal(p.Amount) {
				applied++
			}
		}
		got, err := o.db.BudgetRequestByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		r.unknownOf(t, o.db, got.OutboxID)
		switch {
		case applied > 1:
			r.duplicates++
			t.Errorf("OBI request %d (%s %s) applied %d times; the portal shows %s", id, p.Kind, p.Amount, applied, got.State)
		case got.State == budgets.NeedsReconciliation:
			r.flagged++
			r.flaggedApplied += applied
			o.checkReadings(t, ctx, got, applied)
		case applied == 1 && got.State == budgets.Applied:
			r.once++
		case applied == 0 && (got.State == budgets.Failed || got.State == budgets.Approved):
			r.notApplied++
		default:
			t.Errorf("OBI request %d (%s %s) applied %d times but shown %s (%s)", id, p.Kind, p.Amount, applied, got.State, got.UpstreamError)
		}
	}
	return r
}

// checkReadings: the attempt whose outcome was unknown read the balances
// just before and just after its call, and between them each account moved
// by exactly what OBI applied, so the admin can settle it from the page.
func (o *eoOBI) checkReadings(t *testing.T, ctx context.Context, r *budgets.Request, applied int) {
	attempts, err := o.db.OutboxAttempts(ctx, r.OutboxID)
	if err != nil || len(attempts) == 0 {
		t.Fatalf("request %d: attempts %v", r.ID, err)
	}
	last := attempts[len(attempts)-1]
	var rd budgets.Delivery
	if last.Outcome != portal.OutboxUncertain || json.Unmarshal([]byte(last.Result), &rd) != nil || rd.Before == nil || rd.After == nil {
		t.Errorf("request %d needs reconciliation without readings around its last attempt: %+v", r.ID, last)
		return
	}
	if r.Delivery.Before == nil || r.Delivery.After == nil {
		t.Errorf("request %d keeps no readings: %+v", r.ID, r.Delivery)
	}
	p := r.Payload()
	for _, acc := range p.Accounts() {
		b, okB := rd.Before.Find(acc)
		a, okA := rd.After.Find(acc)
		want := p.Change(acc).Mul(decimal.New(int64(applied), 0))
		if !okB || !okA || !a.Balance.Sub(b.Balance).Equal(want) {
			t.Errorf("request %d (%s %s, applied %d): %s %s moved %s -> %s around the unknown attempt, want a change of %s",
				r.ID, p.Kind, p.Amount, applied, acc.Kind, acc.ID, b.Balance, a.Balance, want)
		}
	}
}

// --- ARGO: metric pushes ---

type eoArgo struct {
	sim    *simargo.Server
	db     *cache.DB
	ids    []int64
	pushes map[int64]metrics.NewPush
}

func newEOArgo(t *testing.T, db *cache.DB, d *Dispatcher, w *world.World) *eoArgo {
	sim := simargo.New(simargo.Options{World: w})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := argo.New(argo.Config{BaseURL: srv.URL, Token: sim.Token(), Timeout: eoTimeout, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	d.register(portal.KindARGOMetric, ArgoMetric{Client: c})
	var e metrics.Entities
	for _, p := range sim.Projects() {
		e.Projects = append(e.Projects, metrics.Project{ID: p.ID, Acronym: p.Acronym})
	}
	for _, p := range sim.Providers() {
		e.Providers = append(e.Providers, metrics.Provider{ID: p.ID, Name: p.Name})
	}
	for _, m := range sim.MetricDefinitions() {
		e.Definitions = append(e.Definitions, metrics.Definition{ID: m.ID, Name: m.Name, UnitType: m.UnitType, MetricType: m.MetricType})
	}
	for _, in := range sim.Installations() {
		e.Installations = append(e.Installations, metrics.Installation{ID: in.ID, ProjectID: in.ProjectID, ProviderID: in.ProviderID, Name: in.Name})
	}
	if _, err := db.UpsertArgoEntities(context.Background(), 1, e); err != nil {
		t.Fatal(err)
	}
	return &eoArgo{sim: sim, db: db, pushes: map[int64]metrics.NewPush{}}
}

// enqueue pushes 200 metrics of one-hour periods (at 7 past the hour, so
// none is a period the simulator generated) over the installations.
func (a *eoArgo) enqueue(t *testing.T, ctx context.Context) {
	insts := a.sim.Installations()
	start, _ := a.sim.Window()
	for i := range eoWrites {
		in := insts[i%len(insts)]
		from := start.Add(time.Duration(i)*time.Hour + 7*time.Minute)
		p := metrics.NewPush{InstallationID: in.ID, DefinitionID: in.MetricDefinitionIDs[0], Start: from, End: from.Add(time.Hour),
			Value: decimal.New(int64(i)*10+5, -1), ValueText: fmt.Sprint(float64(i) + 0.5), Actor: "m"}
		id, err := a.db.CreateMetricPush(ctx, portal.Scope{All: true}, p)
		if err != nil {
			t.Fatal(err)
		}
		a.ids = append(a.ids, id)
		a.pushes[id] = p
	}
}

// check compares ARGO's metrics with each push's state. ARGO keeps one
// metric per installation, definition and period, so a second POST can
// only be refused; what must not happen is a stored metric shown failed.
func (a *eoArgo) check(t *testing.T, ctx context.Context) *eoTally {
	r := &eoTally{writes: len(a.ids), faults: a.sim.Faults().AllHits()}
	posted := map[string]int{}
	for _, m := range a.sim.PostedMetrics() {
		posted[m.InstallationID+"/"+m.MetricDefinitionID+"/"+m.Start.UTC().String()]++
	}
	for _, id := range a.ids {
		p := a.pushes[id]
		n := posted[p.InstallationID+"/"+p.DefinitionID+"/"+p.Start.UTC().String()]
		got, err := a.db.MetricPushByID(ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		r.unknownOf(t, a.db, got.OutboxID)
		switch {
		case n > 1:
			r.duplicates++
			t.Errorf("push %d stored %d times", id, n)
		case got.State == portal.OutboxUncertain:
			r.flagged++
			t.Errorf("push %d waits for an admin although ARGO can be looked up", id)
		case n == 1 && got.State == portal.OutboxDelivered:
			m, _ := a.sim.FindMetric(p.InstallationID, p.DefinitionID, p.Start, p.End)
			if got.MetricID != m.ID {
				t.Errorf("push %d shows metric %q, ARGO has %q", id, got.MetricID, m.ID)
			}
			r.once++
		case n == 0 && slices.Contains([]string{portal.OutboxFailed, portal.OutboxDead, portal.OutboxQueued}, got.State):
			r.notApplied++
		default:
			t.Errorf("push %d stored %d times in ARGO but shown %s (%s)", id, n, got.State, got.Error)
		}
	}
	return r
}

// --- AMIE: usage uploads ---

type eoAMIE struct {
	sim     *simamie.Server
	db      *cache.DB
	client  *amie.Client
	reader  *amie.Client
	uploads []int64
}

func newEOAMIE(t *testing.T, db *cache.DB, d *Dispatcher, w *world.World) *eoAMIE {
	sim := simamie.New(simamie.Options{World: w, HistoryDays: -1, ProcessDelay: -1})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := amie.New(amie.Config{BaseURL: srv.URL + simamie.BasePath, Site: sim.Site(), APIKey: sim.APIKey(), Timeout: eoTimeout, Retries: 2})
	if err != nil {
		t.Fatal(err)
	}
	reader, err := amie.New(amie.Config{BaseURL: srv.URL + simamie.BasePath, Site: sim.Site(), APIKey: sim.APIKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	d.register(portal.KindAMIEUsage, &AMIEUsage{Client: c, Store: db})
	return &eoAMIE{sim: sim, db: db, client: c, reader: reader}
}

// enqueue stores 200 uploads of 3 compute records each (one request
// each); the records of every fifth upload are by a user AMIE does not
// know, so they fail processing and the look-up can see them.
func (m *eoAMIE) enqueue(t *testing.T, ctx context.Context) {
	projects, res := m.sim.Projects(), m.sim.Resources()[0]
	start := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	for i := range eoWrites {
		p := projects[i%len(projects)]
		user := p.Members[0]
		if i%5 == 4 {
			user = "nobody"
		}
		recs := make([]usage.Record, 3)
		for j := range recs {
			at := start.Add(time.Duration(i*3+j) * time.Minute)
			recs[j] = usage.Record{Seq: j, Line: j + 2, LocalRecordID: fmt.Sprintf("eo-%d-%d", i, j), Resource: res, LocalProjectID: p.LocalProjectID,
				Username: user, SubmitTime: at, StartTime: at, EndTime: at.Add(time.Minute), Charge: "0.25"}
		}
		chunks, err := AMIEPlanner{Client: m.client}.PlanUsage("Compute", recs)
		if err != nil || len(chunks) != 1 {
			t.Fatalf("planned %d requests: %v", len(chunks), err)
		}
		id, err := m.db.CreateUsageUpload(ctx, usage.Upload{UsageType: "Compute", Filename: "eo.csv", Records: len(recs), TotalCharge: "0.75", CreatedBy: "m"},
			func(w usage.Writer) error { return w.Add(chunks[0], recs) })
		if err != nil {
			t.Fatal(err)
		}
		m.uploads = append(m.uploads, id)
	}
}

// check compares AMIE's records with each upload's: every record AMIE
// has is shown accepted, every one it lacks refused or not sent; and AMIE
// counts each record once (its loaded and failed counts add up to the
// records it has).
func (m *eoAMIE) check(t *testing.T, ctx context.Context) *eoTally {
	r := &eoTally{writes: len(m.uploads), faults: m.sim.Faults().AllHits()}
	m.sim.ProcessNow()
	present := 0
	for _, id := range m.uploads {
		up, err := m.db.UsageUploadByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		recs, _, err := m.db.ListUploadRecords(ctx, usage.UploadRecordFilter{Upload: id, UsageType: "Compute"})
		if err != nil {
			t.Fatal(err)
		}
		items, err := m.db.OutboxByRef(ctx, "usage_upload:"+fmt.Sprint(id))
		if err != nil || len(items) != 1 {
			t.Fatalf("upload %d: %d requests, %v", id, len(items), err)
		}
		r.unknownOf(t, m.db, items[0].ID)
		have := 0
		for _, rec := range recs {
			_, ok := m.sim.State("Compute", rec.Resource, rec.LocalRecordID)
			if ok {
				have++
			}
			shownSent := rec.Outcome == usage.RecordAccepted || rec.Outcome == usage.RecordSent
			if ok != shownSent && rec.Outcome != usage.RecordPending {
				t.Errorf("upload %d record %s: AMIE has it %v, the portal shows %s (%s)", id, rec.LocalRecordID, ok, rec.Outcome, rec.Error)
			}
		}
		present += have
		switch {
		case up.State == usage.UploadUncertain:
			r.flagged++
			t.Errorf("upload %d waits for an admin although AMIE is looked up", id)
		case have == len(recs) && up.State == usage.UploadDelivered:
			r.once++
		case have == 0 && (up.State == usage.UploadFailed || up.State == usage.UploadQueued):
			r.notApplied++
		default:
			t.Errorf("upload %d: AMIE has %d of its %d records, the portal shows it %s", id, have, len(recs), up.State)
		}
	}
	st, err := m.reader.Status(ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var counted int64
	for _, s := range st {
		counted += s.LoadedRecordCount + s.FailedJobCount
	}
	if counted != int64(present) {
		r.duplicates = int(counted) - present
		t.Errorf("AMIE counts %d records, but has %d distinct ones", counted, present)
	}
	return r
}

// --- VergeOS: generate billing record ---

type eoVergeOS struct {
	sim *simvergeos.Server
	db  *cache.DB
	// made[i] is how many records VergeOS wrote while request i was on
	// its way; state[i] and item[i] its final state and outbox item.
	made  []int
	state []string
	item  []int64
}

func newEOVergeOS(t *testing.T, db *cache.DB, d *Dispatcher, w *world.World) *eoVergeOS {
	sim := simvergeos.New(simvergeos.Options{World: w})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := vergeos.New(vergeos.Config{BaseURL: srv.URL, APIKey: sim.APIKey(), Timeout: eoTimeout, Retries: 2, Backoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	d.register(portal.KindVergeOSGenerate, &VergeOSGenerate{Client: c})
	return &eoVergeOS{sim: sim, db: db}
}

// generateAll requests 200 generates, one after the other (the portal
// allows one on its way at a time), and counts the records each made.
func (v *eoVergeOS) generateAll(t *testing.T, ctx context.Context, d *Dispatcher) {
	for range eoWrites {
		before := v.sim.GeneratedCount()
		id, err := v.db.RequestBillingGenerate(ctx, "a", "Ada", "")
		if err != nil {
			t.Fatal(err)
		}
		d.Notify()
		for {
			g, err := v.db.GenerateRequestByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !g.Pending() {
				v.made = append(v.made, v.sim.GeneratedCount()-before)
				v.state = append(v.state, g.State)
				v.item = append(v.item, g.OutboxID)
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("generate request %d still %s when the time ran out", id, g.State)
			case <-time.After(2 * time.Millisecond):
			}
		}
	}
}

func (v *eoVergeOS) check(t *testing.T) *eoTally {
	r := &eoTally{writes: len(v.made), faults: v.sim.Faults().AllHits()}
	for i, n := range v.made {
		r.unknownOf(t, v.db, v.item[i])
		switch st := v.state[i]; {
		case n > 1:
			r.duplicates++
			t.Errorf("generate request %d made %d records (shown %s)", i+1, n, st)
		case st == portal.OutboxUncertain:
			r.flagged++
			t.Errorf("generate request %d waits for an admin although VergeOS is looked up", i+1)
		case n == 1 && st == portal.OutboxDelivered:
			r.once++
		case n == 0 && (st == portal.OutboxFailed || st == portal.OutboxDead):
			r.notApplied++
		default:
			t.Errorf("generate request %d made %d records, shown %s", i+1, n, st)
		}
	}
	return r
}
