package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/portal"
)

// ApproveBudgetRequest approves a pending request and queues its OBI call
// in the outbox, in one transaction. Of two approvals of one request (two
// admins at once, or a button pressed twice) the second gets ECONFLICT
// naming who approved it and when; the call is queued once.
func (db *DB) ApproveBudgetRequest(ctx context.Context, id int64, actor, actorName string) (*budgets.Request, error) {
	return db.ApproveBudgetRequestWith(ctx, id, budgets.Approval{Actor: actor, ActorName: actorName})
}

// ApproveBudgetRequestWith approves a pending request as
// ApproveBudgetRequest does, with the approval's note and, when it names
// one, a smaller amount (budgets.CheckApproval), which the OBI call moves;
// the amount asked stays with the request.
func (db *DB) ApproveBudgetRequestWith(ctx context.Context, id int64, a budgets.Approval) (*budgets.Request, error) {
	actor, actorName := a.Actor, a.ActorName
	var r *budgets.Request
	err := db.write(ctx, func(tx *sql.Tx) error {
		now := db.now()
		cur, err := budgetRequest(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.State != budgets.Pending {
			return budgets.DecidedConflict(cur, "approved again")
		}
		granted, err := budgets.CheckApproval(cur, a)
		if err != nil {
			return err
		}
		approved := ""
		if !granted.Equal(cur.Amount) {
			approved = granted.StringFixed(2)
		}
		res, err := tx.ExecContext(ctx, `UPDATE budget_requests SET state = 'approved', decided_by = ?, decided_by_name = ?, decided_at = ?,
			updated_at = ?, approved_amount = ?, approve_note = ? WHERE id = ? AND state = 'pending'`,
			actor, actorName, now, now, approved, strings.TrimSpace(a.Note), id)
		if err != nil {
			return err
		}
		if r, err = budgetRequest(ctx, tx, id); err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return budgets.DecidedConflict(r, "approved again")
		}
		db.bumpOnCommit(tx, genRequests)
		payload, err := json.Marshal(r.Payload())
		if err != nil {
			return err
		}
		oid, err := db.enqueue(ctx, tx, portal.OutboxItem{Kind: portal.KindOBIBudget, Upstream: portal.UpstreamOBI, Ref: budgets.RequestRef(id),
			Summary: r.OutboxSummary(), Payload: string(payload), CreatedBy: actor, CreatedByName: actorName})
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE budget_requests SET outbox_id = ? WHERE id = ?`, oid, id); err != nil {
			return err
		}
		r.OutboxID = oid
		reason := "queued for OBI as outbox item " + fmt.Sprint(oid)
		if r.Reduced() {
			reason = "approved " + r.Granted().StringFixed(2) + " of the " + r.Amount.StringFixed(2) + " credits asked; " + reason
		}
		if r.ApproveNote != "" {
			reason += ". Note: " + r.ApproveNote
		}
		if err := db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: budgets.RequestRef(id), From: budgets.Pending,
			To: budgets.Approved, Reason: reason}); err != nil {
			return err
		}
		return db.noteRequest(ctx, tx, id, budgets.Approved, actor, actorName)
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
	reason, err := budgets.DenyReason(reason)
	if err != nil {
		return err
	}
	err = db.write(ctx, func(tx *sql.Tx) error {
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
			return budgets.DecidedConflict(r, "denied")
		}
		db.bumpOnCommit(tx, genRequests)
		if err := db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: budgets.RequestRef(id), From: budgets.Pending,
			To: budgets.Denied, Reason: reason}); err != nil {
			return err
		}
		return db.noteRequest(ctx, tx, id, budgets.Denied, actor, actorName)
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
			return budgets.CancelRefused(r, actor)
		}
		db.bumpOnCommit(tx, genRequests)
		return db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: actorName, Subject: budgets.RequestRef(id), From: budgets.Pending,
			To: budgets.Cancelled, Reason: "cancelled by the requester"})
	})
	return wrapRequestErr("cancel", err)
}

// ReconcileBudgetRequest records an admin's finding on a request whose
// OBI call had an unknown outcome: it was applied, or it was not (failed).
// It settles the outbox item from uncertain, and the request with it, in
// one transaction (see SettleBudgetRequest).
func (db *DB) ReconcileBudgetRequest(ctx context.Context, id int64, applied bool, actor, actorName, reason string) error {
	reason, err := budgets.ReconcileReason(reason)
	if err != nil {
		return err
	}
	r, err := db.BudgetRequestByID(ctx, id)
	if err != nil {
		return err
	}
	o, err := budgets.Reconciliation(r, applied, actor, actorName, reason)
	if err != nil {
		return err
	}
	if _, err := db.SettleOutbox(ctx, r.OutboxID, []string{portal.OutboxUncertain}, o); err != nil {
		if portal.ErrorCode(err) == portal.ECONFLICT {
			return budgets.SettledMeanwhile(id)
		}
		return err
	}
	return nil
}

// SettleBudgetRequest is the settler of portal.KindOBIBudget: it moves a
// request with its outbox item, inside the transaction that records the
// item's new state, to the state budgets.StateAfter gives. Every attempt's
// balance readings are merged into the request's (budgets.MergeDelivery):
// the reading before the first attempt is kept.
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
	delivery, err := budgets.MergeDelivery(stored, o.Result)
	if err != nil {
		return fmt.Errorf("cache: budget request %d: %w", id, err)
	}
	to, moves, err := budgets.StateAfter(id, from, o.State)
	if err != nil {
		return err
	}
	if !moves {
		if delivery == stored {
			return nil
		}
		// A retry after an attempt with no effect: its readings still count.
		_, err := tx.ExecContext(ctx, `UPDATE budget_requests SET delivery = ?, updated_at = ? WHERE id = ?`, delivery, db.now(), id)
		return err
	}
	now := db.now()
	set := `state = ?, delivery = ?, updated_at = ?`
	args := []any{to, delivery, now}
	if to != budgets.Applied {
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
	db.bumpOnCommit(tx, genRequests)
	actor := o.Actor
	if actor == "" {
		actor = portal.SystemActor
	}
	if err := db.audit(ctx, tx, portal.AuditEntry{Actor: actor, ActorName: o.ActorName, Subject: budgets.RequestRef(id), From: from, To: to,
		Reason: budgets.SettleReason(to, o)}); err != nil {
		return err
	}
	return db.noteRequest(ctx, tx, id, to, actor, o.ActorName)
}
