package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

func pending(n int, mode string, at time.Time) []Notification {
	out := make([]Notification, n)
	for i := range out {
		out[i] = Notification{ID: int64(i + 1), Mode: mode, Event: Event{Kind: KindRequestCreated, At: at, Title: "Budget request"}}
	}
	return out
}

// planAt7 plans with the digest at 07:00 UTC.
func planAt7(out []Outgoing, now time.Time) []Message { return Plan(out, now, DigestTime(now, 7)) }

// A burst becomes one message a minute per person, at most MaxPerMessage
// notifications each; the digest waits for the digest hour after the last.
func TestPlan_BurstAndDigest(t *testing.T) {
	now := time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)
	ada := User{Subject: "ada", Email: "ada@example.org"}
	out := []Outgoing{{Recipient: ada, LastImmediate: now.Add(-30 * time.Second), Pending: pending(150, ModeImmediate, now)}}
	if msgs := planAt7(out, now); len(msgs) != 0 {
		t.Fatalf("30 s after the last message: %d messages, want none", len(msgs))
	}
	out[0].LastImmediate = now.Add(-Throttle)
	msgs := planAt7(out, now)
	if len(msgs) != 1 || len(msgs[0].Notifications) != MaxPerMessage || msgs[0].Digest {
		t.Fatalf("a minute after: %+v, want one message of %d", len(msgs), MaxPerMessage)
	}
	if s := msgs[0].Subject(); !strings.HasPrefix(s, "100 notifications: Budget request, and 99 more") {
		t.Errorf("subject %q", s)
	}

	// Nobody has had a digest yet: what arrives at 10:30 waits for
	// tomorrow's digest hour, like everything after today's.
	first := []Outgoing{{Recipient: ada, Pending: pending(2, ModeDigest, now)}}
	if msgs := planAt7(first, now.Add(time.Minute)); len(msgs) != 0 {
		t.Errorf("a first digest went out at once, not at the digest hour: %d messages", len(msgs))
	}
	if msgs := planAt7(first, time.Date(2026, 3, 5, 7, 0, 0, 0, time.UTC)); len(msgs) != 1 || len(msgs[0].Notifications) != 2 {
		t.Errorf("a first digest at the next digest hour: %+v", msgs)
	}
	// One that arrived before today's digest hour, one after: the digest
	// due now carries only the first.
	mixed := []Outgoing{{Recipient: ada, Pending: append(pending(1, ModeDigest, now.Add(-4*time.Hour)), pending(1, ModeDigest, now)...)}}
	if msgs := planAt7(mixed, now); len(msgs) != 1 || len(msgs[0].Notifications) != 1 || !msgs[0].Notifications[0].At.Equal(now.Add(-4*time.Hour)) {
		t.Errorf("the digest due at 10:30 with one notification from 06:30 and one from 10:30: %+v", msgs)
	}

	dig := []Outgoing{{Recipient: ada, LastDigest: time.Date(2026, 3, 4, 7, 0, 5, 0, time.UTC), Pending: pending(3, ModeDigest, now)}}
	if msgs := planAt7(dig, now); len(msgs) != 0 {
		t.Errorf("a digest was sent at 07:00 today; another at 10:30: %d messages", len(msgs))
	}
	if msgs := planAt7(dig, time.Date(2026, 3, 5, 6, 59, 0, 0, time.UTC)); len(msgs) != 0 {
		t.Errorf("before tomorrow's digest hour: %d messages", len(msgs))
	}
	msgs = planAt7(dig, time.Date(2026, 3, 5, 7, 0, 0, 0, time.UTC))
	if len(msgs) != 1 || !msgs[0].Digest || len(msgs[0].Notifications) != 3 {
		t.Fatalf("at tomorrow's digest hour: %+v", msgs)
	}
	if s := msgs[0].Subject(); s != "Accounting portal digest of 2026-03-05: 3 notifications" {
		t.Errorf("digest subject %q", s)
	}
}

// Admins cannot switch approval events off (the digest at most);
// members hear of thresholds only when they opt in.
func TestModeFor_AndCheckPref(t *testing.T) {
	if m := ModeFor(KindRequestCreated, AsAdmin, ModeOff, true); m != ModeDigest {
		t.Errorf("an admin's approval events off: %s, want digest", m)
	}
	if err := CheckPref(KindRequestCreated, ModeOff, true); err == nil {
		t.Error("an admin may switch new requests off")
	}
	if err := CheckPref(KindRequestDecided, ModeOff, false); err != nil {
		t.Errorf("a requester may not switch decisions off: %v", err)
	}
	if err := CheckPref("no.such", ModeOff, false); err == nil || !strings.Contains(err.Error(), "no.such") {
		t.Errorf("an unknown kind: %v", err)
	}
	for _, c := range []struct {
		kind string
		rel  Relation
		want string
	}{
		{KindRequestDecided, AsRequester, ModeImmediate},
		{KindThreshold, AsManager, ModeImmediate},
		{KindThreshold, AsMember, ModeOff},
		{KindRequestCreated, AsAdmin, ModeDigest},
		{KindAMIEFailed, AsManager, ModeDigest},
	} {
		if got := ModeFor(c.kind, c.rel, "", c.rel == AsAdmin); got != c.want {
			t.Errorf("default of %s for a %s: %s, want %s", c.kind, c.rel, got, c.want)
		}
	}
}

// A level fires once per period, one event for all levels crossed at
// once, and re-arms when the budget is topped up above it.
func TestEvaluate_OncePerPeriodAndRearm(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	th := Thresholds{Percents: []int{50, 80, 100}}
	m := Measure{Project: "p", Budget: BudgetOBI, Period: "2026-03", Received: decimal.MustParse("1000"), Spent: decimal.MustParse("850")}
	ev := Evaluate(m, th, nil, now)
	if len(ev.Fire) != 2 || ev.Event == nil || !strings.Contains(ev.Event.Title, "(80% threshold)") {
		t.Fatalf("85%% spent: fire %v, event %v", ev.Fire, ev.Event)
	}
	fired := ev.Fire
	if again := Evaluate(m, th, fired, now.Add(time.Hour)); len(again.Fire) != 0 || again.Event != nil {
		t.Errorf("the next evaluation fired again: %v", again.Fire)
	}
	// Topped up: 850 of 2000 is under 50% and 80% again; both re-arm.
	up := m
	up.Received = decimal.MustParse("2000")
	ev = Evaluate(up, th, fired, now.Add(2*time.Hour))
	if len(ev.Rearm) != 2 || ev.Event != nil {
		t.Errorf("after a top-up: rearm %v, event %v", ev.Rearm, ev.Event)
	}
	// Next month is another period: the levels fire again.
	next := m
	next.Period = "2026-04"
	if ev := Evaluate(next, th, fired, now.AddDate(0, 1, 0)); len(ev.Fire) != 2 {
		t.Errorf("a new period: fire %v", ev.Fire)
	}
}
