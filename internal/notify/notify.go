// Package notify is the domain of notifications: the kinds of event the
// portal tells people about, who hears of each, how (at once by e-mail,
// in the daily digest, or not at all) and the budget thresholds that
// raise an event when a project crosses them. It has no SQL and sends
// nothing: the cache writes an event in the transaction of the change
// that causes it, with one notification per recipient; the app plans the
// mail (Due, Group) and the outbox delivers it.
package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kinds of event. The values are stored and are people's preference keys.
const (
	KindRequestCreated = "request.created" // a budget request was made: the admins
	KindRequestPending = "request.pending" // a request waits longer than the reminder age: the admins
	KindRequestDecided = "request.decided" // approved, denied, applied, failed, needs reconciliation: its requester
	KindThreshold      = "budget.threshold"
	KindSourceFailing  = "source.failing" // an upstream's sync fails for longer than the failing time: the admins
	KindAMIEFailed     = "amie.failed"    // AMIE lists new failed records: the managers of their projects
	KindDeliveryFailed = "delivery.failed"
)

// Delivery modes, per person and kind.
const (
	ModeImmediate = "immediate" // by e-mail within a minute (bursts grouped)
	ModeDigest    = "digest"    // in the daily digest
	ModeOff       = "off"       // not at all
)

// Modes lists the modes in the order forms offer them.
var Modes = []string{ModeImmediate, ModeDigest, ModeOff}

// ModeLabel is a mode as people read it.
func ModeLabel(mode string) string {
	switch mode {
	case ModeImmediate:
		return "by e-mail at once"
	case ModeDigest:
		return "in the daily digest"
	case ModeOff:
		return "not at all"
	}
	return mode
}

// Relation is how a recipient is concerned by an event; defaults depend
// on it (a project's managers hear of its thresholds, its members only
// when they opt in).
type Relation string

// Relations.
const (
	AsAdmin     Relation = "admin"
	AsRequester Relation = "requester"
	AsManager   Relation = "manager"
	AsMember    Relation = "member"
	AsSender    Relation = "sender"
)

// Kind describes one kind of event for the preferences page.
type Kind struct {
	Kind        string
	Label       string
	Description string
	// Approval marks the events of the approval workflow that admins
	// cannot switch off (the digest at most).
	Approval bool
	// Default is the mode of people who chose none; AsMember recipients
	// of a kind with OptIn default to off.
	Default string
	OptIn   bool
	// AdminOnly kinds concern admins only (the page shows them to admins).
	AdminOnly bool
}

// Kinds lists every kind of event, in the order the preferences page shows them.
var Kinds = []Kind{
	{Kind: KindRequestDecided, Label: "Decisions on my budget requests", Default: ModeImmediate,
		Description: "A request of yours was approved (perhaps for less, with a note), denied, applied by OBI, failed, or needs reconciliation."},
	{Kind: KindThreshold, Label: "Budget thresholds", Default: ModeImmediate, OptIn: true,
		Description: "A project crossed a share of its budget spent or is about to run out (managers; members who choose it)."},
	{Kind: KindDeliveryFailed, Label: "My pushes and uploads failing", Default: ModeDigest,
		Description: "An ARGO metric push or an AMIE usage upload of yours failed or gave up."},
	{Kind: KindAMIEFailed, Label: "New AMIE failed records", Default: ModeDigest,
		Description: "AMIE could not process usage records of a project you manage."},
	{Kind: KindRequestCreated, Label: "New budget requests", Default: ModeDigest, Approval: true, AdminOnly: true,
		Description: "Someone asked for budget; it waits for an admin's approval."},
	{Kind: KindRequestPending, Label: "Requests left pending", Default: ModeDigest, Approval: true, AdminOnly: true,
		Description: "A request has waited for a decision longer than the reminder age."},
	{Kind: KindSourceFailing, Label: "Failing data sources", Default: ModeDigest, AdminOnly: true,
		Description: "An upstream's sync has failed for longer than the failing time."},
}

// KindOf returns the kind's description (ok false for an unknown kind).
func KindOf(kind string) (Kind, bool) {
	i := slices.IndexFunc(Kinds, func(k Kind) bool { return k.Kind == kind })
	if i < 0 {
		return Kind{}, false
	}
	return Kinds[i], true
}

// KindLabel is a kind as people read it.
func KindLabel(kind string) string {
	if k, ok := KindOf(kind); ok {
		return k.Label
	}
	return kind
}

// ModeFor is the mode a recipient gets an event of kind in: their
// choice (pref, "" for none) or the kind's default. An admin's approval
// events are never off: a choice of off is read as the digest.
func ModeFor(kind string, rel Relation, pref string, admin bool) string {
	k, _ := KindOf(kind)
	mode := pref
	if mode == "" {
		mode = k.Default
		if k.OptIn && rel == AsMember {
			mode = ModeOff
		}
	}
	if mode == ModeOff && admin && k.Approval {
		mode = ModeDigest
	}
	if !slices.Contains(Modes, mode) {
		mode = ModeDigest
	}
	return mode
}

// CheckPref refuses a choice that is not a mode, a kind that does not
// exist, or an admin switching approval events off.
func CheckPref(kind, mode string, admin bool) error {
	k, ok := KindOf(kind)
	if !ok {
		return fmt.Errorf("%q is not a kind of notification", kind)
	}
	if !slices.Contains(Modes, mode) {
		return fmt.Errorf("%s: %q is not one of %s", k.Label, mode, strings.Join(Modes, ", "))
	}
	if admin && k.Approval && mode == ModeOff {
		return fmt.Errorf("%s: admins cannot switch approval events off; choose the daily digest at most", k.Label)
	}
	return nil
}

// Event is something that happened, written in the transaction of the
// change that causes it.
type Event struct {
	ID               int64
	Kind             string
	At               time.Time
	Actor, ActorName string
	// Subject is what it is about, as "<kind>:<id>" (budget_request:12).
	Subject string
	Project string
	// Title is one line; Body a few lines of plain text saying what
	// changed, who changed it and when; Link a path of the portal.
	Title, Body, Link string
}

// Recipient is a person concerned by an event.
type Recipient struct {
	Subject  string
	Relation Relation
	Admin    bool
	// Pref is their choice for the event's kind ("" for none).
	Pref string
}

// Mail states of a notification.
const (
	MailPending   = "pending"
	MailQueued    = "queued"
	MailSent      = "sent"
	MailFailed    = "failed"
	MailUncertain = "uncertain"
	MailNoAddress = "no-address"
	MailUnsent    = "unsent"
)

// MailLabel is a mail state as people read it.
func MailLabel(state, mode string) string {
	switch state {
	case MailPending:
		if mode == ModeDigest {
			return "in the next digest"
		}
		return "to be mailed"
	case MailQueued:
		return "being mailed"
	case MailSent:
		return "mailed"
	case MailFailed:
		return "mail failed"
	case MailUncertain:
		return "mail uncertain"
	case MailNoAddress:
		return "no e-mail address"
	case MailUnsent:
		return "mail not configured"
	}
	return state
}

// Notification is one person's copy of an event.
type Notification struct {
	ID int64
	Event
	Recipient string
	Mode      string
	Read      time.Time
	Mail      string
	OutboxID  int64
}

// Filter selects a person's notifications for their page.
type Filter struct {
	UnreadOnly bool
	Limit      int
	Offset     int
}

// User is a person as their last sign-in described them.
type User struct {
	Subject, Name, Email string
	Admin                bool
	Manages, Member      []string
	FirstSeen, LastSeen  time.Time
}

// OneLine flattens text from outside (an upstream's error, a name) to one
// line: control characters (line feeds included) become spaces, so a
// subject or a line of a mail cannot be split into lines its author wrote.
func OneLine(s string) string {
	return strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)), " ")
}

// Clip shortens s to at most n runes, marking the cut.
func Clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
