package vergeos

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The calls below are the ones pyvergeos's TenantStatsManager and
// TenantManager send (pyvergeos/resources/tenant_stats.py,
// tenant_manager.py): the same paths, filters, field lists and sort.

// sdkHistoryFields is TenantStatsManager._history_fields, in its order.
var sdkHistoryFields = []string{"$key", "tenant", "timestamp", "total_cpu", "core_count", "ram_used", "vram_used", "ram_allocated",
	"ram_pct", "ip_count",
	"tier0_provisioned", "tier0_used", "tier0_allocated", "tier0_pct", "tier1_provisioned", "tier1_used", "tier1_allocated", "tier1_pct",
	"tier2_provisioned", "tier2_used", "tier2_allocated", "tier2_pct", "tier3_provisioned", "tier3_used", "tier3_allocated", "tier3_pct",
	"tier4_provisioned", "tier4_used", "tier4_allocated", "tier4_pct", "tier5_provisioned", "tier5_used", "tier5_allocated", "tier5_pct",
	"gpus_used", "gpus_total", "gpus_pct", "vgpus_used", "vgpus_total", "vgpus_pct"}

// sdkTenantFields is tenant_manager.py's TENANT_DEFAULT_FIELDS.
var sdkTenantFields = []string{"$key", "name", "description", "url", "uuid", "created", "creator", "is_snapshot", "isolate", "note",
	"expose_cloud_snapshots", "allow_branding", "status#status as status", "status#running as running", "status#starting as starting",
	"status#stopping as stopping", "status#migrating as migrating", "status#started as started_ts", "status#stopped as stopped_ts",
	"status#state as state", "vnet", "vnet#name as network_name", "ui_address", "ui_address#ip as ui_address_ip"}

// sdkQuery encodes parameters as requests does (a space as "+").
func sdkQuery(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

func TestTenants_ListAndGetByName(t *testing.T) {
	s := newTestServer(t, Options{})
	// tenants.list(limit=1)
	status, _, b := call(t, s, "GET", "/api/v4/tenants?"+sdkQuery("filter", "is_snapshot eq false",
		"fields", strings.Join(sdkTenantFields, ","), "limit", "1"), "")
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	list := rows(t, b)
	if len(list) != 1 || num(t, list[0], "$key") != 1 || list[0]["name"] != "neuro-sim-vdc" || list[0]["is_snapshot"] != false {
		t.Fatalf("tenants.list(limit=1) = %v", list)
	}
	// Columns the simulator does not have (traversals among them) are left out, not refused.
	if _, ok := list[0]["running"]; ok {
		t.Fatalf("invented a column: %v", list[0])
	}
	// tenants.get(name=...)
	_, _, b = call(t, s, "GET", "/api/v4/tenants?"+sdkQuery("filter", "(name eq 'climate-ml-vdc') and is_snapshot eq false",
		"fields", strings.Join(sdkTenantFields, ",")), "")
	got := rows(t, b)
	if len(got) != 1 || num(t, got[0], "$key") != 3 {
		t.Fatalf("get(name=climate-ml-vdc) = %v", got)
	}
	_, _, b = call(t, s, "GET", "/api/v4/tenants?filter=is_snapshot+eq+true", "")
	if len(rows(t, b)) != 0 {
		t.Fatalf("snapshots listed: %s", b)
	}
	if want := min(len(s.world.Projects), maxTenants); len(s.Tenants()) != want {
		t.Fatalf("%d tenants, want %d", len(s.Tenants()), want)
	}
}

func TestTenantStats_Get(t *testing.T) {
	s := newTestServer(t, Options{})
	// tenant.stats.get()
	status, _, b := call(t, s, "GET", "/api/v4/tenant_stats?"+sdkQuery("filter", "tenant eq 2", "fields", "$key,tenant,ram_used,last_update", "limit", "1"), "")
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	got := rows(t, b)
	if len(got) != 1 || len(got[0]) != 4 || num(t, got[0], "tenant") != 2 || num(t, got[0], "ram_used") <= 0 {
		t.Fatalf("stats.get() = %v", got)
	}
	if lu := num(t, got[0], "last_update"); lu > testNow.Unix() || lu < testNow.Unix()-shortStep {
		t.Fatalf("last_update %d is not the newest 5-minute sample before %d", lu, testNow.Unix())
	}
	// The newest short sample carries the same reading.
	_, _, b = call(t, s, "GET", "/api/v4/tenant_stats_history_short?"+sdkQuery("filter", "tenant eq 2", "fields", "timestamp,ram_used", "sort", "-timestamp", "limit", "1"), "")
	h := rows(t, b)
	if num(t, h[0], "ram_used") != num(t, got[0], "ram_used") || num(t, h[0], "timestamp") != num(t, got[0], "last_update") {
		t.Fatalf("tenant_stats %v and the newest short sample %v differ", got, h)
	}
	// A tenant without stats: an empty list (the SDK raises NotFoundError).
	_, _, b = call(t, s, "GET", "/api/v4/tenant_stats?filter=tenant+eq+99&limit=1", "")
	if len(rows(t, b)) != 0 {
		t.Fatalf("stats of an unknown tenant: %s", b)
	}
}

func TestTenantHistory_SDKCalls(t *testing.T) {
	s := newTestServer(t, Options{})
	now := testNow.Unix()
	// history_short(limit=10, since=now-1h, until=now)
	since, until := now-3600, now
	status, _, b := call(t, s, "GET", "/api/v4/tenant_stats_history_short?"+sdkQuery(
		"filter", "tenant eq 1 and timestamp ge "+strconv.FormatInt(since, 10)+" and timestamp le "+strconv.FormatInt(until, 10),
		"fields", strings.Join(sdkHistoryFields, ","), "sort", "-timestamp", "limit", "10"), "")
	if status != 200 {
		t.Fatalf("%d %s", status, b)
	}
	short := rows(t, b)
	if len(short) != 10 {
		t.Fatalf("%d rows, want 10", len(short))
	}
	for i, r := range short {
		if len(r) != len(sdkHistoryFields) {
			t.Fatalf("row %d has %d fields, want the %d asked for: %v", i, len(r), len(sdkHistoryFields), r)
		}
		ts := num(t, r, "timestamp")
		if num(t, r, "tenant") != 1 || ts < since || ts > until || ts%shortStep != 0 {
			t.Fatalf("row %d: %v", i, r)
		}
		if i > 0 && ts != num(t, short[i-1], "timestamp")-shortStep {
			t.Fatalf("row %d: not 5 minutes before the row above (sort=-timestamp)", i)
		}
		checkSample(t, r)
	}
	// The short history reaches back 24 hours only.
	_, _, b = call(t, s, "GET", "/api/v4/tenant_stats_history_short?"+sdkQuery("filter", "tenant eq 1", "fields", "timestamp", "sort", "-timestamp"), "")
	if n := len(rows(t, b)); n != shortKeep/shortStep {
		t.Fatalf("short history has %d samples, want a day's %d", n, shortKeep/shortStep)
	}

	// history_long() for the GPU tenant: no limit, every hour of the history.
	_, _, b = call(t, s, "GET", "/api/v4/tenant_stats_history_long?"+sdkQuery("filter", "tenant eq 1",
		"fields", strings.Join(sdkHistoryFields, ","), "sort", "-timestamp"), "")
	long := rows(t, b)
	if len(long) != 90*24 {
		t.Fatalf("long history has %d samples, want 90 days of hours", len(long))
	}
	if newest := num(t, long[0], "timestamp"); newest != testNow.Truncate(time.Hour).Unix() {
		t.Fatalf("newest long sample at %d, want the last full hour", newest)
	}
	var gpus, resized bool
	for i, r := range long {
		checkSample(t, r)
		if i > 0 && num(t, r, "timestamp") != num(t, long[i-1], "timestamp")-longStep {
			t.Fatalf("long row %d is not an hour before the one above", i)
		}
		gpus = gpus || num(t, r, "gpus_used") > 0
		resized = resized || (i > 0 && num(t, r, "core_count") != num(t, long[i-1], "core_count"))
	}
	if !gpus || !resized {
		t.Fatalf("tenant 1 should use GPUs (%v) and be resized once (%v)", gpus, resized)
	}
	// The long and the short history agree where they meet.
	_, _, b = call(t, s, "GET", "/api/v4/tenant_stats_history_short?"+sdkQuery("filter", "tenant eq 1 and timestamp eq "+
		strconv.FormatInt(num(t, long[0], "timestamp"), 10), "fields", strings.Join(sdkHistoryFields, ",")), "")
	if sh := rows(t, b); len(sh) != 1 || num(t, sh[0], "ram_used") != num(t, long[0], "ram_used") || num(t, sh[0], "tier1_used") != num(t, long[0], "tier1_used") {
		t.Fatalf("short %v and long %v samples of one instant differ", sh, long[0])
	}
	// The Go view tests recompute from is the same data.
	raw := s.TenantHistoryLong(1, num(t, long[len(long)-1], "timestamp"), now)
	if len(raw) != len(long) || raw[0].RAMUsed != num(t, long[len(long)-1], "ram_used") || raw[len(raw)-1].Key != num(t, long[0], "$key") {
		t.Fatalf("TenantHistoryLong disagrees with the wire: %d rows", len(raw))
	}
}

// checkSample checks the relations the SDK's helpers rely on.
func checkSample(t *testing.T, r map[string]any) {
	t.Helper()
	if alloc := num(t, r, "ram_allocated"); alloc != num(t, r, "core_count")*[]int64{4096, 8192, 4096, 2048, 4096, 6144}[(num(t, r, "tenant")-1)%6] ||
		num(t, r, "ram_used") > alloc || num(t, r, "ram_pct") != pct(num(t, r, "ram_used"), alloc) {
		t.Fatalf("RAM columns inconsistent: %v", r)
	}
	for n := range numTiers {
		p := "tier" + strconv.Itoa(n) + "_"
		prov, used, alloc := num(t, r, p+"provisioned"), num(t, r, p+"used"), num(t, r, p+"allocated")
		if used > alloc || alloc > prov || num(t, r, p+"pct") != pct(used, prov) {
			t.Fatalf("tier %d columns inconsistent: %v", n, r)
		}
	}
	if num(t, r, "gpus_used") > num(t, r, "gpus_total") || num(t, r, "vgpus_used") > num(t, r, "vgpus_total") {
		t.Fatalf("GPU columns inconsistent: %v", r)
	}
}

func TestTenantHistory_PagingAndSorts(t *testing.T) {
	s := newTestServer(t, Options{})
	base := "/api/v4/tenant_stats_history_long?fields=$key,tenant,timestamp,ram_used"
	_, _, b := call(t, s, "GET", base, "")
	all := rows(t, b)
	if len(all) != 90*24*len(s.Tenants()) {
		t.Fatalf("%d rows", len(all))
	}
	for i, r := range all {
		if num(t, r, "$key") != int64(i+1) {
			t.Fatalf("row %d has key %d: unsorted rows come by $key", i, num(t, r, "$key"))
		}
	}
	// Pages of a filtered listing add up to the whole, in both directions.
	for _, sortParam := range []string{"-timestamp", "%2Btimestamp", "-$key", "-ram_used", "tenant,-timestamp"} {
		q := base + "&filter=" + url.QueryEscape("tenant ge 2 and tenant le 3 and timestamp ge "+strconv.FormatInt(testNow.Unix()-2*86400, 10)) + "&sort=" + sortParam
		_, _, b := call(t, s, "GET", q, "")
		whole := rows(t, b)
		if len(whole) != 2*48 {
			t.Fatalf("sort %s: %d rows, want 2 tenants × 48 hours", sortParam, len(whole))
		}
		var paged []map[string]any
		for off := 0; ; off += 7 {
			_, _, b := call(t, s, "GET", q+"&limit=7&offset="+strconv.Itoa(off), "")
			p := rows(t, b)
			paged = append(paged, p...)
			if len(p) < 7 {
				break
			}
		}
		if len(paged) != len(whole) {
			t.Fatalf("sort %s: pages hold %d rows, the whole %d", sortParam, len(paged), len(whole))
		}
		for i := range whole {
			if num(t, paged[i], "$key") != num(t, whole[i], "$key") {
				t.Fatalf("sort %s: row %d differs between pages and the whole", sortParam, i)
			}
		}
	}
	// The billing filter grammar holds here too: or, parentheses, ranges on other columns.
	_, _, b = call(t, s, "GET", base+"&filter="+url.QueryEscape("(tenant eq 1 or tenant eq 3) and ram_used gt 0 and timestamp gt "+strconv.FormatInt(testNow.Unix()-3600*3, 10)), "")
	if n := len(rows(t, b)); n != 2*3 {
		t.Fatalf("or-filter: %d rows, want 6", n)
	}
	for _, bad := range []string{"tenant eq", "cpu eq 1", "timestamp ge 'x'"} {
		status, _, b := call(t, s, "GET", base+"&filter="+url.QueryEscape(bad), "")
		if status != 400 || !strings.HasPrefix(errBody(t, b), "Invalid filter: ") {
			t.Fatalf("filter %q: %d %s", bad, status, b)
		}
	}
	if status, _, _ := call(t, s, "GET", base+"&sort=-nosuch", ""); status != 400 {
		t.Fatalf("unknown sort column: %d", status)
	}
	// The history grows as time passes: a sample per tenant each hour.
	c := &clock{t: testNow}
	s2 := newTestServer(t, Options{Now: c.Now})
	before := len(s2.TenantHistoryLong(2, 0, 1<<40))
	c.Add(2 * time.Hour)
	if after := len(s2.TenantHistoryLong(2, 0, 1<<40)); after != before+2 {
		t.Fatalf("after two hours %d samples, before %d", after, before)
	}
}
