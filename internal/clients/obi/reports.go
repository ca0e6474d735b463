package obi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Job types of reports.
const (
	TypeOneshot = "oneshot"
	TypeLongrun = "longrun"
	TypeStorage = "storage"
)

// Job is one finished, fully charged job of a report. Fields a type does
// not have are zero.
type Job struct {
	ID      string
	Type    string // oneshot, longrun, storage (another type is kept as sent)
	Subtype string
	UserID  string // "" for storage
	Name    string
	GroupID string
	VlabID  string // in the system report only
	ProjID  string // in the system and virtual-lab reports
	// ReservedAt is zero for storage. FinishedAt is StartedAt for oneshot
	// jobs (they finish when their usage arrives; the service sends no
	// finished_at). CancelledAt is set for longrun jobs that expired.
	ReservedAt, StartedAt, FinishedAt, CancelledAt time.Time
	// Amount is what the job took from the project; ReservedAmount what
	// its reservation held.
	Amount, ReservedAmount     decimal.Decimal
	Count, ReservedCount       int64 // oneshot usage and reserved count
	Duration, ReservedDuration int64 // seconds (storage: Duration only)
	Size                       int64 // storage bytes
}

// JobPage is one page of a report.
type JobPage struct {
	Jobs       []Job
	Page       int
	PageSize   int
	TotalPages int
	TotalItems int
}

// ProjectReportPage returns one page of a project's job report.
func (c *Client) ProjectReportPage(ctx context.Context, projID string, page, pageSize int) (JobPage, error) {
	if err := checkID("project id", projID); err != nil {
		return JobPage{}, err
	}
	return c.jobPage(ctx, "/report/project/"+projID, page, pageSize)
}

// VirtualLabReportPage returns one page of a virtual lab's job report.
func (c *Client) VirtualLabReportPage(ctx context.Context, vlabID string, page, pageSize int) (JobPage, error) {
	if err := checkID("virtual lab id", vlabID); err != nil {
		return JobPage{}, err
	}
	return c.jobPage(ctx, "/report/virtual-lab/"+vlabID, page, pageSize)
}

// SystemReportPage returns one page of the report of every job.
func (c *Client) SystemReportPage(ctx context.Context, page, pageSize int) (JobPage, error) {
	return c.jobPage(ctx, "/report/system", page, pageSize)
}

// EachProjectJob calls fn with every job of a project's report, newest
// first, fetching page after page (by page number, not by the links), so
// a long history is never held in memory. It stops at fn's first error.
func (c *Client) EachProjectJob(ctx context.Context, projID string, fn func(Job) error) error {
	if err := checkID("project id", projID); err != nil {
		return err
	}
	return c.eachJob(ctx, "/report/project/"+projID, fn)
}

// EachVirtualLabJob is EachProjectJob for a virtual lab's report.
func (c *Client) EachVirtualLabJob(ctx context.Context, vlabID string, fn func(Job) error) error {
	if err := checkID("virtual lab id", vlabID); err != nil {
		return err
	}
	return c.eachJob(ctx, "/report/virtual-lab/"+vlabID, fn)
}

// EachSystemJob is EachProjectJob for the report of every job.
func (c *Client) EachSystemJob(ctx context.Context, fn func(Job) error) error {
	return c.eachJob(ctx, "/report/system", fn)
}

// ProjectJobs returns every job of a project's report.
func (c *Client) ProjectJobs(ctx context.Context, projID string) ([]Job, error) {
	var out []Job
	err := c.EachProjectJob(ctx, projID, func(j Job) error { out = append(out, j); return nil })
	return out, err
}

// VirtualLabJobs returns every job of a virtual lab's report.
func (c *Client) VirtualLabJobs(ctx context.Context, vlabID string) ([]Job, error) {
	var out []Job
	err := c.EachVirtualLabJob(ctx, vlabID, func(j Job) error { out = append(out, j); return nil })
	return out, err
}

// eachJob walks a report. Jobs that finish while it walks are added at
// the top and push older ones down a page, so a job already seen on the
// previous page is skipped rather than given twice.
func (c *Client) eachJob(ctx context.Context, path string, fn func(Job) error) error {
	prev := map[string]bool{}
	for page := 1; ; page++ {
		p, err := c.jobPage(ctx, path, page, c.pageSize)
		if err != nil {
			return err
		}
		cur := make(map[string]bool, len(p.Jobs))
		for _, j := range p.Jobs {
			cur[j.ID] = true
			if prev[j.ID] {
				continue
			}
			if err := fn(j); err != nil {
				return err
			}
		}
		if len(p.Jobs) == 0 || page >= p.TotalPages {
			return nil
		}
		prev = cur
	}
}

func pageQuery(page, size int) url.Values {
	return url.Values{"page": {strconv.Itoa(page)}, "page_size": {strconv.Itoa(size)}}
}

func (c *Client) jobPage(ctx context.Context, path string, page, pageSize int) (JobPage, error) {
	if page < 1 || pageSize < 1 {
		return JobPage{}, fmt.Errorf("obi: page %d and page size %d must be at least 1", page, pageSize)
	}
	b, err := c.do(ctx, request{method: http.MethodGet, path: path, query: pageQuery(page, pageSize), read: true})
	if err != nil {
		return JobPage{}, err
	}
	d := &decoder{where: fmt.Sprintf("page %d of %s", page, path)}
	out := decodeReportBody(d, b)
	return out, d.err
}

// decodeReportBody reads a whole report answer. Reports can be long, so
// a well-formed page is parsed in one pass; anything else goes through
// the field-by-field path, which says precisely what is wrong.
func decodeReportBody(d *decoder, body []byte) JobPage {
	var fast struct {
		Message *string `json:"message"`
		Data    *struct {
			Items []map[string]json.RawMessage `json:"items"`
			Meta  map[string]json.RawMessage   `json:"meta"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &fast) != nil || fast.Message == nil || fast.Data == nil || fast.Data.Items == nil || fast.Data.Meta == nil {
		return decodeJobPage(d, d.envelope(body))
	}
	var out JobPage
	m := object{d: d, path: "data.meta", m: fast.Data.Meta}
	out.Page, out.PageSize = int(m.num("page", true)), int(m.num("page_size", true))
	out.TotalPages, out.TotalItems = int(m.num("total_pages", true)), int(m.num("total_items", true))
	out.Jobs = make([]Job, 0, len(fast.Data.Items))
	for i, it := range fast.Data.Items {
		out.Jobs = append(out.Jobs, decodeJob(object{d: d, path: pathIndex("data.items", i), m: it}))
	}
	return out
}

// decodeJobPage reads a report page's data.
func decodeJobPage(d *decoder, data json.RawMessage) JobPage {
	o := d.object(data, "data")
	var out JobPage
	out.Page, out.PageSize, out.TotalPages, out.TotalItems = decodeMeta(o)
	for i, raw := range o.list("items") {
		out.Jobs = append(out.Jobs, decodeJob(d.object(raw, pathIndex("data.items", i))))
	}
	return out
}

func decodeMeta(o object) (page, size, pages, items int) {
	m := o.d.object(o.raw("meta", true), "data.meta")
	return int(m.num("page", true)), int(m.num("page_size", true)), int(m.num("total_pages", true)), int(m.num("total_items", true))
}

// decodeJob reads one report item: the fields of its type are required,
// name and group_id optional (absent when null), others ignored.
func decodeJob(o object) Job {
	j := Job{ID: o.id("job_id", true), Type: o.word("type"), Subtype: o.word("subtype"),
		Name: o.str("name", false), GroupID: o.id("group_id", false), VlabID: o.id("vlab_id", false), ProjID: o.id("proj_id", false),
		StartedAt: o.tm("started_at", true), Amount: o.dec("amount", true)}
	switch j.Type {
	case TypeOneshot:
		j.UserID, j.ReservedAt = o.id("user_id", true), o.tm("reserved_at", true)
		j.FinishedAt = j.StartedAt
		j.Count, j.ReservedCount = o.num("count", true), o.num("reserved_count", true)
		j.ReservedAmount = o.dec("reserved_amount", true)
	case TypeLongrun:
		j.UserID, j.ReservedAt = o.id("user_id", true), o.tm("reserved_at", true)
		j.FinishedAt, j.CancelledAt = o.tm("finished_at", true), o.tm("cancelled_at", false)
		j.Duration, j.ReservedDuration = o.num("duration", true), o.num("reserved_duration", true)
		j.ReservedAmount = o.dec("reserved_amount", true)
	case TypeStorage:
		j.FinishedAt, j.Duration, j.Size = o.tm("finished_at", true), o.num("duration", true), o.num("size", true)
	default:
		// A type this client does not know yet: keep the common fields.
		j.UserID, j.FinishedAt = o.id("user_id", false), o.tm("finished_at", false)
	}
	return j
}
