package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/accounting-portal/portal/internal/portal"
)

// Summary describes the request in one line, e.g. "Assign 500.00 credits
// from Cortex Lab to Neural Circuit Simulation".
func (r *BudgetRequest) Summary() string {
	amt := r.Amount.StringFixed(2) + " credits"
	lab, proj, to := orID(r.VlabName, r.VlabID), orID(r.ProjName, r.ProjectKey), orID(r.ToName, r.ToProjectKey)
	switch r.Kind {
	case BudgetTopUp:
		return "Top up " + lab + " with " + amt
	case BudgetAssign:
		return "Assign " + amt + " from " + lab + " to " + proj
	case BudgetReverse:
		return "Return " + amt + " from " + proj + " to " + lab
	case BudgetMove:
		return "Move " + amt + " from " + proj + " to " + to + " (" + lab + ")"
	}
	return r.Kind + " " + amt
}

func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

const stamp = "2006-01-02 15:04:05 UTC"

// decidedConflict explains why a request is no longer pending.
func decidedConflict(r *BudgetRequest, verb string) error {
	var msg string
	switch r.State {
	case RequestApproved, RequestApplied, RequestFailed, RequestNeedsReconciliation:
		msg = fmt.Sprintf("Request %d was already approved by %s at %s (it is %s now).", r.ID, orID(r.DecidedByName, r.DecidedBy), r.Decided.Format(stamp), r.State)
	case RequestDenied:
		msg = fmt.Sprintf("Request %d was already denied by %s at %s.", r.ID, orID(r.DecidedByName, r.DecidedBy), r.Decided.Format(stamp))
	case RequestCancelled:
		msg = fmt.Sprintf("Request %d was cancelled by its requester at %s.", r.ID, r.Updated.Format(stamp))
	default:
		msg = fmt.Sprintf("Request %d is %s.", r.ID, r.State)
	}
	return portal.Errorf(portal.ECONFLICT, "%s It cannot be %s.", msg, verb)
}

// ApproveBudgetRequest approves a pending request and queues its OBI call
// in the outbox, in one transaction. Of two approvals of one request (two
// admins at once, or a button pressed twice) the second gets ECONFLICT
// naming who approved it and when; the call is queued once.
func (db *DB) ApproveBudgetRequest(ctx context.Context, id int64, actor, actorName string) (*BudgetRequest, error) {
	var r *BudgetRequest
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := db.now()
		res, err := tx.ExecContext(ctx, `UPDATE budget_requests SET state = 'approved', decided_by = ?, decided_by_name = ?, decided_at = ?,
			updated_at = ? WHERE id = ? AND state = 'pending'`, actor, actorName, now, now, id)
		if err != nil {
			return err
		}
		if r, err = budgetRequest(ctx, tx, id); err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return decidedConflict(r, "approved again")
		}
		payload, err := json.Marshal(r.Payload())
		if err != nil {
			return err
		}
		oid, err := db.enqueue(ctx, tx, portal.OutboxItem{Kind: portal.KindOBIBudget, Upstream: portal.UpstreamOBI, Ref: requestSubject(id),
			Summary: r.Summary(), Payload: string(payload), CreatedBy: actor})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE budget_requests SET outbox_id = ? WHERE id = ?`, oid, id); err != nil {
			return err
		}
		r.OutboxID = oid
		return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: requestSubject(id), From: RequestPending,
			To: RequestApproved, Reason: "queued for OBI as outbox item " + fmt.Sprint(oid)})
	})
	if err != nil {
		return nil, wrapRequestErr("approve", err)
	}
	return r, nil
}

// wrapRequestErr keeps portal errors as they are (their message is for
// the user) and wraps the others.
func wrapRequestErr(what string, err error) error {
	var pe *portal.Error
	if err == nil || errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("cache: %s budget request: %w", what, err)
}

// DenyBudgetRequest denies a pending request with a reason the requester sees.
func (db *DB) DenyBudgetRequest(ctx context.Context, id int64, actor, actorName, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return portal.Errorf(portal.EINVALID, "reason: say why the request is denied; the requester sees it.")
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := db.now()
		res, err := tx.ExecContext(ctx, `UPDATE budget_requests SET state = 'denied', decided_by = ?, decided_by_name = ?, decided_at = ?,
			deny_reason = ?, updated_at = ? WHERE id = ? AND state = 'pending'`, actor, actorName, now, reason, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			r, err := budgetRequest(ctx, tx, id)
			if err != nil {
				return err
			}
			return decidedConflict(r, "denied")
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: requestSubject(id), From: RequestPending,
			To: RequestDenied, Reason: reason})
	})
	return wrapRequestErr("deny", err)
}

// CancelBudgetRequest cancels a pending request on its requester's word.
// Anyone else gets EFORBIDDEN, and a request already decided ECONFLICT.
func (db *DB) CancelBudgetRequest(ctx context.Context, id int64, actor, actorName string) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE budget_requests SET state = 'cancelled', updated_at = ? WHERE id = ? AND state = 'pending' AND requested_by = ?`,
			db.now(), id, actor)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			r, err := budgetRequest(ctx, tx, id)
			if err != nil {
				return err
			}
			if r.RequestedBy != actor {
				return portal.Errorf(portal.EFORBIDDEN, "Only the person who made request %d can cancel it.", id)
			}
			return decidedConflict(r, "cancelled")
		}
		return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: requestSubject(id), From: RequestPending,
			To: RequestCancelled, Reason: "cancelled by the requester"})
	})
	return wrapRequestErr("cancel", err)
}

// ReconcileBudgetRequest records an admin's finding on a request whose
// OBI call had an unknown outcome: it was applied, or it was not (failed).
// It settles the outbox item from uncertain, and the request with it, in
// one transaction (see SettleBudgetRequest).
func (db *DB) ReconcileBudgetRequest(ctx context.Context, id int64, applied bool, actor, actorName, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return portal.Errorf(portal.EINVALID, "reason: say how you checked OBI, so others can follow the decision.")
	}
	r, err := db.BudgetRequestByID(ctx, id)
	if err != nil {
		return err
	}
	if r.State != RequestNeedsReconciliation || r.OutboxID == 0 {
		return portal.Errorf(portal.ECONFLICT, "Request %d is %s: only a request that needs reconciliation can be settled.", id, r.State)
	}
	o := portal.OutboxOutcome{State: portal.OutboxDelivered, Actor: actor, ActorName: actorName, Reason: reason}
	if !applied {
		o.State, o.Error = portal.OutboxFailed, "not applied, found by "+actorName+": "+reason
	}
	if _, err := db.SettleOutbox(ctx, r.OutboxID, []string{portal.OutboxUncertain}, o); err != nil {
		if portal.ErrorCode(err) == portal.ECONFLICT {
			return portal.Errorf(portal.ECONFLICT, "Request %d was settled by someone else meanwhile; reload to see its state.", id)
		}
		return err
	}
	return nil
}

// SettleBudgetRequest moves a request with its outbox item, inside the
// transaction that records the item's new state: delivered is applied;
// failed and dead (refused, or never reached) are failed; uncertain needs
// reconciliation. A retry (queued) leaves the request's state as it is.
// Every attempt's balance readings are merged into the request's
// (mergeDelivery): the reading before the first attempt is kept.
func (db *DB) SettleBudgetRequest(ctx context.Context, tx *sql.Tx, it portal.OutboxItem, o portal.OutboxOutcome) error {
	var id int64
	var from, stored string
	err := tx.QueryRowContext(ctx, `SELECT id, state, delivery FROM budget_requests WHERE outbox_id = ?`, it.ID).Scan(&id, &from, &stored)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	delivery, err := mergeDelivery(stored, o.Result)
	if err != nil {
		return fmt.Errorf("cache: budget request %d: %w", id, err)
	}
	to := map[string]string{portal.OutboxDelivered: RequestApplied, portal.OutboxFailed: RequestFailed, portal.OutboxDead: RequestFailed,
		portal.OutboxUncertain: RequestNeedsReconciliation}[o.State]
	if o.State == portal.OutboxQueued && from == RequestFailed {
		// An admin sent a failed call again (RequeueOutbox): it is on its way.
		to = RequestApproved
	}
	if to == "" || (to == from && to != RequestFailed) {
		if delivery == stored {
			return nil
		}
		// A retry after an attempt with no effect: its readings still count.
		_, err := tx.ExecContext(ctx, `UPDATE budget_requests SET delivery = ?, updated_at = ? WHERE id = ?`, delivery, db.now(), id)
		return err
	}
	// From failed too: an admin may send a failed or dead item again
	// (RequeueOutbox), and its new outcome then decides.
	if from != RequestApproved && from != RequestNeedsReconciliation && from != RequestFailed {
		return portal.Errorf(portal.ECONFLICT, "request %d is %s and cannot become %s", id, from, to)
	}
	now := db.now()
	set := `state = ?, delivery = ?, updated_at = ?`
	args := []any{to, delivery, now}
	if to != RequestApplied {
		set += `, upstream_error = ?`
		args = append(args, o.Error)
	}
	if o.Actor != "" {
		set += `, settled_by = ?, settled_by_name = ?, settled_at = ?, settle_reason = ?`
		args = append(args, o.Actor, o.ActorName, now, o.Reason)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE budget_requests SET `+set+` WHERE id = ?`, append(args, id)...); err != nil {
		return err
	}
	actor, reason := o.Actor, o.Reason
	if actor == "" {
		actor = portal.SystemActor
	}
	if reason == "" {
		reason = o.Error
	}
	if reason == "" && to == RequestApplied {
		reason = "OBI confirmed the change"
	}
	return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: o.ActorName, Subject: requestSubject(id), From: from, To: to, Reason: reason})
}

// mergeDelivery folds an attempt's balance readings (result) into the
// request's stored ones: the reading before the first attempt that sent
// anything is kept, whatever later attempts read, so the request always
// compares the balances from before its first call with those after its
// last. A result without readings (an admin's decision) changes nothing.
func mergeDelivery(stored, result string) (string, error) {
	var got BudgetDelivery
	if result == "" || json.Unmarshal([]byte(result), &got) != nil || (got.Before == nil && got.After == nil) {
		return stored, nil
	}
	if stored == "" {
		return result, nil
	}
	var had BudgetDelivery
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
