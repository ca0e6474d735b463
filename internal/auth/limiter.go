package auth

import (
	"net/netip"
	"sync"
	"time"
)

// failures counts failed sign-in attempts per client address in memory,
// in windows of a fixed length. It writes nothing to the database, so
// however much traffic arrives, the cost is one small map entry per
// address, and the map is bounded: when it is full, lapsed entries go
// first, then arbitrary ones. Losing an entry only forgets failures; it
// never refuses anyone.
type failures struct {
	mu      sync.Mutex
	window  time.Duration
	max     int
	entries map[netip.Prefix]failEntry
}

type failEntry struct {
	since time.Time
	n     int
}

func newFailures(window time.Duration, max int) *failures {
	return &failures{window: window, max: max, entries: map[netip.Prefix]failEntry{}}
}

// count returns the failures of the client's window at now.
func (f *failures) count(client netip.Prefix, now time.Time) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[client]
	if !ok || now.Sub(e.since) >= f.window {
		return 0
	}
	return e.n
}

// add records a failure of the client at now.
func (f *failures) add(client netip.Prefix, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[client]
	if !ok || now.Sub(e.since) >= f.window {
		e = failEntry{since: now}
	}
	e.n++
	if !ok && len(f.entries) >= f.max {
		f.evict(now)
	}
	f.entries[client] = e
}

// evict makes room: every lapsed entry, or else one arbitrary entry.
func (f *failures) evict(now time.Time) {
	for k, e := range f.entries {
		if now.Sub(e.since) >= f.window {
			delete(f.entries, k)
		}
	}
	for k := range f.entries {
		if len(f.entries) < f.max {
			return
		}
		delete(f.entries, k)
	}
}
