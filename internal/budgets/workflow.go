package budgets

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
)

// The request's state machine, as pure functions: the cache loads a
// request, asks these what is allowed and what the new state is, and
// writes it in the same transaction.

// SelfApprovalRefused says why an admin's own request has no Approve button.
const SelfApprovalRefused = "You asked for this; another admin must approve it."

// ApprovalBlocked returns why approver (a subject) may not approve r, or
// "" when they may. Four eyes: nobody approves a request they made,
// unless allowSelf (PORTAL_FOUR_EYES off) says a single admin may.
func ApprovalBlocked(r *Request, approver string, allowSelf bool) string {
	if !allowSelf && r.RequestedBy == approver {
		return SelfApprovalRefused
	}
	return ""
}

const stamp = "2006-01-02 15:04:05 UTC"

// DecidedConflict explains why r, found no longer pending, cannot be
// verb ("approved again", "denied", "cancelled"): who decided it and when.
func DecidedConflict(r *Request, verb string) error {
	var msg string
	switch r.State {
	case Approved, Applied, Failed, NeedsReconciliation:
		msg = fmt.Sprintf("Request %d was already approved by %s at %s (it is %s now).", r.ID, orID(r.DecidedByName, r.DecidedBy), r.Decided.Format(stamp), r.State)
	case Denied:
		msg = fmt.Sprintf("Request %d was already denied by %s at %s.", r.ID, orID(r.DecidedByName, r.DecidedBy), r.Decided.Format(stamp))
	case Cancelled:
		msg = fmt.Sprintf("Request %d was cancelled by its requester at %s.", r.ID, r.Updated.Format(stamp))
	default:
		msg = fmt.Sprintf("Request %d is %s.", r.ID, r.State)
	}
	return portal.Errorf(portal.ECONFLICT, "%s It cannot be %s.", msg, verb)
}

// CancelRefused says why actor could not cancel r, found no longer
// pending or not theirs: only the requester cancels, and only while it is
// pending.
func CancelRefused(r *Request, actor string) error {
	if r.RequestedBy != actor {
		return portal.Errorf(portal.EFORBIDDEN, "Only the person who made request %d can cancel it.", r.ID)
	}
	return DecidedConflict(r, "cancelled")
}

// DenyReason checks the reason of a denial, which the requester sees.
func DenyReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", portal.Errorf(portal.EINVALID, "reason: say why the request is denied; the requester sees it.")
	}
	return reason, nil
}

// ReconcileReason checks the reason of an admin's finding on a call
// whose outcome was unknown.
func ReconcileReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return "", portal.Errorf(portal.EINVALID, "reason: say how you checked OBI, so others can follow the decision.")
	}
	return reason, nil
}

// Reconciliation is how an admin's finding settles the outbox item of r:
// the call was applied (delivered) or it was not (failed). Only a request
// that needs reconciliation can be settled so.
func Reconciliation(r *Request, applied bool, actor, actorName, reason string) (portal.OutboxOutcome, error) {
	if r.State != NeedsReconciliation || r.OutboxID == 0 {
		return portal.OutboxOutcome{}, portal.Errorf(portal.ECONFLICT, "Request %d is %s: only a request that needs reconciliation can be settled.", r.ID, r.State)
	}
	o := portal.OutboxOutcome{State: portal.OutboxDelivered, Actor: actor, ActorName: actorName, Reason: reason}
	if !applied {
		o.State, o.Error = portal.OutboxFailed, "not applied, found by "+actorName+": "+reason
	}
	return o, nil
}

// SettledMeanwhile is the conflict of a reconciliation that someone else
// settled first.
func SettledMeanwhile(id int64) error {
	return portal.Errorf(portal.ECONFLICT, "Request %d was settled by someone else meanwhile; reload to see its state.", id)
}

// StateAfter is the state request id, in state from, moves to when its
// outbox item becomes outboxState: delivered is applied; failed and dead
// (refused, or never reached) are failed; uncertain needs
// reconciliation; queued again after failing (an admin sent the call
// again) is approved. moves is false when the request keeps its state (a
// retry after an attempt with no effect); failed to failed moves, so a
// new refusal's reason is kept. A request that is not waiting for its call
// (pending, denied, cancelled, applied) cannot move: ECONFLICT.
func StateAfter(id int64, from, outboxState string) (to string, moves bool, err error) {
	to = map[string]string{portal.OutboxDelivered: Applied, portal.OutboxFailed: Failed, portal.OutboxDead: Failed,
		portal.OutboxUncertain: NeedsReconciliation}[outboxState]
	if outboxState == portal.OutboxQueued && from == Failed {
		to = Approved
	}
	if to == "" || (to == from && to != Failed) {
		return from, false, nil
	}
	// From failed too: an admin may send a failed or dead call again, and
	// its new outcome then decides.
	if from != Approved && from != NeedsReconciliation && from != Failed {
		return from, false, portal.Errorf(portal.ECONFLICT, "request %d is %s and cannot become %s", id, from, to)
	}
	return to, true, nil
}

// SettleReason is the reason the request's history gives for moving to
// state to on outcome o: the admin's reason, else the upstream's error,
// else that OBI confirmed the change.
func SettleReason(to string, o portal.OutboxOutcome) string {
	reason := o.Reason
	if reason == "" {
		reason = o.Error
	}
	if reason == "" && to == Applied {
		reason = "OBI confirmed the change"
	}
	return reason
}

// MergeDelivery folds an attempt's balance readings (result, the outbox
// item's result as JSON) into the request's stored ones: the reading
// before the first attempt that sent anything is kept, whatever later
// attempts read, so the request always compares the balances from before
// its first call with those after its last. A result without readings (an
// admin's decision) changes nothing.
func MergeDelivery(stored, result string) (string, error) {
	var got Delivery
	if result == "" || json.Unmarshal([]byte(result), &got) != nil || (got.Before == nil && got.After == nil) {
		return stored, nil
	}
	if stored == "" {
		return result, nil
	}
	var had Delivery
	if err := json.Unmarshal([]byte(stored), &had); err != nil {
		return "", fmt.Errorf("stored readings: %w", err)
	}
	if had.Before != nil {
		got.Before = had.Before
	}
	b, err := json.Marshal(got)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
