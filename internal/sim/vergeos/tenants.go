package vergeos

import (
	"fmt"
	"math"

	"github.com/accounting-portal/portal/internal/sim/world"
)

// Per-tenant usage. The billing table is system-wide (API.md §4); VergeOS
// keeps each tenant's usage in tables of its own, which pyvergeos reads in
// pyvergeos/resources/tenant_stats.py (TenantStatsManager, read at
// verge-io/pyVergeOS 095784d8) and whose shapes its tests pin down
// (tests/unit/test_tenant_stats.py @ 2d7748de, tests/integration/
// test_tenant_stats.py @ e42e6f80). The simulator serves what those calls
// send, unchanged:
//
//   - tenant.stats.history_short(limit, offset, since, until) and
//     history_long(...) send GET /api/v4/tenant_stats_history_short (or
//     _long) with filter "tenant eq <tenant $key>", joined by " and " with
//     "timestamp ge <since>" and "timestamp le <until>" (Unix seconds; either
//     may be left out), fields = the 40 columns of _history_fields joined by
//     commas, sort=-timestamp, and limit/offset only when given. The answer
//     is a JSON list (the SDK also takes one object or an empty body).
//   - tenant.stats.get() sends GET /api/v4/tenant_stats with filter
//     "tenant eq <key>", fields=$key,tenant,ram_used,last_update and limit=1,
//     and takes the first row; an empty list is NotFoundError.
//   - client.tenants.list() and tenants.get(name=...) (resources/
//     tenant_manager.py) send GET /api/v4/tenants with filter
//     "is_snapshot eq false" (ANDed with "name eq '<name>'" for get), a long
//     field list with traversals ("status#running as running", ...) that
//     this simulator leaves out as it leaves out any column it does not
//     have, and limit. A Tenant's key is its "$key".
//
// Units, as the SDK documents them: timestamps and last_update in Unix
// seconds; ram_used, vram_used and ram_allocated in MB; tierN_provisioned,
// tierN_used and tierN_allocated in bytes (note "tier0_used", where the
// billing table says "tier_0_used"); total_cpu and every *_pct in percent;
// core_count, gpus_* and vgpus_* and ip_count are counts.
//
// What the SDK does not say and the simulator chooses: the long history
// holds one sample per tenant at the end of every hour of the billing
// history (so it starts where billing does and grows by one row per tenant
// an hour); the short history one sample every 5 minutes over the last 24
// hours. Each sample is the tenant's gauges at its timestamp. $key numbers
// rows in time order (all tenants of one instant, then the next), as an
// append-only table written every step would.

// Sampling of the history tables.
const (
	longStep  = hour      // seconds between samples of tenant_stats_history_long
	shortStep = 5 * 60    // seconds between samples of tenant_stats_history_short
	shortKeep = 24 * hour // how far back the short history reaches
)

// maxTenants bounds the seeded tenants whatever the scale: the history
// tables grow with tenants × hours.
const maxTenants = 6

// Columns of the tenants table the simulator has (tenant_manager.py's
// TENANT_DEFAULT_FIELDS without the traversals).
const (
	tnKey fieldID = iota
	tnName
	tnDescription
	tnUUID
	tnCreated
	tnIsSnapshot
	tnNote
	numTenantFields
)

var tenantSchema = newSchema([]string{"$key", "name", "description", "uuid", "created", "is_snapshot", "note"},
	map[string]kind{"name": kindText, "description": kindText, "uuid": kindText, "note": kindText, "is_snapshot": kindBool})

// Columns of tenant_stats (the SDK's _default_fields).
const (
	tsKey fieldID = iota
	tsTenant
	tsRAMUsed
	tsLastUpdate
)

var tenantStatsSchema = newSchema([]string{"$key", "tenant", "ram_used", "last_update"}, nil)

// Columns of the history tables, in the order of the SDK's _history_fields.
const (
	hKey fieldID = iota
	hTenant
	hTimestamp
	hTotalCPU
	hCoreCount
	hRAMUsed
	hVRAMUsed
	hRAMAllocated
	hRAMPct
	hIPCount
	// tier N's provisioned, used, allocated and pct columns follow at
	// hTier0Provisioned+4N (see histTier).
	hTier0Provisioned
)

const (
	hGPUsUsed = hTier0Provisioned + 4*numTiers + fieldID(iota)
	hGPUsTotal
	hGPUsPct
	hVGPUsUsed
	hVGPUsTotal
	hVGPUsPct
	numHistFields
)

var historySchema = func() schema {
	names := []string{"$key", "tenant", "timestamp", "total_cpu", "core_count", "ram_used", "vram_used", "ram_allocated", "ram_pct", "ip_count"}
	for n := range numTiers {
		for _, part := range []string{"provisioned", "used", "allocated", "pct"} {
			names = append(names, fmt.Sprintf("tier%d_%s", n, part))
		}
	}
	names = append(names, "gpus_used", "gpus_total", "gpus_pct", "vgpus_used", "vgpus_total", "vgpus_pct")
	return newSchema(names, nil)
}()

func histTier(n int, part int) fieldID { return hTier0Provisioned + fieldID(4*n+part) }

// tenant is a seeded tenant and the shape of its usage.
type tenant struct {
	key                    int64
	name, description, uid string
	created                int64
	cores                  int64   // allocated cores
	grow                   int64   // cores added at resizeAt (0: never resized)
	resizeAt               int64   // when the tenant was resized (Unix seconds)
	ramPerCoreMB           int64   // allocated RAM per core
	busy                   float64 // base CPU level
	ips                    int64
	provisioned            [numTiers]int64 // bytes per tier (0: the tier is not used)
	usedShare              [numTiers]float64
	growth                 [numTiers]float64 // yearly growth of used, as a share of provisioned
	gpus, vgpus            int64
}

// TenantInfo is a seeded tenant as tests see it.
type TenantInfo struct {
	Key     int64
	Name    string
	Project string // the world project it was made for
}

// TenantName is the name of the tenant seeded for a world project.
func TenantName(projectKey string) string { return projectKey + "-vdc" }

// tenantGen computes the tenants' usage at any instant from the seed.
type tenantGen struct {
	g       *generator
	tenants []tenant
}

const gib = int64(1) << 30

// newTenantGen seeds a tenant for each of the first world projects (at
// most maxTenants), named after the project ("<key>-vdc"), with sizes
// that differ from tenant to tenant: the first has GPUs and grows by 8
// cores two thirds into the history, the third has vGPUs.
func newTenantGen(w *world.World, g *generator) *tenantGen {
	tg := &tenantGen{g: g}
	n := min(len(w.Projects), maxTenants)
	for i := range n {
		p := w.Projects[i]
		t := tenant{
			key: int64(i + 1), name: TenantName(p.Key), description: "Virtual data centre of " + p.Name,
			uid: w.UUID("vergeos/tenant", i), created: g.start - int64(200+30*i)*86400,
			cores: []int64{16, 32, 24, 8, 48, 12}[i%6], ramPerCoreMB: []int64{4096, 8192, 4096, 2048, 4096, 6144}[i%6],
			busy: []float64{0.35, 0.2, 0.45, 0.1, 0.3, 0.25}[i%6], ips: int64(2 + i),
		}
		t.provisioned[1], t.usedShare[1], t.growth[1] = int64(2+i)*1024*gib, 0.4, 0.3
		t.provisioned[2], t.usedShare[2], t.growth[2] = int64(8+2*i)*1024*gib, 0.3, 0.2
		if i%2 == 0 {
			t.provisioned[0], t.usedShare[0], t.growth[0] = 512*gib, 0.5, 0.2
		}
		switch i {
		case 0:
			t.gpus, t.grow, t.resizeAt = 2, 8, g.start+int64(g.days)*86400*2/3
		case 2:
			t.vgpus = 4
		}
		tg.tenants = append(tg.tenants, t)
	}
	return tg
}

// byKey returns the index of the tenant with key, or -1.
func (tg *tenantGen) byKey(key int64) int {
	if key >= 1 && key <= int64(len(tg.tenants)) {
		return int(key - 1)
	}
	return -1
}

// sample returns tenant i's gauges at ts as a history row (key and
// timestamp are the caller's).
func (tg *tenantGen) sample(i int, ts int64) histRow {
	t := &tg.tenants[i]
	g := tg.g
	var r histRow
	ft := float64(ts)
	wk := weekly(ft)
	lbl := uint64(100 + 16*i) // each tenant its own noise streams
	r.v[hTenant], r.v[hTimestamp] = t.key, ts

	cores := t.cores
	if t.grow > 0 && ts >= t.resizeAt {
		cores += t.grow
	}
	r.v[hCoreCount] = cores
	cpu := clamp(t.busy+0.5*daily(ft, 0)*wk+g.noise(lbl+labelCPU, ft, 0.08), 0.01, 0.99)
	r.v[hTotalCPU] = int64(math.Round(100 * cpu))

	alloc := cores * t.ramPerCoreMB
	ram := clamp(0.45+0.3*daily(ft, 2)*wk+g.noise(lbl+labelRAM, ft, 0.05), 0.05, 0.97)
	r.v[hRAMAllocated] = alloc
	r.v[hRAMUsed] = int64(math.Round(ram * float64(alloc)))
	r.v[hVRAMUsed] = r.v[hRAMUsed] + r.v[hRAMUsed]/8
	r.v[hRAMPct] = pct(r.v[hRAMUsed], alloc)
	r.v[hIPCount] = t.ips

	years := math.Max(0, (ft-float64(g.start))/(365*86400))
	churn := g.noise(lbl+labelStorage, ft, 0.003)
	for n := range numTiers {
		prov := t.provisioned[n]
		if prov == 0 {
			continue
		}
		share := clamp(t.usedShare[n]+t.growth[n]*years*t.usedShare[n]+churn, 0, 0.98)
		used := int64(share * float64(prov))
		r.v[histTier(n, 0)], r.v[histTier(n, 1)] = prov, used
		r.v[histTier(n, 2)] = used + (prov-used)/4
		r.v[histTier(n, 3)] = pct(used, prov)
	}

	if t.gpus > 0 {
		u := clamp(0.3+0.6*daily(ft, -1)*wk+g.noise(lbl+labelGPU, ft, 0.2), 0, 1)
		r.v[hGPUsTotal], r.v[hGPUsUsed] = t.gpus, int64(math.Round(u*float64(t.gpus)))
		r.v[hGPUsPct] = pct(r.v[hGPUsUsed], t.gpus)
	}
	if t.vgpus > 0 {
		u := clamp(0.35+0.5*daily(ft, 1)*wk+g.noise(lbl+labelVGPU, ft, 0.15), 0, 1)
		r.v[hVGPUsTotal], r.v[hVGPUsUsed] = t.vgpus, int64(math.Round(u*float64(t.vgpus)))
		r.v[hVGPUsPct] = pct(r.v[hVGPUsUsed], t.vgpus)
	}
	return r
}

// pct is part/whole in whole percent (0 without a whole).
func pct(part, whole int64) int64 {
	if whole == 0 {
		return 0
	}
	return int64(math.Round(100 * float64(part) / float64(whole)))
}

// histRow is a row of a history table.
type histRow struct{ v [numHistFields]int64 }

func (r *histRow) num(f fieldID) int64 { return r.v[f] }

func (r *histRow) str(fieldID) string { return "" }

// tenantRow is a row of the tenants table.
type tenantRow struct{ t *tenant }

func (r tenantRow) num(f fieldID) int64 {
	switch f {
	case tnKey:
		return r.t.key
	case tnCreated:
		return r.t.created
	}
	return 0 // is_snapshot: false
}

func (r tenantRow) str(f fieldID) string {
	switch f {
	case tnName:
		return r.t.name
	case tnDescription:
		return r.t.description
	case tnUUID:
		return r.t.uid
	}
	return ""
}

// statsRow is a row of tenant_stats.
type statsRow struct{ v [4]int64 }

func (r *statsRow) num(f fieldID) int64 { return r.v[f] }

func (r *statsRow) str(fieldID) string { return "" }

// history is one of the two history tables: which sample indices exist at
// an instant, and each index's timestamp. Row keys number (index, tenant)
// in time order.
type history struct {
	tg   *tenantGen
	long bool
}

// step returns the seconds between samples.
func (h history) step() int64 {
	if h.long {
		return longStep
	}
	return shortStep
}

// ts returns the timestamp of sample index i.
func (h history) ts(i int64) int64 {
	if h.long {
		return h.tg.g.start + (i+1)*longStep
	}
	return i * shortStep
}

// visible returns the indices [lo, hi] of the samples that exist at now
// (hi < lo when there are none).
func (h history) visible(now int64) (lo, hi int64) {
	if h.long {
		return 0, (now-h.tg.g.start)/longStep - 1
	}
	return (now-shortKeep)/shortStep + 1, now / shortStep
}

// indexRange returns the indices whose timestamps lie in [tsLo, tsHi].
func (h history) indexRange(tsLo, tsHi int64) (lo, hi int64) {
	// ts(i) = base + i*step with base start+step (long) or 0 (short).
	base := h.ts(0)
	st := h.step()
	// Open ends (the extremes of int64) become far-away but safe bounds.
	tsLo, tsHi = max(tsLo, -1<<50), min(tsHi, 1<<50)
	lo = ceilDiv(satAdd(tsLo, -base), st)
	hi = floorDiv(satAdd(tsHi, -base), st)
	return lo, hi
}

// row returns the sample of tenant t at index i.
func (h history) row(i int64, t int) histRow {
	r := h.tg.sample(t, h.ts(i))
	r.v[hKey] = i*int64(len(h.tg.tenants)) + int64(t) + 1
	return r
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// Tenants lists the seeded tenants.
func (s *Server) Tenants() []TenantInfo {
	out := make([]TenantInfo, len(s.tenants.tenants))
	for i, t := range s.tenants.tenants {
		out[i] = TenantInfo{Key: t.key, Name: t.name, Project: s.world.Projects[i].Key}
	}
	return out
}

// TenantSample is one row of a tenant history table, with the SDK's
// names for its columns (units as on the wire).
type TenantSample struct {
	Key, Tenant, Timestamp               int64
	TotalCPU, CoreCount                  int64
	RAMUsed, VRAMUsed, RAMAllocated      int64 // MB
	RAMPct, IPCount                      int64
	TierProvisioned, TierUsed, TierAlloc [numTiers]int64 // bytes
	TierPct                              [numTiers]int64
	GPUsUsed, GPUsTotal, GPUsPct         int64
	VGPUsUsed, VGPUsTotal, VGPUsPct      int64
}

// TenantHistoryLong returns the long history samples of the tenant with
// key whose timestamps lie in [from, to] (Unix seconds) and that exist
// now, oldest first: the raw data tests recompute usage from.
func (s *Server) TenantHistoryLong(key, from, to int64) []TenantSample {
	h := history{tg: s.tenants, long: true}
	t := s.tenants.byKey(key)
	if t < 0 {
		return nil
	}
	vlo, vhi := h.visible(s.now().Unix())
	lo, hi := h.indexRange(from, to)
	var out []TenantSample
	for i := max(lo, vlo); i <= min(hi, vhi); i++ {
		r := h.row(i, t)
		out = append(out, r.sample())
	}
	return out
}

func (r *histRow) sample() TenantSample {
	v := &r.v
	s := TenantSample{Key: v[hKey], Tenant: v[hTenant], Timestamp: v[hTimestamp], TotalCPU: v[hTotalCPU], CoreCount: v[hCoreCount],
		RAMUsed: v[hRAMUsed], VRAMUsed: v[hVRAMUsed], RAMAllocated: v[hRAMAllocated], RAMPct: v[hRAMPct], IPCount: v[hIPCount],
		GPUsUsed: v[hGPUsUsed], GPUsTotal: v[hGPUsTotal], GPUsPct: v[hGPUsPct],
		VGPUsUsed: v[hVGPUsUsed], VGPUsTotal: v[hVGPUsTotal], VGPUsPct: v[hVGPUsPct]}
	for n := range numTiers {
		s.TierProvisioned[n], s.TierUsed[n], s.TierAlloc[n], s.TierPct[n] = v[histTier(n, 0)], v[histTier(n, 1)], v[histTier(n, 2)], v[histTier(n, 3)]
	}
	return s
}
