package obi

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Usage (API.md §5.9, §7, §8): the HTTP layer validates and answers 201;
// the event then goes through the consumer rules, here at once and in
// order. An event the consumer rejects changes nothing and is kept in
// FailedEvents. A byte-identical event within five minutes is dropped, as
// the service's SQS FIFO queues do with content-based deduplication.

// dedupWindow is SQS's deduplication interval.
const dedupWindow = 5 * time.Minute

// maxFailed bounds the failed events kept for inspection.
const maxFailed = 1000

// FailedEvent is a usage event the consumer rejected.
type FailedEvent struct {
	Queue  string // oneshot, longrun or storage
	Time   time.Time
	Event  string // the validated event, canonical
	Reason string
}

type usageQueue struct {
	seen   map[[32]byte]time.Time
	failed []FailedEvent
}

func newUsageQueue() *usageQueue { return &usageQueue{seen: map[[32]byte]time.Time{}} }

// duplicate reports whether the event was already queued within the
// window, and remembers it otherwise.
func (q *usageQueue) duplicate(event string, now time.Time) bool {
	for k, t := range q.seen {
		if now.Sub(t) >= dedupWindow {
			delete(q.seen, k)
		}
	}
	key := sha256.Sum256([]byte(event))
	if _, ok := q.seen[key]; ok {
		return true
	}
	q.seen[key] = now
	return false
}

func (q *usageQueue) fail(queue, event, reason string, now time.Time) {
	if len(q.failed) >= maxFailed {
		q.failed = q.failed[1:]
	}
	q.failed = append(q.failed, FailedEvent{Queue: queue, Time: now, Event: event, Reason: reason})
}

// canonical renders validated values in schema order, so that the same
// event sent with different JSON spellings ("10" or 10) is the same
// message, as the service's serialised queue message is.
func canonical(sc schema, v values) string {
	var b strings.Builder
	for _, f := range sc {
		val, ok := v[f.name]
		if !ok {
			continue
		}
		if t, isTime := val.(time.Time); isTime {
			val = t.Unix()
		}
		fmt.Fprintf(&b, "%s=%v;", f.name, val)
	}
	return b.String()
}

// usageHandler validates with sc, answers 201, and consumes the event.
func (s *Server) usageHandler(c *call, sc schema, queue, message string, consume func(values) string) {
	v, ok := c.bodyOf(sc)
	if !ok {
		return
	}
	event := canonical(sc, v)
	if !s.usage.duplicate(queue+"|"+event, c.now) {
		if reason := consume(v); reason != "" {
			s.usage.fail(queue, event, reason, c.now)
		}
	}
	c.data(http.StatusCreated, message, nil)
}

func (s *Server) handleUsageOneshot(c *call) {
	s.usageHandler(c, usageOneshotIn, typeOneshot, "Oneshot usage received", func(v values) string { return s.consumeOneshot(v) })
}

func (s *Server) handleUsageLongrun(c *call) {
	s.usageHandler(c, usageLongrunIn, typeLongrun, "Longrun usage received", func(v values) string { return s.consumeLongrun(v) })
}

func (s *Server) handleUsageStorage(c *call) {
	s.usageHandler(c, usageStorageIn, typeStorage, "Storage usage received", func(v values) string { return s.consumeStorage(v, c.now) })
}

// consumeOneshot applies a oneshot usage event: the job must exist, be
// unfinished and match the event's project, lab, type and subtype.
func (s *Server) consumeOneshot(v values) string {
	j := s.jobs.byID[v.str("job_id")]
	if j == nil {
		return "job not found"
	}
	if !j.finishedAt.IsZero() {
		return "job is finished"
	}
	if !j.cancelledAt.IsZero() {
		return "job is cancelled"
	}
	proj := s.led.get(v.str("proj_id"), KindProject)
	if proj == nil || j.proj != proj.id || j.vlab != proj.parent || j.kind != typeOneshot || j.subtype != v.str("subtype") {
		return "job does not match the event"
	}
	ts := v.tm("timestamp")
	j.startedAt, j.lastAliveAt, j.finishedAt = ts, ts, ts
	j.count = v.num("count")
	if v.has("name") {
		j.name, j.hasName = v.str("name"), true
	}
	return ""
}

// consumeLongrun applies a longrun status event. Unlike oneshot, type and
// subtype are not checked.
func (s *Server) consumeLongrun(v values) string {
	j := s.jobs.byID[v.str("job_id")]
	if j == nil {
		return "job not found"
	}
	if j.proj != v.str("proj_id") {
		return "job does not match the event"
	}
	ts := v.tm("timestamp")
	switch v.str("status") {
	case "started":
		if !j.finishedAt.IsZero() || !j.cancelledAt.IsZero() {
			return "job is finished or cancelled"
		}
		j.startedAt, j.lastAliveAt = ts, ts
		j.instances, j.instanceType = j.resInstances, j.resInstanceType
		if v.has("instances") {
			j.instances = v.num("instances")
		}
		if v.has("instance_type") {
			j.instanceType = v.str("instance_type")
		}
	case "running":
		if j.startedAt.IsZero() || !j.finishedAt.IsZero() {
			return "job is not running"
		}
		j.lastAliveAt = ts
	case "finished":
		if j.startedAt.IsZero() {
			return "job is not started"
		}
		j.lastAliveAt, j.finishedAt = ts, ts
		if v.has("name") {
			j.name, j.hasName = v.str("name"), true
		}
		s.touch(j)
	}
	return ""
}

// consumeStorage closes the project's open storage job and opens a new
// one with the new size.
func (s *Server) consumeStorage(v values, now time.Time) string {
	proj := s.led.get(v.str("proj_id"), KindProject)
	if proj == nil {
		return "project not found"
	}
	ts := v.tm("timestamp")
	s.openStorage(proj, s.uniqueJobID(), v.num("size"), ts, now)
	return ""
}

// openStorage closes the project's open storage jobs at ts and stores a
// new one of size bytes started at ts.
func (s *Server) openStorage(proj *account, id string, size int64, ts, now time.Time) *job {
	if prev := s.jobs.storage[proj.id]; prev != nil && prev.finishedAt.IsZero() {
		prev.finishedAt = ts
	}
	j := &job{id: id, kind: typeStorage, subtype: "storage", vlab: proj.parent, proj: proj.id,
		createdAt: now, startedAt: ts, lastAliveAt: ts, size: size}
	s.jobs.add(j)
	s.jobs.storage[proj.id] = j
	return j
}
