package handlers

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// BillingStore is what the billing pages (VergeOS billing summaries and records) need from the cache.
type BillingStore interface {
	BillingSummary(ctx context.Context, from, to time.Time) (billing.Summary, error)
	BillingSeries(ctx context.Context, from, to time.Time, b billing.Bucket) ([]billing.Point, error)
	BillingReconciliation(ctx context.Context, from, to time.Time) (billing.Reconciliation, error)
	BillingRecords(ctx context.Context, f billing.RecordFilter) ([]billing.Record, int64, error)
	EachBillingRecord(ctx context.Context, f billing.RecordFilter, fn func(r *billing.Record) error) error
	BillingRecordByKey(ctx context.Context, key string) (billing.Record, error)
	BillingRecordsCreated(ctx context.Context, from, to int64, limit int) ([]billing.Record, error)
	RequestBillingGenerate(ctx context.Context, actor, actorName, note string) (int64, error)
	GenerateRequests(ctx context.Context, f billing.GenerateRequestFilter) ([]billing.GenerateRequest, int64, error)
	GenerateRequestByID(ctx context.Context, id int64) (billing.GenerateRequest, error)
	BillingExtent(ctx context.Context) (portal.Extent, error)
}

// VergeOS billing is system-wide: its records name no project or tenant, so
// every signed-in person may read these pages (Member) and there is no
// project scope to apply. Only asking VergeOS to generate a record (a
// write) is for admins.
func (h *Handler) registerBilling(e *echo.Echo) {
	h.add(e, "GET", "/billing", h.handleBilling, Member)
	h.add(e, "GET", "/billing.csv", h.handleBillingSummaryCSV, Member)
	h.add(e, "GET", "/billing/records.csv", h.handleBillingRecordsCSV, Member)
	h.add(e, "GET", "/billing/tiers.csv", h.handleBillingTiersCSV, Member)
	h.add(e, "GET", "/billing/usage.csv", h.handleBillingUsageCSV, Member)
	h.add(e, "GET", "/billing/records/:key", h.handleBillingRecord, Member)
	h.add(e, "POST", "/billing/generate", h.handleBillingGenerate, Admin)
	h.add(e, "GET", "/billing/requests", h.handleGenerateList, Admin)
	h.add(e, "GET", "/billing/requests.csv", h.handleGenerateList, Admin)
	h.add(e, "GET", "/billing/requests/:id", h.handleGenerateItem, Admin)
}

// billingSorts label the records table's sortable columns
// (billing.RecordSorts), in page order.
var billingSorts = []struct{ Key, Label string }{
	{"from", "Period (UTC)"}, {"created", "Written (UTC)"}, {"cpu", "CPU"}, {"ram", "RAM"},
	{"storage", "Storage used"}, {"gpu", "GPUs in use"}, {"vgpu", "vGPUs in use"}, {"sent", "Reported (UTC)"},
}

// billingQuery is the billing page's filters, read from the URL.
type billingQuery struct {
	Range  TimeRange
	List   ListParams
	Unsent bool
}

func (h *Handler) parseBillingQuery(q url.Values) (billingQuery, error) {
	var bq billingQuery
	var problems []string
	tr, rangeErr := parseTimeRange(q, h.nowUTC(), "30d")
	if rangeErr != nil && tr.Invalid == nil {
		problems = append(problems, portal.ErrorMessage(rangeErr))
	}
	lp, err := parseList(q, billing.RecordSorts, "from", true)
	if err != nil {
		problems = append(problems, portal.ErrorMessage(err))
	}
	switch q.Get("unsent") {
	case "", "0":
	case "1":
		bq.Unsent = true
	default:
		problems = append(problems, "unsent: use 1 to show only records not reported")
	}
	if len(problems) > 0 {
		if tr.Invalid != nil {
			problems = append(problems, portal.ErrorMessage(rangeErr))
		}
		return bq, portal.Errorf(portal.EINVALID, "%s", strings.Join(problems, "; "))
	}
	// Custom dates that cannot be used come back with the default range
	// (see keepPage).
	bq.Range, bq.List = tr, lp
	return bq, rangeErr
}

func (bq billingQuery) filter() billing.RecordFilter {
	return billing.RecordFilter{From: bq.Range.From, To: bq.Range.To, Unsent: bq.Unsent, Sort: bq.List.Sort, Desc: bq.List.Desc,
		Limit: bq.List.Size, Offset: bq.List.Offset()}
}

func (h *Handler) handleBilling(c echo.Context) error {
	bq, err := h.parseBillingQuery(c.QueryParams())
	if err := keepPage(c, bq.Range, err); err != nil {
		return err
	}
	v, err := h.billingView(c, bq)
	if err != nil {
		return err
	}
	return render(c, bq.Range.Status(), templates.Billing(v))
}

// billingView builds the whole billing page for the query; every figure
// comes from SQLite, aggregated there.
func (h *Handler) billingView(c echo.Context, bq billingQuery) (templates.BillingView, error) {
	ctx := c.Request().Context()
	from, to := bq.Range.From, bq.Range.To
	p, err := h.page(c, "Billing", "billing", portal.UpstreamVergeOS)
	if err != nil {
		return templates.BillingView{}, err
	}
	v := templates.BillingView{Page: p, Range: timeRangeView(c, bq.Range), From: from, To: to, Unsent: bq.Unsent}
	sum, err := h.Billing.BillingSummary(ctx, from, to)
	if err != nil {
		return v, err
	}
	if sum.RecordCount == 0 {
		e, err := h.Billing.BillingExtent(ctx)
		if err != nil {
			return v, err
		}
		v.NoData = noData(bq.Range, e, "billing records")
	}
	v.Summary, v.Tiers = summaryView(sum), tierRows(sum)
	if sum.RecordCount > 0 {
		latest := recordRow(&sum.Newest)
		v.Latest = &latest
	}
	if err := h.billingChartsView(c, &v); err != nil {
		return v, err
	}
	rc, err := h.Billing.BillingReconciliation(ctx, from, to)
	if err != nil {
		return v, err
	}
	v.Reconcile = reconcileView(rc, withQuery(c.Request().URL, "unsent", "1", "page", "")+"#records", h.nowUTC())
	if err := h.billingRecordsView(c, bq, &v); err != nil {
		return v, err
	}
	if v.CanGenerate = p.User.Admin; v.CanGenerate {
		v.Generate.Hidden = hiddenFields(c.Request().URL.Query())
		reqs, _, err := h.Billing.GenerateRequests(ctx, billing.GenerateRequestFilter{Desc: true, Limit: 5})
		if err != nil {
			return v, err
		}
		for _, g := range reqs {
			v.Requests = append(v.Requests, generateRow(g))
		}
	}
	q := csvQuery(c)
	v.SummaryCSV, v.TiersCSV, v.ChartCSV, v.RecordsCSV = "/billing.csv"+q, "/billing/tiers.csv"+q, "/billing/usage.csv"+q, "/billing/records.csv"+q
	return v, nil
}

func (h *Handler) billingChartsView(c echo.Context, v *templates.BillingView) error {
	b := billing.BucketFor(v.From, v.To)
	series, err := h.Billing.BillingSeries(c.Request().Context(), v.From, v.To, b)
	if err != nil {
		return err
	}
	v.Bucket = bucketLabels[b]
	// A range that ends at the request's moment moves every instant, but
	// its buckets change only at a sync: the charts are drawn over the
	// range's whole hours, kept with their table by the buckets and
	// those hours (kept_parts.go), and a request in the same hour
	// reuses them.
	from, to := v.From.Truncate(time.Hour), v.To.Truncate(time.Hour)
	spec := string(b) + "\x00" + from.UTC().Format(time.RFC3339Nano) + "\x00" + to.UTC().Format(time.RFC3339Nano)
	k := h.billingCharts.get(spec, series, sameBucket, func() keptBillingCharts {
		charts, rows := billingCharts(series, from, to)
		for i := range charts {
			charts[i] = charts[i].Kept()
		}
		return keptBillingCharts{charts: charts, rows: rows.Kept()}
	})
	v.Charts, v.ChartRows = k.charts, k.rows
	return nil
}

// keptBillingCharts are the billing page's charts and their table, rendered.
type keptBillingCharts struct {
	charts []templates.ChartView
	rows   templates.BillingChartRows
}

func (h *Handler) billingRecordsView(c echo.Context, bq billingQuery, v *templates.BillingView) error {
	recs, total, err := h.Billing.BillingRecords(c.Request().Context(), bq.filter())
	if err != nil {
		return err
	}
	// A page of records is rendered once and kept by the records
	// themselves (kept_parts.go): they change only at a sync.
	v.Records = h.billingRecords.get("records", recs, sameRecord, func() templates.BillingRecordRows {
		var rows templates.BillingRecordRows
		for i := range recs {
			rows.List = append(rows.List, recordRow(&recs[i]))
		}
		return rows.Kept()
	})
	v.Total = total
	for _, s := range billingSorts {
		hd := sortHeader(c, bq.List, s.Label, s.Key, s.Key != "from" && s.Key != "created" && s.Key != "sent")
		hd.Href += "#records"
		v.Headers = append(v.Headers, hd)
	}
	pg := pager(c, bq.List, total)
	href := pg.Href
	pg.Href = func(n int) string { return href(n) + "#records" }
	v.Pager = pg
	u := c.Request().URL
	v.AllHref = withQuery(u, "unsent", "", "page", "") + "#records"
	v.UnsentHref = withQuery(u, "unsent", "1", "page", "") + "#records"
	return nil
}

var bucketLabels = map[billing.Bucket]templates.BucketLabel{
	billing.BucketHour: {Noun: "hour", Title: "Hour", Adjective: "hourly"}, billing.BucketDay: {Noun: "day", Title: "Day", Adjective: "daily"},
	billing.BucketWeek: {Noun: "week", Title: "Week", Adjective: "weekly"}, billing.BucketMonth: {Noun: "month", Title: "Month", Adjective: "monthly"},
}

// csvQuery is the current query for a CSV link: the same filters, no page.
func csvQuery(c echo.Context) string {
	q := c.Request().URL.Query()
	q.Del("page")
	q.Del("format")
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
