package notify

import (
	"fmt"
	"time"
)

// Throttle is the least time between two immediate messages to one
// person: a burst of events becomes one message a minute, grouped.
const Throttle = time.Minute

// MaxPerMessage bounds the notifications one message carries; the rest
// go in the next one.
const MaxPerMessage = 100

// Outgoing is a person with notifications waiting to be mailed.
type Outgoing struct {
	Recipient     User
	LastImmediate time.Time
	LastDigest    time.Time
	// Pending are the person's notifications waiting for mail, oldest first.
	Pending []Notification
}

// Message is one e-mail the planner decided to send: to one person,
// carrying one or more of their notifications.
type Message struct {
	Recipient     User
	Digest        bool
	Notifications []Notification
	// Date is when the planner made it (the digest's day).
	Date time.Time
}

// DigestTime is the latest digest time at or before now: today at hour
// (UTC) if that has passed, else yesterday's.
func DigestTime(now time.Time, hour int) time.Time {
	now = now.UTC()
	t := time.Date(now.Year(), now.Month(), now.Day(), hour, 0, 0, 0, time.UTC)
	if t.After(now) {
		t = t.AddDate(0, 0, -1)
	}
	return t
}

// Plan decides which messages are due now. A person's immediate
// notifications go in one message when their last immediate message was
// at least Throttle ago. Their digest carries what arrived up to
// digestAt (the day's digest time, DigestTime, or now for a digest sent
// at once), when they have had no digest since: what arrives after it
// waits for the next day's, so a person's first digest, too, goes out at
// the digest hour. Each message carries at most MaxPerMessage
// notifications, oldest first; the rest wait for the next.
func Plan(out []Outgoing, now, digestAt time.Time) []Message {
	var msgs []Message
	for _, o := range out {
		var imm, dig []Notification
		for _, n := range o.Pending {
			if n.Mode == ModeDigest {
				if !n.At.After(digestAt) {
					dig = append(dig, n)
				}
			} else {
				imm = append(imm, n)
			}
		}
		if len(imm) > 0 && now.Sub(o.LastImmediate) >= Throttle {
			msgs = append(msgs, Message{Recipient: o.Recipient, Notifications: imm[:min(len(imm), MaxPerMessage)], Date: now})
		}
		if len(dig) > 0 && o.LastDigest.Before(digestAt) {
			msgs = append(msgs, Message{Recipient: o.Recipient, Digest: true, Notifications: dig[:min(len(dig), MaxPerMessage)], Date: now})
		}
	}
	return msgs
}

// Subject is the message's subject line: the event's title for one
// notification, the first title and how many more for several, and the
// digest's day and size for a digest.
func (m Message) Subject() string {
	n := len(m.Notifications)
	switch {
	case m.Digest:
		return fmt.Sprintf("Accounting portal digest of %s: %s", m.Date.UTC().Format("2006-01-02"), plural(n, "notification"))
	case n == 1:
		return Clip(OneLine(m.Notifications[0].Title), 160)
	}
	return Clip(fmt.Sprintf("%d notifications: %s, and %d more", n, OneLine(m.Notifications[0].Title), n-1), 160)
}

// IDs returns the notifications' ids.
func (m Message) IDs() []int64 {
	ids := make([]int64, len(m.Notifications))
	for i, n := range m.Notifications {
		ids[i] = n.ID
	}
	return ids
}
