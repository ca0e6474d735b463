package vergeos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Per-tenant usage. The billing table is system-wide; VergeOS keeps each
// tenant's usage in tables of its own. The calls here are the ones
// pyvergeos's TenantStatsManager and TenantManager make
// (pyvergeos/resources/tenant_stats.py and tenant_manager.py): the same
// paths, filter ("tenant eq <key>" and "timestamp ge/le <unix seconds>"),
// field lists and sort=-timestamp, paged with limit and offset.

// History tables of tenant usage: short is high resolution over a short
// retention, long lower resolution over a long one.
const (
	HistoryShort = "tenant_stats_history_short"
	HistoryLong  = "tenant_stats_history_long"
)

// HistoryFields are the columns of a history sample, in the order of the
// SDK's TenantStatsManager._history_fields.
var HistoryFields = func() []string {
	f := []string{"$key", "tenant", "timestamp", "total_cpu", "core_count", "ram_used", "vram_used", "ram_allocated", "ram_pct", "ip_count"}
	for n := range 6 {
		for _, part := range []string{"provisioned", "used", "allocated", "pct"} {
			f = append(f, "tier"+strconv.Itoa(n)+"_"+part)
		}
	}
	return append(f, "gpus_used", "gpus_total", "gpus_pct", "vgpus_used", "vgpus_total", "vgpus_pct")
}()

// Tenant is a VergeOS tenant.
type Tenant struct {
	Key  int64
	Name string
}

// TierUsage is one storage tier of a tenant sample, in bytes (Pct in percent).
type TierUsage struct {
	Provisioned, Used, Allocated, Pct int64
}

// TenantSample is one row of a tenant history table, in the wire's units:
// Timestamp in Unix seconds, RAM in MB, storage in bytes, *Pct and
// TotalCPU in percent.
type TenantSample struct {
	Key                             Key
	Tenant, Timestamp               int64
	TotalCPU, CoreCount             int64
	RAMUsed, VRAMUsed, RAMAllocated int64
	RAMPct, IPCount                 int64
	Tiers                           [6]TierUsage
	GPUsUsed, GPUsTotal, GPUsPct    int64
	VGPUsUsed, VGPUsTotal, VGPUsPct int64
}

// TenantStats is a tenant's current reading (tenant_stats): RAM in use in
// MB and when VergeOS last updated it (Unix seconds, 0: never).
type TenantStats struct {
	Key                         Key
	Tenant, RAMUsed, LastUpdate int64
}

// Tenants lists the tenants that are not snapshots (GET /api/v4/tenants
// with filter "is_snapshot eq false", as TenantManager.list does).
func (c *Client) Tenants(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	for n, offset := 1, 0; ; n++ {
		v := url.Values{"filter": {"is_snapshot eq false"}, "fields": {"$key,name"}, "sort": {"+$key"},
			"limit": {strconv.Itoa(c.pageSize)}, "offset": {strconv.Itoa(offset)}}
		body, err := c.get(ctx, "/api/v4/tenants", v)
		if err != nil {
			return nil, err
		}
		page, err := DecodeTenants(body)
		if err != nil {
			return nil, malformed(fmt.Sprintf("page %d of /tenants", n), err)
		}
		out = append(out, page...)
		if len(page) != c.pageSize {
			return out, nil
		}
		offset += len(page)
	}
}

// EachTenantSample pages through a tenant's history table (HistoryShort
// or HistoryLong) for samples with since ≤ timestamp ≤ until (Unix
// seconds; 0 leaves a bound open), newest first (sort=-timestamp), calling
// fn once per non-empty page until a short page. Give a fixed until: new
// samples then cannot shift the pages while they are read. fn must not
// keep page.
func (c *Client) EachTenantSample(ctx context.Context, table string, tenant, since, until int64, fn func(page []TenantSample) error) error {
	if table != HistoryShort && table != HistoryLong {
		return fmt.Errorf("vergeos: %q is not a tenant history table", table)
	}
	filter := []string{"tenant eq " + strconv.FormatInt(tenant, 10)}
	if since != 0 {
		filter = append(filter, "timestamp ge "+strconv.FormatInt(since, 10))
	}
	if until != 0 {
		filter = append(filter, "timestamp le "+strconv.FormatInt(until, 10))
	}
	var page []TenantSample
	var prevFirst Key
	for n, offset := 1, 0; ; n++ {
		v := url.Values{"filter": {strings.Join(filter, " and ")}, "fields": {strings.Join(HistoryFields, ",")}, "sort": {"-timestamp"},
			"limit": {strconv.Itoa(c.pageSize)}, "offset": {strconv.Itoa(offset)}}
		body, err := c.get(ctx, "/api/v4/"+table, v)
		if err != nil {
			return err
		}
		if page, err = DecodeTenantSamples(page[:0], body); err != nil {
			return malformed(fmt.Sprintf("page %d of /%s", n, table), err)
		}
		if len(page) == 0 {
			return nil
		}
		if n > 1 && page[0].Key != "" && page[0].Key == prevFirst {
			return malformed(fmt.Sprintf("page %d of /%s", n, table), errors.New("it repeats the page before: the server ignores offset"))
		}
		prevFirst = page[0].Key
		for i := range page {
			if page[i].Tenant != tenant {
				return malformed(fmt.Sprintf("page %d of /%s", n, table), fmt.Errorf("[%d] is a sample of tenant %d, not %d", i, page[i].Tenant, tenant))
			}
		}
		if err := fn(page); err != nil {
			return err
		}
		if len(page) != c.pageSize {
			return nil
		}
		offset += len(page)
	}
}

// CurrentTenantStats reads a tenant's current stats (GET
// /api/v4/tenant_stats, filter "tenant eq <key>", limit 1, as
// TenantStatsManager.get does). ok is false when VergeOS has none.
func (c *Client) CurrentTenantStats(ctx context.Context, tenant int64) (TenantStats, bool, error) {
	v := url.Values{"filter": {"tenant eq " + strconv.FormatInt(tenant, 10)}, "fields": {"$key,tenant,ram_used,last_update"}, "limit": {"1"}}
	body, err := c.get(ctx, "/api/v4/tenant_stats", v)
	if err != nil {
		return TenantStats{}, false, err
	}
	var rows []wireStats
	if err := decodeRows(body, &rows); err != nil {
		return TenantStats{}, false, malformed("/tenant_stats", err)
	}
	if len(rows) == 0 {
		return TenantStats{}, false, nil
	}
	r := rows[0]
	return TenantStats{Key: r.Key, Tenant: int64(r.Tenant), RAMUsed: int64(r.RAMUsed), LastUpdate: int64(r.LastUpdate)}, true, nil
}

type wireTenant struct {
	Key  flexInt    `json:"$key"`
	Name flexString `json:"name"`
}

type wireStats struct {
	Key        Key     `json:"$key"`
	Tenant     flexInt `json:"tenant"`
	RAMUsed    flexInt `json:"ram_used"`
	LastUpdate flexInt `json:"last_update"`
}

// wireSample is the tolerant wire shape of a history row: numbers may be
// numbers, numeric strings or null, and any column may be missing.
type wireSample struct {
	Key          Key     `json:"$key"`
	Tenant       flexInt `json:"tenant"`
	Timestamp    flexInt `json:"timestamp"`
	TotalCPU     flexInt `json:"total_cpu"`
	CoreCount    flexInt `json:"core_count"`
	RAMUsed      flexInt `json:"ram_used"`
	VRAMUsed     flexInt `json:"vram_used"`
	RAMAllocated flexInt `json:"ram_allocated"`
	RAMPct       flexInt `json:"ram_pct"`
	IPCount      flexInt `json:"ip_count"`
	T0P          flexInt `json:"tier0_provisioned"`
	T0U          flexInt `json:"tier0_used"`
	T0A          flexInt `json:"tier0_allocated"`
	T0Pct        flexInt `json:"tier0_pct"`
	T1P          flexInt `json:"tier1_provisioned"`
	T1U          flexInt `json:"tier1_used"`
	T1A          flexInt `json:"tier1_allocated"`
	T1Pct        flexInt `json:"tier1_pct"`
	T2P          flexInt `json:"tier2_provisioned"`
	T2U          flexInt `json:"tier2_used"`
	T2A          flexInt `json:"tier2_allocated"`
	T2Pct        flexInt `json:"tier2_pct"`
	T3P          flexInt `json:"tier3_provisioned"`
	T3U          flexInt `json:"tier3_used"`
	T3A          flexInt `json:"tier3_allocated"`
	T3Pct        flexInt `json:"tier3_pct"`
	T4P          flexInt `json:"tier4_provisioned"`
	T4U          flexInt `json:"tier4_used"`
	T4A          flexInt `json:"tier4_allocated"`
	T4Pct        flexInt `json:"tier4_pct"`
	T5P          flexInt `json:"tier5_provisioned"`
	T5U          flexInt `json:"tier5_used"`
	T5A          flexInt `json:"tier5_allocated"`
	T5Pct        flexInt `json:"tier5_pct"`
	GPUsUsed     flexInt `json:"gpus_used"`
	GPUsTotal    flexInt `json:"gpus_total"`
	GPUsPct      flexInt `json:"gpus_pct"`
	VGPUsUsed    flexInt `json:"vgpus_used"`
	VGPUsTotal   flexInt `json:"vgpus_total"`
	VGPUsPct     flexInt `json:"vgpus_pct"`
}

func (w *wireSample) sample() TenantSample {
	i := func(f flexInt) int64 { return int64(f) }
	return TenantSample{
		Key: w.Key, Tenant: i(w.Tenant), Timestamp: i(w.Timestamp), TotalCPU: i(w.TotalCPU), CoreCount: i(w.CoreCount),
		RAMUsed: i(w.RAMUsed), VRAMUsed: i(w.VRAMUsed), RAMAllocated: i(w.RAMAllocated), RAMPct: i(w.RAMPct), IPCount: i(w.IPCount),
		Tiers: [6]TierUsage{
			{i(w.T0P), i(w.T0U), i(w.T0A), i(w.T0Pct)}, {i(w.T1P), i(w.T1U), i(w.T1A), i(w.T1Pct)},
			{i(w.T2P), i(w.T2U), i(w.T2A), i(w.T2Pct)}, {i(w.T3P), i(w.T3U), i(w.T3A), i(w.T3Pct)},
			{i(w.T4P), i(w.T4U), i(w.T4A), i(w.T4Pct)}, {i(w.T5P), i(w.T5U), i(w.T5A), i(w.T5Pct)},
		},
		GPUsUsed: i(w.GPUsUsed), GPUsTotal: i(w.GPUsTotal), GPUsPct: i(w.GPUsPct),
		VGPUsUsed: i(w.VGPUsUsed), VGPUsTotal: i(w.VGPUsTotal), VGPUsPct: i(w.VGPUsPct),
	}
}

// DecodeTenantSamples decodes a history listing as the SDK accepts one (a
// list, one object, or an empty body or null) and appends it to dst. An
// error names the element and says what was wrong.
func DecodeTenantSamples(dst []TenantSample, body []byte) ([]TenantSample, error) {
	var rows []wireSample
	if err := decodeRows(body, &rows); err != nil {
		return dst, err
	}
	for i := range rows {
		if rows[i].Timestamp <= 0 {
			return dst, fmt.Errorf("[%d]: a sample without a timestamp", i)
		}
		dst = append(dst, rows[i].sample())
	}
	return dst, nil
}

// DecodeTenants decodes a tenants listing.
func DecodeTenants(body []byte) ([]Tenant, error) {
	var rows []wireTenant
	if err := decodeRows(body, &rows); err != nil {
		return nil, err
	}
	out := make([]Tenant, 0, len(rows))
	for i, r := range rows {
		if r.Key <= 0 {
			return nil, fmt.Errorf("[%d]: a tenant without a $key", i)
		}
		out = append(out, Tenant{Key: int64(r.Key), Name: string(r.Name)})
	}
	return out, nil
}

// decodeRows decodes a listing body into *dst (a pointer to a slice of a
// wire struct): a list, a single object (a one-row list), or an empty body
// or null (no rows).
func decodeRows[T any](body []byte, dst *[]T) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return nil
	}
	switch body[0] {
	case '{':
		var one T
		if err := json.Unmarshal(body, &one); err != nil {
			return locateIn[T](body, err)
		}
		*dst = append(*dst, one)
		return nil
	case '[':
	default:
		return fmt.Errorf("expected a list of rows, got %s", kindOf(body))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("[%d]: not valid JSON: %w", i, err)
		}
		if len(raw) == 0 || raw[0] != '{' {
			return fmt.Errorf("[%d]: expected an object, got %s", i, kindOf(raw))
		}
		var one T
		if err := json.Unmarshal(raw, &one); err != nil {
			return fmt.Errorf("[%d]: %w", i, locateIn[T](raw, err))
		}
		*dst = append(*dst, one)
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("not valid JSON: data after the list")
	}
	return nil
}

// locateIn names the field of a row of wire type T that failed to decode,
// as locateFieldError does for billing rows.
func locateIn[T any](b []byte, err error) error {
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return fmt.Errorf("not a JSON object (%s)", kindOf(b))
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var w T
		one, _ := json.Marshal(map[string]json.RawMessage{name: obj[name]})
		if ferr := json.Unmarshal(one, &w); ferr != nil {
			var ve *valueError
			if errors.As(ferr, &ve) {
				return &FieldError{Field: name, Err: ve}
			}
			return &FieldError{Field: name, Err: ferr}
		}
	}
	return err
}
