package billing

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/portal"
)

// outboxStates are every state an outbox item, and so a generate request,
// can be in.
var outboxStates = []string{portal.OutboxQueued, portal.OutboxSending, portal.OutboxVerify, portal.OutboxDelivered,
	portal.OutboxFailed, portal.OutboxDead, portal.OutboxUncertain}

func TestPending_OnlyWhileOnItsWay(t *testing.T) {
	want := map[string]bool{portal.OutboxQueued: true, portal.OutboxSending: true, portal.OutboxVerify: true}
	for _, st := range outboxStates {
		if got := Pending(st); got != want[st] {
			t.Errorf("Pending(%s) = %v", st, got)
		}
		if got := (GenerateRequest{State: st}).Pending(); got != want[st] {
			t.Errorf("a request %s: Pending() = %v", st, got)
		}
	}
}

// TestSettle walks every request state through every outbox outcome: the
// request takes the item's state and error; the history hears of a change
// of state, or of an attempt that left an error, and of nothing else.
func TestSettle(t *testing.T) {
	for _, from := range outboxStates {
		for _, to := range outboxStates {
			for _, errText := range []string{"", "VergeOS could not be reached"} {
				o := portal.OutboxOutcome{State: to, Error: errText}
				s := Settle(7, from, "", o)
				if s.State != to || s.Error != errText || s.ActionKey != "" {
					t.Errorf("%s on %s (error %q): %+v", from, to, errText, s)
				}
				recorded := from != to || errText != ""
				if (s.History != nil) != recorded {
					t.Errorf("%s on %s (error %q): history %+v, want one: %v", from, to, errText, s.History, recorded)
					continue
				}
				if recorded {
					want := portal.AuditEntry{Actor: portal.SystemActor, Subject: "vergeos_generate:7", From: from, To: to, Reason: errText}
					if *s.History != want {
						t.Errorf("%s on %s (error %q): history %+v, want %+v", from, to, errText, *s.History, want)
					}
				}
			}
		}
	}
}

func TestSettle_AnAdminsFindingAndVergeOSsReply(t *testing.T) {
	// An admin settles an unknown outcome: their name and reason go in the history.
	o := portal.OutboxOutcome{State: portal.OutboxFailed, Error: "not applied", Actor: "sub-admin", ActorName: "Ada Admin", Reason: "no record in VergeOS"}
	s := Settle(3, portal.OutboxUncertain, "", o)
	want := portal.AuditEntry{Actor: "sub-admin", ActorName: "Ada Admin", Subject: "vergeos_generate:3", From: portal.OutboxUncertain,
		To: portal.OutboxFailed, Reason: "no record in VergeOS"}
	if s.History == nil || *s.History != want || s.Error != "not applied" {
		t.Fatalf("admin's finding: %+v %+v", s, s.History)
	}
	// VergeOS's reply names its action; a look-up's result does not, and keeps the stored key.
	if s := Settle(3, portal.OutboxSending, `{"status":201,"key":"17","listed":true}`, portal.OutboxOutcome{State: portal.OutboxDelivered}); s.ActionKey != "17" {
		t.Errorf("delivered: action key %q", s.ActionKey)
	}
	if s := Settle(3, portal.OutboxVerify, `{"listed":true,"record":"40"}`, portal.OutboxOutcome{State: portal.OutboxDelivered}); s.ActionKey != "" {
		t.Errorf("found by a look-up: action key %q", s.ActionKey)
	}
}

func TestActionKey_BestEffort(t *testing.T) {
	for result, want := range map[string]string{`{"key":"17"}`: "17", `{"status":201}`: "", "": "", "not json": "", `{"key":5}`: ""} {
		if got := ActionKey(result); got != want {
			t.Errorf("ActionKey(%q) = %q, want %q", result, got, want)
		}
	}
}

func TestGenerateResult_KeepsItsFields(t *testing.T) {
	r := GenerateResult{Status: 201, Key: "17", Location: "/api/v4/billing_actions/17", DBPath: "billing_actions/17", Row: 17,
		Existing: []string{"a", "b"}, Listed: true, Record: "40"}
	var back GenerateResult
	if err := json.Unmarshal([]byte(r.String()), &back); err != nil || back.Key != r.Key || back.Record != r.Record ||
		len(back.Existing) != 2 || !back.Listed || back.Row != 17 || back.Status != 201 {
		t.Fatalf("%s -> %+v %v", r, back, err)
	}
	if got := (GenerateResult{Listed: true}).String(); got != `{"listed":true}` {
		t.Errorf("empty fields are left out: %s", got)
	}
}

func TestOnItsWay(t *testing.T) {
	err := OnItsWay(4)
	if portal.ErrorCode(err) != portal.ECONFLICT || portal.ErrorMessage(err) != "Request 4 to generate a billing record is still on its way; wait until it is delivered." {
		t.Fatalf("%v", err)
	}
}

func TestNoteProblem_CountsCharacters(t *testing.T) {
	if p := NoteProblem(strings.Repeat("é", MaxGenerateNote)); p != "" {
		t.Errorf("a note of %d characters (more bytes): %q", MaxGenerateNote, p)
	}
	if p := NoteProblem(strings.Repeat("n", MaxGenerateNote+1)); p != "The note is 501 characters long; keep it to 500." {
		t.Errorf("too long: %q", p)
	}
	if p := NoteProblem(""); p != "" {
		t.Errorf("no note: %q", p)
	}
}

func TestGenerateItem(t *testing.T) {
	it := GenerateItem(12, "sub-admin", "Ada Admin")
	if it.Kind != portal.KindVergeOSGenerate || it.Upstream != portal.UpstreamVergeOS || it.Ref != "vergeos_generate:12" ||
		it.CreatedBy != "sub-admin" || it.CreatedByName != "Ada Admin" || it.Summary != "Generate a VergeOS billing record (request 12)" {
		t.Fatalf("%+v", it)
	}
	// The payload stored with items made before GeneratePayload existed.
	if it.Payload != `{"action":"generate","request_id":12}` {
		t.Errorf("payload %s", it.Payload)
	}
	if (GenerateRequest{ID: 12}).Subject() != it.Ref {
		t.Errorf("the request's subject is not its item's ref")
	}
}
