package portal

import "time"

// The five kinds of outbox item: one per write the portal makes to an
// upstream, named Kind<upstream><what>. The values are stored with each
// item and must never change. internal/outbox/kinds.go has the table that
// says, for each, who delivers it and what its outcome changes.
const (
	KindOBIBudget       = "obi.budget"       // an approved budget request
	KindARGOMetric      = "argo.metric"      // a metric push
	KindAMIEUsage       = "amie.usage"       // one request of a usage upload
	KindAMIEClear       = "amie.clear"       // a request to clear failed records
	KindVergeOSGenerate = "vergeos.generate" // a request to generate a billing record
)

// OutboxKinds lists every outbox kind.
var OutboxKinds = []string{KindOBIBudget, KindARGOMetric, KindAMIEUsage, KindAMIEClear, KindVergeOSGenerate}

// Outbox states. A write is recorded (queued) in the same transaction as
// the request it delivers, then the dispatcher moves it along:
//
//	queued -> sending -> delivered
//	                  -> queued     (provably no effect: retry later, with backoff)
//	                  -> failed     (the upstream refused it; its reason is kept)
//	                  -> dead       (provably no effect, too many attempts)
//	                  -> verify     (outcome unknown: to be looked up in the upstream)
//	                  -> uncertain  (outcome unknown and cannot be looked up: an admin decides)
//	verify -> delivered (found) | queued (provably absent: sent again) | dead | verify (look-up failed)
//	uncertain -> delivered | failed (an admin's finding)
//
// "sending" is written before the upstream is called, so an item found in
// that state after a restart has an unknown outcome and is never simply resent.
const (
	OutboxQueued    = "queued"
	OutboxSending   = "sending"
	OutboxVerify    = "verify"
	OutboxDelivered = "delivered"
	OutboxFailed    = "failed"
	OutboxUncertain = "uncertain"
	OutboxDead      = "dead"
)

// OutboxStates lists the states in the order of their lifecycle.
var OutboxStates = []string{OutboxQueued, OutboxSending, OutboxVerify, OutboxDelivered, OutboxFailed, OutboxUncertain, OutboxDead}

// OutboxMaxAttempts is how often a write with no effect is tried before it
// is dead (an admin's "send again" allows as many more).
const OutboxMaxAttempts = 8

// OutboxItem is one write to deliver to an upstream.
type OutboxItem struct {
	ID            int64
	Kind          string // one of OutboxKinds
	Upstream      string
	Ref           string // what it delivers, as "<kind>:<id>"
	Summary       string
	Payload       string // JSON
	State         string
	Attempts      int
	MaxAttempts   int
	NextAttemptAt time.Time
	LastError     string
	Result        string
	CreatedBy     string
	Created       time.Time
	Updated       time.Time
	// FirstSent is when the item was first claimed for sending (zero
	// before): a look-up of a write that carries no id of the portal's
	// searches the upstream from then.
	FirstSent time.Time
	// UnknownAttempts counts the attempts whose outcome was unknown
	// (settled to verify or uncertain). After one, an upstream's "already
	// exists" may be the write's own earlier arrival.
	UnknownAttempts int
}

// OutboxOutcome is how an attempt (or a look-up, or an admin) settled an item.
type OutboxOutcome struct {
	State  string // the new state
	Error  string // the upstream's reason, for failed/queued/uncertain/dead
	Result string // what the upstream answered on success (JSON), or what a look-up found
	// NextAttempt is when a queued or verify item is due again.
	NextAttempt time.Time
	// Actor and Reason record who settled it, for admin decisions.
	Actor, ActorName, Reason string
}

// OutboxAttempt is one delivery attempt.
type OutboxAttempt struct {
	Started, Finished time.Time
	Outcome, Error    string
	// Result is what the attempt read or got back (JSON), whatever its
	// outcome: an OBI call's balance readings, an upstream's answer.
	Result string
}

// OutboxFilter selects outbox items for the admin page.
type OutboxFilter struct {
	States []string
	Limit  int
	Offset int
}

// SystemActor is the actor of changes the portal makes by itself.
const SystemActor = "system"

// AuditEntry is one recorded state change.
type AuditEntry struct {
	At        time.Time
	Actor     string
	ActorName string
	Subject   string
	From, To  string
	Reason    string
}

// OutboxStat is how many outbox items of a kind are in a state, and when
// the oldest of them was made (the operators' metrics).
type OutboxStat struct {
	Kind, State string
	Items       int64
	Oldest      time.Time
}
