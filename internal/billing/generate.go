package billing

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/accounting-portal/portal/internal/portal"
)

// Generate requests: an admin asks VergeOS to write a billing record now.
// A request rides on one outbox item of kind portal.KindVergeOSGenerate,
// recorded in the same transaction, and its state is the item's state:
//
//	queued -> sending -> delivered
//	                  -> queued     (no effect: retried later)
//	                  -> failed     (VergeOS refused it)
//	                  -> dead       (no effect, too many attempts)
//	                  -> verify     (outcome unknown: looked up in VergeOS)
//	                  -> uncertain  (outcome unknown and not looked up: an admin decides)
//	verify -> delivered | queued | dead | verify
//	uncertain -> delivered | failed   (an admin's finding)
//	failed, dead -> queued            (an admin sent it again)
//
// VergeOS's generate is not idempotent, so the portal makes one at a time:
// while a request is on its way (Pending), another is refused (OnItsWay),
// and a double click does not generate two records.

// GenerateRequest is an admin's request to generate a VergeOS billing
// record, with the state of its delivery.
type GenerateRequest struct {
	ID              int64
	RequestedBy     string // subject
	RequestedByName string
	RequestedAt     time.Time
	Note            string
	State           string // an outbox state
	OutboxID        int64
	// SentAt is when the last attempt started; SettledAt when the request
	// reached its state.
	SentAt, SettledAt time.Time
	// ActionKey is the billing_actions row VergeOS created (from its reply).
	ActionKey string
	Error     string
	// Attempts and NextAttempt come from the outbox item.
	Attempts    int
	NextAttempt time.Time
}

// Subject is the request's audit subject and outbox ref.
func (g GenerateRequest) Subject() string { return GenerateRef(g.ID) }

// GenerateRef is request id's audit subject and outbox ref.
func GenerateRef(id int64) string { return "vergeos_generate:" + strconv.FormatInt(id, 10) }

// Pending reports whether the request is still on its way (not settled).
func (g GenerateRequest) Pending() bool { return Pending(g.State) }

// Pending reports whether a request in state (an outbox state) is still on
// its way: queued, being sent, or being looked up.
func Pending(state string) bool {
	return state == portal.OutboxQueued || state == portal.OutboxSending || state == portal.OutboxVerify
}

// OnItsWay is the refusal of a new request while request id is still on
// its way.
func OnItsWay(id int64) error {
	return portal.Errorf(portal.ECONFLICT, "Request %d to generate a billing record is still on its way; wait until it is delivered.", id)
}

// MaxGenerateNote bounds a request's note, in characters.
const MaxGenerateNote = 500

// NoteProblem says what is wrong with a request's note (already trimmed),
// or "" when nothing is.
func NoteProblem(note string) string {
	if n := utf8.RuneCountInString(note); n > MaxGenerateNote {
		return "The note is " + strconv.Itoa(n) + " characters long; keep it to " + strconv.Itoa(MaxGenerateNote) + "."
	}
	return ""
}

// GeneratePayload is the outbox payload of a generate request. The
// deliverer needs nothing from it (the call has no arguments); it names
// the request for whoever reads the outbox.
type GeneratePayload struct {
	Action    string `json:"action"` // always "generate"
	RequestID int64  `json:"request_id"`
}

// GenerateItem is the outbox item that delivers request id, made by actor
// (actorName: their name at the time).
func GenerateItem(id int64, actor, actorName string) portal.OutboxItem {
	payload, _ := json.Marshal(GeneratePayload{Action: "generate", RequestID: id}) // cannot fail
	return portal.OutboxItem{Kind: portal.KindVergeOSGenerate, Upstream: portal.UpstreamVergeOS, Ref: GenerateRef(id),
		Summary: "Generate a VergeOS billing record (request " + strconv.FormatInt(id, 10) + ")", Payload: string(payload), CreatedBy: actor, CreatedByName: actorName}
}

// GenerateResult is what the deliverer keeps with the outbox item:
// VergeOS's reply, the records that existed before the first POST, and
// the record a look-up found.
type GenerateResult struct {
	Status   int    `json:"status,omitempty"`
	Key      string `json:"key,omitempty"`
	Location string `json:"location,omitempty"`
	DBPath   string `json:"dbpath,omitempty"`
	Row      int64  `json:"row,omitempty"`
	// Existing are the keys of the records created since the first send
	// that were there before the first POST (nil: not listed yet).
	Existing []string `json:"existing,omitempty"`
	Listed   bool     `json:"listed,omitempty"`
	// Record is the key of the record a look-up found.
	Record string `json:"record,omitempty"`
}

func (r GenerateResult) String() string {
	b, _ := json.Marshal(r) // marshalling this struct cannot fail
	return string(b)
}

// ActionKey is the key of the billing_actions row VergeOS created, read
// from an outbox item's result; "" when the result names none. It is
// shown, never relied on, so a result that does not parse names none.
func ActionKey(result string) string {
	var r GenerateResult
	json.Unmarshal([]byte(result), &r)
	return r.Key
}

// Settlement is what an outbox outcome does to a generate request.
type Settlement struct {
	State, Error string
	// ActionKey is VergeOS's action key from the outcome's result; ""
	// keeps the one the request has.
	ActionKey string
	// History is the change to record in the request's history; nil when
	// nothing worth recording happened (the same state, no error).
	History *portal.AuditEntry
}

// Settle is what request id, in state from, becomes when its outbox item
// reaches outcome o with result (the item's result): the item's state and
// error, VergeOS's action key if the result names one, and, when the state
// changed or the attempt left an error, a history entry whose reason is
// the admin's, else the error, and whose actor is the admin or the system.
func Settle(id int64, from, result string, o portal.OutboxOutcome) Settlement {
	s := Settlement{State: o.State, Error: o.Error, ActionKey: ActionKey(result)}
	if from == o.State && o.Error == "" {
		return s
	}
	reason := o.Reason
	if reason == "" {
		reason = o.Error
	}
	actor := o.Actor
	if actor == "" {
		actor = portal.SystemActor
	}
	s.History = &portal.AuditEntry{Actor: actor, ActorName: o.ActorName, Subject: GenerateRef(id), From: from, To: o.State, Reason: reason}
	return s
}

// GenerateRequestSorts are the sort keys of the generate requests table.
var GenerateRequestSorts = []string{"id", "state", "settled"}

// GenerateRequestFilter pages the generate requests.
type GenerateRequestFilter struct {
	Sort          string // one of GenerateRequestSorts ("" means id)
	Desc          bool
	Limit, Offset int // Limit 0 means all
}
