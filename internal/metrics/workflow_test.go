package metrics

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// TestStateAfter_EveryStateThroughEveryOutcome walks a push in every
// state through every state its outbox item can settle in: the push takes
// the item's state, shows the outcome's error until it is delivered, and
// its history says where it came from.
func TestStateAfter_EveryStateThroughEveryOutcome(t *testing.T) {
	for _, from := range portal.OutboxStates {
		for _, to := range portal.OutboxStates {
			o := portal.OutboxOutcome{State: to, Error: "ARGO said no"}
			s := StateAfter(from, o, Result{})
			wantErr := "ARGO said no"
			if to == portal.OutboxDelivered {
				wantErr = ""
			}
			if s.From != from || s.To != to || s.Error != wantErr || s.MetricID != "" || s.Actor != portal.SystemActor || s.Reason != "ARGO said no" {
				t.Errorf("%s on %s: %+v", from, to, s)
			}
		}
	}
}

// TestStateAfter_Lifecycle follows one push through a lost answer, a
// look-up that proved it absent, a resend and an admin's finding.
func TestStateAfter_Lifecycle(t *testing.T) {
	state := portal.OutboxQueued
	for _, step := range []struct {
		o      portal.OutboxOutcome
		m      Result
		err    string
		reason string
	}{
		{o: portal.OutboxOutcome{State: portal.OutboxSending}},
		{o: portal.OutboxOutcome{State: portal.OutboxVerify, Error: "no answer"}, err: "no answer", reason: "no answer"},
		{o: portal.OutboxOutcome{State: portal.OutboxQueued, Error: "not in ARGO"}, err: "not in ARGO", reason: "not in ARGO"},
		{o: portal.OutboxOutcome{State: portal.OutboxSending}},
		{o: portal.OutboxOutcome{State: portal.OutboxUncertain, Error: "reset"}, err: "reset", reason: "reset"},
		{o: portal.OutboxOutcome{State: portal.OutboxDelivered, Actor: "sub-a", ActorName: "Ada", Reason: "found it in ARGO"}, reason: "found it in ARGO"},
	} {
		s := StateAfter(state, step.o, step.m)
		if s.From != state || s.To != step.o.State || s.Error != step.err || s.Reason != step.reason {
			t.Fatalf("%s -> %s: %+v", state, step.o.State, s)
		}
		state = s.To
	}
	if state != portal.OutboxDelivered {
		t.Fatalf("ended %s", state)
	}
}

// TestStateAfter_ReasonAndActor: the admin's reason, else the upstream's
// error, else ARGO's metric; the system acts when nobody did.
func TestStateAfter_ReasonAndActor(t *testing.T) {
	m := Result{MetricID: "m-1"}
	for _, c := range []struct {
		name   string
		o      portal.OutboxOutcome
		m      Result
		reason string
		actor  string
		metric string
	}{
		{"delivered", portal.OutboxOutcome{State: portal.OutboxDelivered}, m, "ARGO metric m-1", portal.SystemActor, "m-1"},
		{"delivered by an admin", portal.OutboxOutcome{State: portal.OutboxDelivered, Actor: "sub-a", Reason: "checked ARGO"}, m, "checked ARGO", "sub-a", "m-1"},
		{"delivered without a metric", portal.OutboxOutcome{State: portal.OutboxDelivered}, Result{}, "", portal.SystemActor, ""},
		{"refused", portal.OutboxOutcome{State: portal.OutboxFailed, Error: "409 duplicate"}, Result{}, "409 duplicate", portal.SystemActor, ""},
		{"error before metric", portal.OutboxOutcome{State: portal.OutboxDelivered, Error: "late"}, m, "late", portal.SystemActor, "m-1"},
	} {
		s := StateAfter(portal.OutboxSending, c.o, c.m)
		if s.Reason != c.reason || s.Actor != c.actor || s.MetricID != c.metric || s.ActorName != c.o.ActorName {
			t.Errorf("%s: %+v", c.name, s)
		}
	}
}

// TestHoldsPeriod: a push on its way, of unknown outcome or delivered holds its
// period; one that provably added nothing frees it.
func TestHoldsPeriod(t *testing.T) {
	want := map[string]bool{portal.OutboxQueued: true, portal.OutboxSending: true, portal.OutboxVerify: true,
		portal.OutboxUncertain: true, portal.OutboxDelivered: true, portal.OutboxFailed: false, portal.OutboxDead: false}
	if len(want) != len(portal.OutboxStates) {
		t.Fatalf("the table misses a state of %v", portal.OutboxStates)
	}
	for _, s := range portal.OutboxStates {
		if HoldsPeriod(s) != want[s] {
			t.Errorf("%s: holds %v", s, HoldsPeriod(s))
		}
	}
}

func TestDeliveredMetric(t *testing.T) {
	res := `{"metric_id":"m-new","metric_definition_id":"cpu","time_period_start":"2026-01-15T00:00:00Z","time_period_end":"2026-01-15T01:00:00Z","value":4.5}`
	m, ok, err := DeliveredMetric(portal.OutboxOutcome{State: portal.OutboxDelivered, Result: res})
	if err != nil || !ok || m.MetricID != "m-new" || m.MetricDefinitionID != "cpu" || m.Value != 4.5 ||
		!m.Start.Equal(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("delivered: %+v %v %v", m, ok, err)
	}
	// An admin's finding carries no result; other states' results are not the metric.
	for _, o := range []portal.OutboxOutcome{{State: portal.OutboxDelivered}, {State: portal.OutboxFailed, Result: res}, {State: portal.OutboxVerify, Result: res}} {
		if m, ok, err := DeliveredMetric(o); ok || err != nil || m.MetricID != "" {
			t.Errorf("%+v: %+v %v %v", o, m, ok, err)
		}
	}
	if _, _, err := DeliveredMetric(portal.OutboxOutcome{State: portal.OutboxDelivered, Result: "{"}); err == nil || !strings.HasPrefix(err.Error(), "result: ") {
		t.Errorf("bad result: %v", err)
	}
}

func TestPushRef_RoundTrip(t *testing.T) {
	if ref := PushRef(42); ref != "metric_push:42" {
		t.Fatalf("ref %q", ref)
	}
	if id, ok := PushID(PushRef(42)); !ok || id != 42 {
		t.Fatalf("id %d %v", id, ok)
	}
	for _, ref := range []string{"budget_request:42", "metric_push:x", "metric_push", "", "metric_push:"} {
		if _, ok := PushID(ref); ok {
			t.Errorf("%q read as a push", ref)
		}
	}
}

func TestPeriodConflicts(t *testing.T) {
	err := PeriodHasMetric("cpu_hours", "iA1-cpu-0")
	if portal.ErrorCode(err) != portal.ECONFLICT || portal.ErrorMessage(err) !=
		"This installation already has a cpu_hours metric for exactly this period (ARGO metric iA1-cpu-0); ARGO keeps one metric per definition and period." {
		t.Errorf("metric: %v", err)
	}
	err = PeriodHasPush(7, "cpu_hours", portal.OutboxUncertain)
	if portal.ErrorCode(err) != portal.ECONFLICT || portal.ErrorMessage(err) != "Push 7 already adds a cpu_hours metric for exactly this period (it is uncertain)." {
		t.Errorf("push: %v", err)
	}
}

func TestNewPush_ValueSummaryPayload(t *testing.T) {
	start := time.Date(2026, 1, 15, 1, 0, 0, 0, time.FixedZone("CET", 3600))
	p := NewPush{InstallationID: "iA1", DefinitionID: "cpu", Start: start, End: start.Add(time.Hour), Value: decimal.MustParse("4.50"),
		ValueText: "4.50", GroupID: "g", Actor: "sub-m"}
	if err := p.CheckValue(); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"4.6", "", "four"} {
		bad := p
		bad.ValueText = text
		if err := bad.CheckValue(); err == nil || !strings.Contains(err.Error(), "is not the value 4.50") {
			t.Errorf("text %q: %v", text, err)
		}
	}
	got := p.Summary(Definition{Name: "cpu_hours", UnitType: "CPU Time"}, "alpha-hpc")
	if got != "Metric cpu_hours = 4.50 CPU Time on installation alpha-hpc for 2026-01-15 00:00 to 2026-01-15 01:00 UTC" {
		t.Errorf("summary %q", got)
	}
	b, _ := json.Marshal(p.Payload(9))
	want := `{"push_id":9,"installation_id":"iA1","metric_definition_id":"cpu","time_period_start":"2026-01-15T00:00:00Z","time_period_end":"2026-01-15T01:00:00Z","value":"4.50","group_id":"g"}`
	if string(b) != want {
		t.Errorf("payload %s\nwant    %s", b, want)
	}
	// A payload stored before the value was a decimal string reads exactly.
	var old Payload
	if err := json.Unmarshal([]byte(`{"push_id":1,"value":12.50}`), &old); err != nil || old.Value.String() != "12.50" {
		t.Errorf("old payload: %v %v", old.Value, err)
	}
}
