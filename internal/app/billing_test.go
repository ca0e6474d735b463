package app_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/app/apptest"
	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sim/fault"
	"github.com/accounting-portal/portal/web/templates"
)

// startBilling starts a portal with the VergeOS simulator only, synced once.
func startBilling(t *testing.T) *apptest.Portal {
	t.Helper()
	return apptest.Start(t, apptest.Options{Upstreams: []string{"vergeos"}})
}

// generateRequests counts the generate requests in the cache.
func generateRequests(t *testing.T, p *apptest.Portal) int64 {
	t.Helper()
	_, n, err := p.App.DB.GenerateRequests(context.Background(), billing.GenerateRequestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBilling_EverySignedInPersonReadsItOnlyAdminsGenerate(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	for _, user := range []string{"viewer", "manager", "admin"} {
		t.Run(user, func(t *testing.T) {
			b := p.Login(t, user)
			r := b.Get("/billing?range=7d")
			if r.Status != 200 || !strings.Contains(r.Body, `data-testid="billing-summary"`) || !strings.Contains(r.Body, "VergeOS billing: data as of") {
				t.Fatalf("/billing for %s: %d", user, r.Status)
			}
			if n := strings.Count(r.Body, "<tr data-key="); n != 50 {
				t.Errorf("%s sees %d records on the first page, want 50", user, n)
			}
			form := strings.Contains(r.Body, `action="/billing/generate"`)
			if form != (user == "admin") {
				t.Errorf("%s sees the generate form: %v", user, form)
			}
		})
	}
	for _, user := range []string{"viewer", "manager"} {
		t.Run(user+" cannot generate", func(t *testing.T) {
			b := p.Login(t, user)
			if r := b.Post("/billing/generate", url.Values{"note": {"let me"}}); r.Status != http.StatusForbidden {
				t.Fatalf("POST /billing/generate as %s: %d", user, r.Status)
			}
			for _, path := range []string{"/billing/requests", "/billing/requests.csv", "/billing/requests/1"} {
				if r := b.Get(path); r.Status != http.StatusForbidden {
					t.Errorf("GET %s as %s: %d", path, user, r.Status)
				}
			}
		})
	}
	if n := generateRequests(t, p); n != 0 || p.Sims.VergeOS.GeneratedCount() != 0 {
		t.Fatalf("refused requests left %d rows and %d generated records", n, p.Sims.VergeOS.GeneratedCount())
	}
	if r := p.Anonymous(t).Get("/billing.csv"); r.Status != http.StatusFound {
		t.Fatalf("anonymous CSV: %d", r.Status)
	}
}

var stateRE = regexp.MustCompile(`data-testid="generate-state"><span class="badge[^"]*" data-state="([a-z]+)"`)

// requestState reads a generate request's page and returns its state.
func requestState(t *testing.T, b *apptest.Browser, path string) (string, string) {
	t.Helper()
	r := b.Get(path)
	m := stateRE.FindStringSubmatch(r.Body)
	if r.Status != 200 || m == nil {
		t.Fatalf("%s: %d", path, r.Status)
	}
	return m[1], r.Body
}

func TestBilling_GenerateEndToEnd(t *testing.T) {
	t.Parallel()
	p := startBilling(t)
	admin := p.Login(t, "admin")
	r := admin.Post("/billing/generate", url.Values{"note": {"month-end invoice run"}, "range": {"24h"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/billing/requests/1" {
		t.Fatalf("generate: %d %s", r.Status, r.Header.Get("Location"))
	}
	// Delivered, then the sync it starts brings the new record.
	p.DeliverOutbox(t)
	p.TriggeredSync(t, "vergeos")
	state, body := requestState(t, admin, "/billing/requests/1")
	if state != portal.OutboxDelivered || !strings.Contains(body, `data-testid="new-record-link"`) {
		t.Fatalf("after the delivery and its sync the request is %s, new record linked: %v", state, strings.Contains(body, "new-record-link"))
	}
	if !strings.Contains(body, "month-end invoice run") || !strings.Contains(body, "queued") || !strings.Contains(body, "Ada Admin") {
		t.Error("the request page does not show its note and history")
	}
	if p.Sims.VergeOS.GeneratedCount() != 1 {
		t.Fatalf("VergeOS generated %d records", p.Sims.VergeOS.GeneratedCount())
	}
	href := regexp.MustCompile(`href="(/billing/records/[0-9]+)" data-testid="new-record-link"`).FindStringSubmatch(body)
	rec := admin.Get(href[1])
	if rec.Status != 200 || !strings.Contains(rec.Body, "Billing report generated on request") {
		t.Fatalf("the new record's page: %d", rec.Status)
	}
	key := strings.TrimPrefix(href[1], "/billing/records/")
	// Everyone sees it among the records, newest first.
	page := p.Login(t, "viewer").Get("/billing?range=24h&sort=-created")
	if !strings.Contains(page.Body, `<tr data-key="`+key+`"`) || !strings.Contains(page.Body, "Overlaps") {
		t.Fatal("the generated record is not in the records table")
	}
	list := admin.Get("/billing/requests")
	if list.Status != 200 || !strings.Contains(list.Body, `<tr data-id="1"`) || !strings.Contains(list.Body, `data-state="delivered"`) {
		t.Fatalf("requests list: %d", list.Status)
	}
}

func TestBilling_GenerateRetriedWhileVergeOSIsDownAndNeverTwice(t *testing.T) {
	t.Parallel()
	p := startBilling(t)
	admin := p.Login(t, "admin")
	// VergeOS answers 429 to the action: nothing happened, so the outbox
	// tries again later.
	p.Sims.VergeOS.Faults().Set(fault.Fault{Mode: fault.RateLimit, Method: "POST", PathPrefix: "/api/v4/billing_actions"})
	if r := admin.Post("/billing/generate", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("generate: %d", r.Status)
	}
	p.DeliverOutbox(t)
	if g, err := p.App.DB.GenerateRequestByID(context.Background(), 1); err != nil || g.Attempts != 1 || g.Error == "" {
		t.Fatalf("after a refused attempt: %+v, %v", g, err)
	}
	state, body := requestState(t, admin, "/billing/requests/1")
	if state != portal.OutboxQueued || !strings.Contains(body, "429") {
		t.Fatalf("after a refusal the request is %s", state)
	}
	// A second request while the first is on its way is refused on the page.
	r := admin.Post("/billing/generate", url.Values{"note": {"again"}, "range": {"7d"}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "still on its way") || !strings.Contains(r.Body, ">again</textarea>") {
		t.Fatalf("second request: %d", r.Status)
	}
	// VergeOS is back; the retry is due after its backoff.
	p.Sims.VergeOS.Faults().Clear()
	p.Clock.Advance(p.App.Outbox.Backoff(1))
	p.DeliverOutbox(t)
	if s, _ := requestState(t, admin, "/billing/requests/1"); s != portal.OutboxDelivered {
		t.Fatalf("after the outage the request is %s", s)
	}
	if n := p.Sims.VergeOS.GeneratedCount(); n != 1 || generateRequests(t, p) != 1 {
		t.Fatalf("%d records generated for %d requests", n, generateRequests(t, p))
	}
}

// A generate whose answer never came is looked up: the record VergeOS
// wrote since it was first sent is found, and the request is delivered
// without being sent again.
func TestBilling_GenerateUnknownOutcomeIsLookedUp(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{"vergeos"}, Env: map[string]string{"PORTAL_UPSTREAM_TIMEOUT": "3s"}})
	admin := p.Login(t, "admin")
	p.Sims.VergeOS.Faults().Set(fault.Fault{Mode: fault.ApplyThenTimeout, Method: "POST", PathPrefix: "/api/v4/billing_actions", Count: 1, Delay: 30 * time.Second})
	admin.Post("/billing/generate", nil)
	p.DeliverOutbox(t)
	if s, _ := requestState(t, admin, "/billing/requests/1"); s != portal.OutboxVerify {
		t.Fatalf("after an unanswered attempt the request is %s, want verify", s)
	}
	// The look-up is due after the dispatcher's verify delay.
	p.Clock.Advance(p.App.Outbox.VerifyDelay + time.Second)
	p.DeliverOutbox(t)
	if s, _ := requestState(t, admin, "/billing/requests/1"); s != portal.OutboxDelivered {
		t.Fatalf("after the look-up the request is %s", s)
	}
	g, _ := p.App.DB.GenerateRequestByID(context.Background(), 1)
	if p.Sims.VergeOS.GeneratedCount() != 1 || g.Attempts != 1 {
		t.Fatalf("VergeOS generated %d records in %d attempts", p.Sims.VergeOS.GeneratedCount(), g.Attempts)
	}
}

// A generate left uncertain (by a portal from before look-ups, which never
// sent an unanswered generate again) waits for an admin, who sees the
// records written since it was sent.
func TestBilling_GenerateUncertainIsLeftToAnAdmin(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{"vergeos"}, Env: map[string]string{"PORTAL_UPSTREAM_TIMEOUT": "3s"}})
	admin := p.Login(t, "admin")
	p.Sims.VergeOS.Faults().Set(fault.Fault{Mode: fault.Timeout, Method: "POST", PathPrefix: "/api/v4/billing_actions", Count: 1, Delay: 30 * time.Second})
	admin.Post("/billing/generate", nil)
	p.DeliverOutbox(t)
	if s, _ := requestState(t, admin, "/billing/requests/1"); s != portal.OutboxVerify {
		t.Fatalf("after an unanswered attempt the request is %s, want verify", s)
	}
	if p.Sims.VergeOS.GeneratedCount() != 1 {
		t.Fatalf("VergeOS generated %d records", p.Sims.VergeOS.GeneratedCount())
	}
	g, _ := p.App.DB.GenerateRequestByID(context.Background(), 1)
	if _, err := p.App.DB.SettleOutbox(context.Background(), g.OutboxID, []string{portal.OutboxVerify},
		portal.OutboxOutcome{State: portal.OutboxUncertain, Error: "VergeOS did not answer in time"}); err != nil {
		t.Fatal(err)
	}
	// A sync brings the record the unanswered request wrote; the page lists
	// it for the admin to decide.
	p.SyncNow(t, "vergeos")
	_, body := requestState(t, admin, "/billing/requests/1")
	if !strings.Contains(body, "Billing report generated on request") {
		t.Fatal("the request page does not list the record written since the request")
	}
	if !strings.Contains(body, "Did VergeOS write a record?") {
		t.Fatal("the uncertain request does not explain itself")
	}
	// The table of records since the request has its CSV twin.
	since := apptest.CSVRecords(t, admin.Get("/billing/requests/1.csv"))
	if n := strings.Count(between(body, `data-testid="generate-since"`, "</table>"), "<tr>") - 1; len(since) != n || n == 0 {
		t.Fatalf("%d CSV rows for %d rows on the page", len(since), n)
	}
	found := false
	for _, row := range since {
		found = found || row["description"] == "Billing report generated on request"
	}
	if !found {
		t.Fatalf("the generated record is not in the CSV: %v", since)
	}
	r := admin.Post(fmt.Sprintf("/outbox/%d/resolve", g.OutboxID), url.Values{"outcome": {"delivered"}, "reason": {"record written at the time of the request"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("resolve: %d %s", r.Status, r.Body)
	}
	if s, body := requestState(t, admin, "/billing/requests/1"); s != portal.OutboxDelivered || !strings.Contains(body, "record written at the time of the request") {
		t.Fatalf("after the admin's decision: %s", s)
	}
	// The dispatcher's own decision: with every retry and look-up long due,
	// a pass over the outbox leaves the settled item alone.
	p.Clock.Advance(time.Hour)
	p.DeliverOutbox(t)
	it, err := p.App.DB.OutboxItemByID(context.Background(), g.OutboxID)
	if err != nil || it.State != portal.OutboxDelivered || it.Attempts != 1 || p.Sims.VergeOS.GeneratedCount() != 1 {
		t.Fatalf("after a pass the item is %+v and VergeOS generated %d records (%v): the uncertain generate was sent again",
			it, p.Sims.VergeOS.GeneratedCount(), err)
	}
}

// readCSV downloads a CSV and returns its rows, checking the download headers.
func readCSV(t *testing.T, b *apptest.Browser, path, filePrefix string) [][]string {
	t.Helper()
	r := b.Get(path)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(r.Header.Get("Content-Disposition"), `filename="`+filePrefix) {
		t.Fatalf("%s: %d %s %s", path, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// column returns the index of name in header.
func column(t *testing.T, header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %s in %v", name, header)
	return -1
}

// onePlace rounds a CSV number the way the page prints percentages.
func onePlace(t *testing.T, s string) string {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatFloat(f, 'f', 1, 64) + " %"
}

var (
	billingRowRE  = regexp.MustCompile(`<tr data-key="([^"]+)">(?s:.*?)data-col="cpu">([0-9.]+ %)`)
	summaryCellRE = regexp.MustCompile(`data-testid="summary-(avg|peak)-([a-z-]+)">([^<]*)<`)
)

func TestBilling_CSVMatchesTheTablesOnScreen(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	b := p.Login(t, "viewer")
	const q = "range=30d&sort=-cpu&size=25&page=3"
	page := b.Get("/billing?" + q)
	if page.Status != 200 {
		t.Fatal(page.Status)
	}
	// Records: the page's 25 rows are rows 51–75 of the CSV of the same query.
	rows := readCSV(t, b, "/billing/records.csv?"+q, "vergeos_billing_records_")
	header, data := rows[0], rows[1:]
	for _, h := range []string{"used_ram_mb", "tier_0_used_bytes", "phys_ram_used_bytes", "cpu_utilisation_percent", "created_utc"} {
		column(t, header, h)
	}
	total := regexp.MustCompile(`data-testid="row-count">([0-9,]+) rows`).FindAllStringSubmatch(page.Body, -1)
	if n, _ := strconv.Atoi(strings.ReplaceAll(total[len(total)-1][1], ",", "")); n != len(data) {
		t.Fatalf("the page counts %d records, the CSV has %d", n, len(data))
	}
	shown := billingRowRE.FindAllStringSubmatch(page.Body, -1)
	if len(shown) != 25 {
		t.Fatalf("%d rows on page 3", len(shown))
	}
	cpu := column(t, header, "cpu_utilisation_percent")
	for i, m := range shown {
		row := data[50+i]
		if row[0] != m[1] || onePlace(t, row[cpu]) != m[2] {
			t.Errorf("row %d: page %s %s, CSV %s %s", i, m[1], m[2], row[0], onePlace(t, row[cpu]))
		}
	}
	// Summary: each figure on screen is the CSV's, rounded.
	sum := readCSV(t, b, "/billing.csv?"+q, "vergeos_billing_summary_")
	cells := map[string]string{}
	for _, m := range summaryCellRE.FindAllStringSubmatch(page.Body, -1) {
		cells[m[1]+"-"+m[2]] = m[3]
	}
	for cell, col := range map[string]string{"avg-cpu": "avg_cpu_utilisation_percent", "peak-cpu": "peak_cpu_utilisation_percent",
		"avg-ram": "avg_ram_utilisation_percent", "peak-gpu": "peak_gpu_utilisation_percent", "avg-vgpu": "avg_vgpu_utilisation_percent",
		"avg-storage": "avg_storage_utilisation_percent"} {
		if got := onePlace(t, sum[1][column(t, sum[0], col)]); got != cells[cell] {
			t.Errorf("%s: page %q, CSV %q", cell, cells[cell], got)
		}
	}
	if sum[1][column(t, sum[0], "peak_cpu_cores")] != cells["peak-cores"] {
		t.Errorf("peak cores: page %q, CSV %q", cells["peak-cores"], sum[1][column(t, sum[0], "peak_cpu_cores")])
	}
	// Tiers: six rows, the same used percentages as the table.
	tiers := readCSV(t, b, "/billing/tiers.csv?"+q, "vergeos_billing_tiers_")
	if len(tiers) != 7 || tiers[0][1] != "used_bytes" {
		t.Fatalf("tiers CSV: %v", tiers)
	}
	for _, row := range tiers[1:3] {
		if !strings.Contains(page.Body, ` aria-hidden="true"></meter> `+onePlace(t, row[3])) {
			t.Errorf("tier %s at %s is not on the page", row[0], onePlace(t, row[3]))
		}
	}
	// Chart data: one CSV row per row of the table under the charts.
	usage := readCSV(t, b, "/billing/usage.csv?"+q, "vergeos_billing_daily_")
	chartTable := page.Body[strings.Index(page.Body, `data-testid="billing-chart-table"`):]
	chartTable = chartTable[:strings.Index(chartTable, "</table>")]
	if n := strings.Count(chartTable, "<tr>") - 1; n != len(usage)-1 || n < 29 {
		t.Errorf("chart table has %d rows, its CSV %d", n, len(usage)-1)
	}
	// The not-reported filter is kept in the CSV link.
	unsent := b.Get("/billing?range=30d&unsent=1")
	if !strings.Contains(unsent.Body, `href="/billing/records.csv?range=30d&amp;unsent=1"`) {
		t.Error("the records CSV link drops the unsent filter")
	}
	nr := readCSV(t, b, "/billing/records.csv?range=30d&unsent=1", "vergeos_billing_records_not_reported_")
	for _, row := range nr[1:] {
		if row[column(t, nr[0], "reported")] != "false" || row[column(t, nr[0], "sent_utc")] != "" {
			t.Fatalf("a reported record in the not-reported CSV: %v", row)
		}
	}
}

func TestBilling_RecordPageShowsHumanAndRawUnits(t *testing.T) {
	t.Parallel()
	p := sharedPortal(t)
	b := p.Login(t, "viewer")
	rec, err := p.App.DB.BillingRecordByKey(context.Background(), "1")
	if err != nil {
		t.Fatal(err)
	}
	r := b.Get("/billing/records/1")
	if r.Status != 200 {
		t.Fatal(r.Status)
	}
	// The simulated system has terabytes of RAM: MB/1024 GiB below a TiB,
	// MB/1024² TiB above, next to VergeOS's own MB.
	used := fmt.Sprintf("%.2f GiB", float64(rec.UsedRAM)/1024)
	if rec.UsedRAM >= 1<<20 {
		used = fmt.Sprintf("%.2f TiB", float64(rec.UsedRAM)/(1<<20))
	}
	human := fmt.Sprintf("%s of %.2f TiB", used, float64(rec.TotalRAM)/(1<<20))
	raw := templates.Int(rec.UsedRAM) + " of " + templates.Int(rec.TotalRAM) + " MB"
	for _, want := range []string{human, raw, templates.Int(rec.Tiers[2].Total) + "</td>", "Tier 2", "Billed period"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("record page lacks %q", want)
		}
	}
	one := readCSV(t, b, "/billing/records/1.csv", "vergeos_billing_record_1")
	if len(one) != 2 || one[1][0] != "1" || one[1][column(t, one[0], "used_ram_mb")] != strconv.FormatInt(rec.UsedRAM, 10) {
		t.Fatalf("record CSV: %v", one)
	}
}
