package outbox

import (
	"context"
	"database/sql"

	"github.com/accounting-portal/portal/internal/portal"
)

// Unknown says what happens to a write whose outcome is unknown (the
// transport's EUNCERTAIN: sent, and no answer proves its fate).
type Unknown int

const (
	// LookUp: the item goes to verify and the deliverer, a Checker, looks
	// the write up in the upstream; found is delivered, proof of absence
	// sends it again.
	LookUp Unknown = iota + 1
	// AskAdmin: the item goes to uncertain and an admin decides; the
	// portal never sends it again by itself.
	AskAdmin
)

func (u Unknown) String() string {
	switch u {
	case LookUp:
		return "looked up"
	case AskAdmin:
		return "left to an admin"
	}
	return "not said"
}

// Settler applies an item's new state to the request it delivers, inside
// the transaction that records the state (see cache.Settler, the same type).
type Settler = func(ctx context.Context, tx *sql.Tx, item portal.OutboxItem, o portal.OutboxOutcome) error

// Kind is one row of the outbox table: what happens to the writes of one kind.
type Kind struct {
	Name     string // one of portal.OutboxKinds
	Upstream string
	// Deliver makes the call; nil when the upstream is not configured
	// (such items fail, saying so).
	Deliver Deliverer
	// Unknown says what an unknown outcome leads to; LookUp needs a
	// Deliver that is a Checker.
	Unknown Unknown
	// Settle moves the request the item delivers with every change of the
	// item's state: an attempt, a look-up, recovery after a restart, an
	// admin's decision or "send again".
	Settle Settler
}

// Settlers are the settlers of the kinds; *cache.DB implements it.
type Settlers interface {
	SettleBudgetRequest(ctx context.Context, tx *sql.Tx, item portal.OutboxItem, o portal.OutboxOutcome) error
	SettleMetricPush(ctx context.Context, tx *sql.Tx, item portal.OutboxItem, o portal.OutboxOutcome) error
	SettleUsageChunk(ctx context.Context, tx *sql.Tx, item portal.OutboxItem, o portal.OutboxOutcome) error
	SettleUsageClear(ctx context.Context, tx *sql.Tx, item portal.OutboxItem, o portal.OutboxOutcome) error
	SettleGenerateRequest(ctx context.Context, tx *sql.Tx, item portal.OutboxItem, o portal.OutboxOutcome) error
	SettleMailMessage(ctx context.Context, tx *sql.Tx, item portal.OutboxItem, o portal.OutboxOutcome) error
}

// Deliverers are the deliverers of the kinds, built by the app from its
// upstream clients; a field is nil when its upstream is not configured.
type Deliverers struct {
	OBIBudget       Deliverer // OBIBudget
	ARGOMetric      Deliverer // ArgoMetric
	AMIEUsage       Deliverer // *AMIEUsage
	AMIEClear       Deliverer // *AMIEClear
	VergeOSGenerate Deliverer // *VergeOSGenerate
	Mail            Deliverer // Mail
}

// Table is the outbox table: for each kind, which upstream it writes to,
// who delivers it, what an unknown outcome leads to, and which settler
// moves its request. It is the one place that answers "what happens to
// kind K when the upstream does X" (the dispatcher's rules, in outbox.go,
// are the same for every kind).
func Table(s Settlers, d Deliverers) []Kind {
	return []Kind{
		// OBI's budget calls are not idempotent and cannot be looked up
		// (no ledger endpoint): an unknown outcome goes to an admin, who
		// sees the balances read around each attempt.
		{Name: portal.KindOBIBudget, Upstream: portal.UpstreamOBI, Deliver: d.OBIBudget, Unknown: AskAdmin, Settle: s.SettleBudgetRequest},
		// A metric is looked up by installation, definition and period.
		{Name: portal.KindARGOMetric, Upstream: portal.UpstreamArgo, Deliver: d.ARGOMetric, Unknown: LookUp, Settle: s.SettleMetricPush},
		// Records are looked up by resource and LocalRecordID.
		{Name: portal.KindAMIEUsage, Upstream: portal.UpstreamAMIE, Deliver: d.AMIEUsage, Unknown: LookUp, Settle: s.SettleUsageChunk},
		// A clear is confirmed by reading the failed records back.
		{Name: portal.KindAMIEClear, Upstream: portal.UpstreamAMIE, Deliver: d.AMIEClear, Unknown: LookUp, Settle: s.SettleUsageClear},
		// The record a generate wrote is looked for among those created since.
		{Name: portal.KindVergeOSGenerate, Upstream: portal.UpstreamVergeOS, Deliver: d.VergeOSGenerate, Unknown: LookUp, Settle: s.SettleGenerateRequest},
		// SMTP has no way to ask whether a message arrived: a connection
		// lost after DATA goes to an admin, and is never sent again by
		// itself (a reader would get it twice).
		{Name: portal.KindMailMessage, Upstream: portal.UpstreamSMTP, Deliver: d.Mail, Unknown: AskAdmin, Settle: s.SettleMailMessage},
	}
}
