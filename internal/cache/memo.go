package cache

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/accounting-portal/portal/internal/portal"
)

// Some answers depend only on what syncs write: the data status of the
// upstreams, the budgets overview, the billing summary, series and
// reconciliation. Each such answer is kept in memory with the generation
// of the data it was read from, and read again once that moves: every
// commit that changes such data moves its generation, after the commit.
//
// A reader takes the generation before it reads, so an answer is never
// kept under a generation newer than its data: at worst it is read again
// once more than needed.

// Generations that answers depend on, besides the upstreams' names.
const (
	genRuns    = "sync runs"
	genCatalog = "catalogue"
	// genAMIEFailed is AMIE's failed records (a sync or a confirmed clear).
	genAMIEFailed = "amie failed"
	// genAMIEStatus is AMIE's processing status per resource and day.
	genAMIEStatus = "amie status"
	// genNotifications is the notifications: one written, one read.
	genNotifications = "notifications"
	// genRequests is the budget requests: one created, decided, settled.
	genRequests = "budget requests"
	// genSessions is the sign-in sessions: one created, touched, ended.
	genSessions = "sessions"
)

// gens holds the generation counters, by name.
type gens struct{ m sync.Map } // string -> *atomic.Uint64

func (g *gens) counter(name string) *atomic.Uint64 {
	if c, ok := g.m.Load(name); ok {
		return c.(*atomic.Uint64)
	}
	c, _ := g.m.LoadOrStore(name, new(atomic.Uint64))
	return c.(*atomic.Uint64)
}

// gen returns the current generation of the names, as one key.
func (db *DB) gen(names ...string) string {
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(uitoa(db.gens.counter(n).Load()))
		b.WriteByte(';')
	}
	return b.String()
}

// bump moves the generations of the names: their data has changed.
func (db *DB) bump(names ...string) {
	for _, n := range names {
		db.gens.counter(n).Add(1)
	}
}

func uitoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// memo keeps answers by key, each with the generation it was read at.
// It holds at most memoSize answers; past that it starts again empty
// (answers are cheap to read again, and a bound keeps memory flat).
type memo struct {
	mu sync.Mutex
	m  map[string]memoEntry
}

type memoEntry struct {
	gen string
	v   any
}

const memoSize = 512

// remembered returns the answer kept for key at generation gen, or reads
// it with load and keeps it. copyOut gives each caller a copy of its own
// when T holds slices or maps a caller could change.
func remembered[T any](db *DB, key, gen string, load func() (T, error), copyOut func(T) T) (T, error) {
	return rememberedIn(&db.memo, key, gen, load, copyOut)
}

// rememberedIn is remembered with the answers kept in m.
func rememberedIn[T any](m *memo, key, gen string, load func() (T, error), copyOut func(T) T) (T, error) {
	m.mu.Lock()
	e, ok := m.m[key]
	m.mu.Unlock()
	if ok && e.gen == gen {
		return copyOut(e.v.(T)), nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	m.mu.Lock()
	if m.m == nil || len(m.m) >= memoSize {
		m.m = map[string]memoEntry{}
	}
	m.m[key] = memoEntry{gen: gen, v: v}
	m.mu.Unlock()
	return copyOut(v), nil
}

// same is copyOut for values a caller cannot change.
func same[T any](v T) T { return v }

// scopeKey is a scope as part of a memo key.
func scopeKey(s portal.Scope) string {
	if s.All {
		return "all"
	}
	return "p:" + strings.Join(portal.NormalizeProjects(s.Projects), ",")
}
