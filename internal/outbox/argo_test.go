package outbox

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/argo"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim"
	"github.com/accounting-portal/portal/internal/sim/fault"
)

// argoSetup starts an ARGO simulator over HTTPS whose clock is the
// dispatcher's, caches its entities (not its metrics) and registers the
// deliverer with a client that gives up after timeout.
func argoSetup(t *testing.T, timeout time.Duration) (*cache.DB, *Dispatcher, *sim.Running) {
	t.Helper()
	db, d, now := setup(t)
	r, err := sim.Start(sim.Config{Argo: "127.0.0.1:0", TLSDir: t.TempDir(), Seed: 5, Now: func() time.Time { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(ctx) })
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: r.CA.ClientConfig()}}
	c, err := argo.New(argo.Config{BaseURL: r.Info.Argo.URL, Token: r.Info.Argo.Token, HTTPClient: hc, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	d.register(portal.KindARGOMetric, ArgoMetric{Client: c})
	d.VerifyDelay = 0
	var e metrics.Entities
	for _, p := range r.Argo.Projects() {
		e.Projects = append(e.Projects, metrics.Project{ID: p.ID, Acronym: p.Acronym})
	}
	for _, p := range r.Argo.Providers() {
		e.Providers = append(e.Providers, metrics.Provider{ID: p.ID, Name: p.Name})
	}
	for _, m := range r.Argo.MetricDefinitions() {
		e.Definitions = append(e.Definitions, metrics.Definition{ID: m.ID, Name: m.Name, UnitType: m.UnitType, MetricType: m.MetricType})
	}
	for _, in := range r.Argo.Installations() {
		e.Installations = append(e.Installations, metrics.Installation{ID: in.ID, ProjectID: in.ProjectID, ProviderID: in.ProviderID, Name: in.Name})
	}
	if _, err := db.UpsertArgoEntities(ctx, 1, e); err != nil {
		t.Fatal(err)
	}
	return db, d, r
}

func push(t *testing.T, db *cache.DB, r *sim.Running, start, end time.Time) int64 {
	t.Helper()
	return pushValue(t, db, r, start, end, "12.5")
}

func pushValue(t *testing.T, db *cache.DB, r *sim.Running, start, end time.Time, value string) int64 {
	t.Helper()
	in := r.Argo.Installations()[0]
	id, err := db.CreateMetricPush(ctx, portal.Scope{All: true}, metrics.NewPush{InstallationID: in.ID, DefinitionID: in.MetricDefinitionIDs[0],
		Start: start, End: end, Value: decimal.MustParse(value), ValueText: value, UserID: "asmith", Actor: "sub-1"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The value leaves the outbox as the exact decimal pushed: the simulator
// receives its text byte for byte (and keeps, as ARGO does, the nearest
// double).
func TestArgoMetric_ValueReachesArgoExactly(t *testing.T) {
	db, d, r := argoSetup(t, 5*time.Second)
	_, end := r.Argo.Window()
	for i, value := range []string{"999999999999999.99", "0.000000000000000000000000000000000000000000000000000000000001", "12.500"} {
		at := end.Add(time.Duration(i+1) * time.Hour)
		id := pushValue(t, db, r, at, at.Add(time.Hour), value)
		if n, err := d.DispatchDue(ctx); err != nil || n != 1 {
			t.Fatalf("dispatch: %d %v", n, err)
		}
		p, _ := db.MetricPushByID(ctx, id, "")
		m, ok := r.Argo.Metric(p.MetricID)
		if p.State != portal.OutboxDelivered || !ok || m.Received != decimal.MustParse(value).String() {
			t.Fatalf("%s: push %+v, ARGO received %q", value, p, m.Received)
		}
		if !p.Value.Equal(decimal.MustParse(value)) || p.ValueText != value {
			t.Fatalf("%s: the push shows %s (%s)", value, p.Value, p.ValueText)
		}
	}
	if m := r.Argo.PostedMetrics()[0]; m.Value != 1e15 {
		t.Fatalf("ARGO keeps %v, not the double 1e15", m.Value)
	}
}

func TestArgoMetric_DeliveredAndCached(t *testing.T) {
	db, d, r := argoSetup(t, 5*time.Second)
	_, end := r.Argo.Window()
	id := push(t, db, r, end.Add(time.Hour), end.Add(2*time.Hour))
	if n, err := d.DispatchDue(ctx); err != nil || n != 1 {
		t.Fatalf("dispatch: %d %v", n, err)
	}
	p, _ := db.MetricPushByID(ctx, id, "")
	posted := r.Argo.PostedMetrics()
	if p.State != portal.OutboxDelivered || len(posted) != 1 || p.MetricID != posted[0].ID || posted[0].Value != 12.5 || posted[0].UserID != "asmith" {
		t.Fatalf("push %+v, posted %+v", p, posted)
	}
	ms, _, _ := db.ArgoMetrics(ctx, metrics.ListQuery{Filter: metrics.Filter{Scope: portal.Scope{All: true}, InstallationID: posted[0].InstallationID}})
	if len(ms) != 1 || ms[0].ID != p.MetricID {
		t.Fatalf("the delivered metric is not cached: %+v", ms)
	}
}

func TestArgoMetric_RefusedEndsFailedWithARGOsMessage(t *testing.T) {
	db, d, r := argoSetup(t, 5*time.Second)
	start, _ := r.Argo.Window()
	// The simulator generated a metric for the first day: ARGO answers 409.
	dup := push(t, db, r, start, start.Add(24*time.Hour))
	d.DispatchDue(ctx)
	p, _ := db.MetricPushByID(ctx, dup, "")
	if p.State != portal.OutboxFailed || !strings.Contains(p.Error, "ARGO answered 409: There is a Metric at") {
		t.Fatalf("duplicate: %+v", p)
	}
	// A period in ARGO's future: 400.
	_, end := r.Argo.Window()
	future := push(t, db, r, end.Add(48*time.Hour), end.Add(49*time.Hour))
	d.DispatchDue(ctx)
	p, _ = db.MetricPushByID(ctx, future, "")
	if p.State != portal.OutboxFailed || !strings.Contains(p.Error, "Timestamp cannot be after the current date-time.") {
		t.Fatalf("future: %+v", p)
	}
	if n := len(r.Argo.PostedMetrics()); n != 0 {
		t.Fatalf("%d metrics posted", n)
	}
}

func TestArgoMetric_TimeoutAfterEffectIsLookedUpNotResent(t *testing.T) {
	db, d, r := argoSetup(t, 500*time.Millisecond)
	r.Argo.Faults().Set(fault.Fault{Mode: fault.Timeout, Method: "POST", Count: 1, Delay: 5 * time.Second})
	_, end := r.Argo.Window()
	id := push(t, db, r, end.Add(3*time.Hour), end.Add(4*time.Hour))
	d.DispatchDue(ctx) // the POST takes effect, its answer never comes; then the look-up finds it
	p, _ := db.MetricPushByID(ctx, id, "")
	posted := r.Argo.PostedMetrics()
	if p.State != portal.OutboxDelivered || len(posted) != 1 || p.MetricID != posted[0].ID {
		t.Fatalf("push %+v, posted %d", p, len(posted))
	}
	if hits := r.Argo.Faults().Hits(fault.Timeout); hits != 1 {
		t.Fatalf("timeout applied %d times", hits)
	}
	trail, _ := db.AuditTrail(ctx, "metric_push:1")
	var states []string
	for _, e := range trail {
		states = append(states, e.To)
	}
	if strings.Join(states, ",") != "queued,verify,delivered" {
		t.Fatalf("push went through %v", states)
	}
	it, _ := db.OutboxItemByID(ctx, p.OutboxID)
	if it.Attempts != 1 {
		t.Fatalf("%d attempts: the write was sent again", it.Attempts)
	}
}

// A metric ARGO stored before a 5xx or a lost answer is found by the
// look-up and shown delivered; it is never sent again (which ARGO would
// refuse as a duplicate, showing a stored metric as failed).
func TestArgoMetric_AppliedThenFailedIsFoundNotResent(t *testing.T) {
	for i, mode := range []string{fault.ApplyThen502, fault.ApplyThen500, fault.ApplyThen504, fault.ApplyThenReset, fault.ApplyThenGarbage} {
		t.Run(mode, func(t *testing.T) {
			db, d, r := argoSetup(t, 2*time.Second)
			d.Backoff = func(int) time.Duration { return 0 }
			r.Argo.Faults().Set(fault.Fault{Mode: mode, Method: "POST", Count: 1})
			_, end := r.Argo.Window()
			id := push(t, db, r, end.Add(time.Duration(i+1)*time.Hour), end.Add(time.Duration(i+2)*time.Hour))
			for range 4 {
				d.DispatchDue(ctx)
			}
			p, _ := db.MetricPushByID(ctx, id, "")
			posted := r.Argo.PostedMetrics()
			it, _ := db.OutboxItemByID(ctx, p.OutboxID)
			if p.State != portal.OutboxDelivered || len(posted) != 1 || p.MetricID != posted[0].ID || it.Attempts != 1 {
				t.Fatalf("push %s (%s), %d posted, %d attempts", p.State, p.Error, len(posted), it.Attempts)
			}
		})
	}
}

// lateARGO is ARGO whose store shows a new metric only after a while: the
// first look-up misses the metric an unanswered POST stored.
type lateARGO struct {
	ArgoClient
	misses int
}

func (l *lateARGO) FindInstallationMetric(ctx context.Context, inst, def string, start, end time.Time) (*argo.Metric, error) {
	if l.misses > 0 {
		l.misses--
		return nil, portal.Errorf(portal.ENOTFOUND, "not there yet")
	}
	return l.ArgoClient.FindInstallationMetric(ctx, inst, def, start, end)
}

// ARGO's 409 "duplicate" to a push sent again after an attempt whose
// outcome was unknown means the first attempt's metric is there: the push
// is delivered, not failed. A 409 to a first attempt is a real refusal.
func TestArgoMetric_DuplicateAfterUnknownAttemptIsDelivered(t *testing.T) {
	db, d, r := argoSetup(t, 2*time.Second)
	d.Backoff = func(int) time.Duration { return 0 }
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: r.CA.ClientConfig()}}
	c, err := argo.New(argo.Config{BaseURL: r.Info.Argo.URL, Token: r.Info.Argo.Token, HTTPClient: hc, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	late := &lateARGO{ArgoClient: c, misses: 1}
	d.register(portal.KindARGOMetric, ArgoMetric{Client: late})
	r.Argo.Faults().Set(fault.Fault{Mode: fault.ApplyThen502, Method: "POST", Count: 1})
	_, end := r.Argo.Window()
	id := push(t, db, r, end.Add(5*time.Hour), end.Add(6*time.Hour))
	for range 4 {
		d.DispatchDue(ctx)
	}
	p, _ := db.MetricPushByID(ctx, id, "")
	posted := r.Argo.PostedMetrics()
	it, _ := db.OutboxItemByID(ctx, p.OutboxID)
	if p.State != portal.OutboxDelivered || len(posted) != 1 || p.MetricID != posted[0].ID || it.Attempts != 2 || it.UnknownAttempts != 1 {
		t.Fatalf("push %s (%s), %d posted, %d attempts (%d unknown)", p.State, p.Error, len(posted), it.Attempts, it.UnknownAttempts)
	}
	// The same 409 to a first attempt is ARGO refusing a period it has.
	start, _ := r.Argo.Window()
	dup := push(t, db, r, start, start.Add(24*time.Hour))
	d.DispatchDue(ctx)
	if p, _ := db.MetricPushByID(ctx, dup, ""); p.State != portal.OutboxFailed {
		t.Fatalf("a first attempt's 409: %s", p.State)
	}
}
