package metrics

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

// A push's state machine, as pure functions: the cache loads a push, asks
// these what is allowed and what the push becomes, and writes it in the
// same transaction.
//
// A push has no states of its own: it shows its outbox item's (see
// portal.OutboxStates), and its settler records each new one with the
// error to show and, once delivered, ARGO's metric id:
//
//	queued -> sending -> delivered | failed | dead | verify | uncertain | queued
//	verify -> delivered | queued | dead | verify
//	uncertain -> delivered | failed     (an admin's finding)
//	failed, dead -> queued              (an admin sent it again)
//
// ARGO keeps one metric per installation, definition and period, so a
// push is refused while the period has a metric or a push that holds it
// (HoldsPeriod).

// ActiveStates are the states in which a push holds its period: a second
// push of the same period would be refused by ARGO. A failed or dead push
// provably added nothing and frees it.
var ActiveStates = []string{portal.OutboxQueued, portal.OutboxSending, portal.OutboxVerify, portal.OutboxUncertain, portal.OutboxDelivered}

// HoldsPeriod reports whether a push in state holds its period.
func HoldsPeriod(state string) bool { return slices.Contains(ActiveStates, state) }

// PeriodHasMetric is the conflict of a push whose period the installation
// already has metric metricID of definition defName for.
func PeriodHasMetric(defName, metricID string) error {
	return portal.Errorf(portal.ECONFLICT, "This installation already has a %s metric for exactly this period (ARGO metric %s); ARGO keeps one metric per definition and period.", defName, metricID)
}

// PeriodHasPush is the conflict of a push whose period push pushID, in
// state, already holds.
func PeriodHasPush(pushID int64, defName, state string) error {
	return portal.Errorf(portal.ECONFLICT, "Push %d already adds a %s metric for exactly this period (it is %s).", pushID, defName, state)
}

// CheckValue checks that the push's text is its value: the text is what
// is stored and shown, the value what reaches ARGO.
func (p NewPush) CheckValue() error {
	if v, err := decimal.Parse(p.ValueText); err != nil || !v.Equal(p.Value) {
		return fmt.Errorf("the value text %q is not the value %s", p.ValueText, p.Value)
	}
	return nil
}

// Summary describes the push of definition def to the installation named
// installation in one line, e.g. "Metric cpu_hours = 4.5 CPU Time on
// installation alpha-hpc for 2026-01-15 00:00 to 2026-01-15 01:00 UTC".
func (p NewPush) Summary(def Definition, installation string) string {
	return fmt.Sprintf("Metric %s = %s %s on installation %s for %s to %s", def.Name, p.ValueText, def.UnitType, installation,
		p.Start.UTC().Format("2006-01-02 15:04"), p.End.UTC().Format("2006-01-02 15:04 UTC"))
}

// Payload is the outbox payload of push id.
func (p NewPush) Payload(id int64) Payload {
	return Payload{PushID: id, InstallationID: p.InstallationID, MetricDefinitionID: p.DefinitionID,
		Start: p.Start.UTC(), End: p.End.UTC(), Value: p.Value, GroupID: p.GroupID, UserID: p.UserID}
}

// PushID reads the push id of an outbox ref or audit subject (PushRef);
// ok is false when ref names something else.
func PushID(ref string) (id int64, ok bool) {
	kind, idText, _ := strings.Cut(ref, ":")
	id, err := strconv.ParseInt(idText, 10, 64)
	return id, kind == pushRefKind && err == nil
}

// DeliveredMetric reads the metric ARGO created (or a look-up found) from
// outcome o. ok is false unless o delivers the push with a result: an
// admin's finding that it arrived carries none.
func DeliveredMetric(o portal.OutboxOutcome) (m Result, ok bool, err error) {
	if o.State != portal.OutboxDelivered || o.Result == "" {
		return Result{}, false, nil
	}
	if err := json.Unmarshal([]byte(o.Result), &m); err != nil {
		return Result{}, false, fmt.Errorf("result: %w", err)
	}
	return m, true, nil
}

// Settlement is what a push and its history record when its outbox item
// settles.
type Settlement struct {
	From, To string
	// Error is the error the push shows: the outcome's, none once delivered.
	Error string
	// MetricID is ARGO's metric; "" keeps the one recorded.
	MetricID string
	// Actor, ActorName and Reason are the history's: who settled it (the
	// system when nobody did) and why.
	Actor, ActorName, Reason string
}

// StateAfter is what a push in state from becomes when its outbox item
// settles with outcome o, m being the metric o delivered (DeliveredMetric;
// zero for none). The push takes the item's new state, whatever it was:
// the outbox has already checked the move. The reason is the admin's,
// else the upstream's error, else the ARGO metric delivered.
func StateAfter(from string, o portal.OutboxOutcome, m Result) Settlement {
	s := Settlement{From: from, To: o.State, Error: o.Error, MetricID: m.MetricID, Actor: o.Actor, ActorName: o.ActorName, Reason: o.Reason}
	if o.State == portal.OutboxDelivered {
		s.Error = ""
	}
	if s.Actor == "" {
		s.Actor = portal.SystemActor
	}
	if s.Reason == "" {
		s.Reason = o.Error
	}
	if m.MetricID != "" && s.Reason == "" {
		s.Reason = "ARGO metric " + m.MetricID
	}
	return s
}
