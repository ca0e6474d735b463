package vergeos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/portal"
)

const billingPath = "/api/v4/billing"

// Order is the order of a listing by created time.
type Order int

// Orders: newest first (the SDKs' default, sort=-created) or oldest first (sort=+created).
const (
	NewestFirst Order = iota
	OldestFirst
)

func (o Order) sort() string {
	if o == OldestFirst {
		return "+created"
	}
	return "-created"
}

// Window selects billing records by their created time. Both bounds are
// inclusive, as in the SDKs (created ge Since, created le Until); a zero
// bound is left open. Times are truncated to whole seconds.
type Window struct {
	Since, Until time.Time
	Order        Order
}

// Query is a raw billing list request for what Window cannot say. Filter
// is VergeOS's OData-like filter ("created gt 1704000000 and gpus ge 1"),
// Sort a field with "+" or "-", Fields the columns (nil: all of Fields).
type Query struct {
	Filter string
	Sort   string
	Fields []string
}

func (w Window) query() Query {
	var parts []string
	if !w.Since.IsZero() {
		parts = append(parts, "created ge "+strconv.FormatInt(w.Since.Unix(), 10))
	}
	if !w.Until.IsZero() {
		parts = append(parts, "created le "+strconv.FormatInt(w.Until.Unix(), 10))
	}
	return Query{Filter: strings.Join(parts, " and "), Sort: w.Order.sort()}
}

// ListCreated returns every billing record in the window. For long ranges
// prefer EachCreated, which holds one page at a time.
func (c *Client) ListCreated(ctx context.Context, w Window) ([]BillingRecord, error) {
	var all []BillingRecord
	err := c.Each(ctx, w.query(), func(page []BillingRecord) error {
		all = append(all, page...)
		return nil
	})
	return all, err
}

// EachCreated calls fn with each page of the records in the window, in
// order, until the last (short) page. An error from fn stops the listing
// and is returned as is. fn must not keep page: its array is reused.
func (c *Client) EachCreated(ctx context.Context, w Window, fn func(page []BillingRecord) error) error {
	return c.Each(ctx, w.query(), fn)
}

// EachNewer is the incremental read for a sync: it pages through the
// records created strictly after the high-water mark (Unix seconds;
// created gt after, sort=+created), oldest first, so the caller can store
// each page and then the new mark (the last record's Created). New records
// arrive at the end of this order, so paging by offset stays stable while
// VergeOS keeps writing. fn must not keep page.
func (c *Client) EachNewer(ctx context.Context, after int64, fn func(page []BillingRecord) error) error {
	return c.Each(ctx, Query{Filter: "created gt " + strconv.FormatInt(after, 10), Sort: "+created"}, fn)
}

// Each pages through GET /api/v4/billing with q, PageSize rows at a time
// (limit/offset), calling fn once per non-empty page, until a page shorter
// than the limit. fn must not keep page: its array is reused.
func (c *Client) Each(ctx context.Context, q Query, fn func(page []BillingRecord) error) error {
	fields := q.Fields
	if len(fields) == 0 {
		fields = Fields
	}
	var page []BillingRecord
	var prevFirst Key
	for n, offset := 1, 0; ; n++ {
		v := url.Values{"fields": {strings.Join(fields, ",")}, "limit": {strconv.Itoa(c.pageSize)}, "offset": {strconv.Itoa(offset)}}
		if q.Filter != "" {
			v.Set("filter", q.Filter)
		}
		if q.Sort != "" {
			v.Set("sort", q.Sort)
		}
		body, err := c.get(ctx, billingPath, v)
		if err != nil {
			return err
		}
		if page, err = DecodeRecords(page[:0], body); err != nil {
			return malformed(fmt.Sprintf("page %d of /billing", n), err)
		}
		if len(page) == 0 {
			return nil
		}
		// A server that ignores offset would send the same full page forever.
		if n > 1 && page[0].Key != "" && page[0].Key == prevFirst {
			return portal.Errorf(portal.EUNAVAILABLE, "%s: page %d of /billing repeats page %d: the server ignores offset", upstreamName, n, n-1)
		}
		prevFirst = page[0].Key
		if err := fn(page); err != nil {
			return err
		}
		// A short page is the last; so is an over-long one (the server ignored limit).
		if len(page) != c.pageSize {
			return nil
		}
		offset += len(page)
	}
}

// Latest returns the newest billing record (limit=1, sort=-created), or
// an ENOTFOUND error when there is none.
func (c *Client) Latest(ctx context.Context) (BillingRecord, error) {
	v := url.Values{"fields": {strings.Join(Fields, ",")}, "limit": {"1"}, "sort": {"-created"}}
	body, err := c.get(ctx, billingPath, v)
	if err != nil {
		return BillingRecord{}, err
	}
	rs, err := DecodeRecords(nil, body)
	if err != nil {
		return BillingRecord{}, malformed("latest /billing", err)
	}
	if len(rs) == 0 {
		return BillingRecord{}, portal.Errorf(portal.ENOTFOUND, "%s: there are no billing records", upstreamName)
	}
	return rs[0], nil
}

// Get returns the billing record with key. A missing row is ENOTFOUND with
// VergeOS's message.
func (c *Client) Get(ctx context.Context, key Key) (BillingRecord, error) {
	if strings.TrimSpace(string(key)) == "" {
		return BillingRecord{}, portal.Errorf(portal.EINVALID, "vergeos: a billing record key is required")
	}
	path := billingPath + "/" + url.PathEscape(string(key))
	body, err := c.get(ctx, path, url.Values{"fields": {strings.Join(Fields, ",")}})
	if err != nil {
		return BillingRecord{}, err
	}
	r, ok, err := decodeRecord(body)
	if err != nil {
		return BillingRecord{}, malformed("/billing/"+string(key), err)
	}
	if !ok {
		return BillingRecord{}, portal.Errorf(portal.ENOTFOUND, "%s: billing record %s not found", upstreamName, key)
	}
	return r, nil
}

// GenerateResult is what VergeOS answered to a generate action: the
// usual create reply. Key, Location and DBPath name the row the POST
// created, which on a real system is the billing_actions row (see Table),
// not the billing record: the new record shows up in the next listing.
// Any field may be empty; Raw is the body as sent.
type GenerateResult struct {
	Status   int
	Key      Key
	Location string
	DBPath   string
	Row      int64
	Raw      json.RawMessage
}

// Table returns the table the created row is in, from DBPath or Location
// ("billing_actions"), or "".
func (g GenerateResult) Table() string {
	p := strings.TrimPrefix(g.DBPath, "/")
	if p == "" {
		p = strings.TrimPrefix(strings.TrimPrefix(g.Location, "/"), "v4/")
	}
	table, _, _ := strings.Cut(p, "/")
	return table
}

// Generate asks VergeOS to write a billing record for current usage:
// POST /api/v4/billing_actions {"action":"generate"}. It is a write and is
// sent once: on EUNCERTAIN it may or may not have happened. An empty 2xx
// body is success (the SDKs treat it as "no content"); a body that is not
// the usual create reply is EUNCERTAIN: something answered 2xx, but not
// provably VergeOS having acted, so the outcome is looked up, not assumed.
func (c *Client) Generate(ctx context.Context) (GenerateResult, error) {
	var res GenerateResult
	decode := func(b []byte) (err error) {
		res, err = DecodeGenerate(b)
		return err
	}
	resp, err := c.post(ctx, "/api/v4/billing_actions", []byte(`{"action":"generate"}`), decode)
	if err != nil {
		return GenerateResult{}, err
	}
	res.Status = resp.Status
	return res, nil
}
