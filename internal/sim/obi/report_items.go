package obi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Report items are a union by type; fields equal to their default are
// left out (name and group_id when null, vlab_id and proj_id outside the
// reports that carry them), but cancelled_at is always there.

type oneshotItem struct {
	JobID          string          `json:"job_id"`
	UserID         string          `json:"user_id"`
	Name           *string         `json:"name,omitempty"`
	GroupID        string          `json:"group_id,omitempty"`
	VlabID         string          `json:"vlab_id,omitempty"`
	ProjID         string          `json:"proj_id,omitempty"`
	Type           string          `json:"type"`
	Subtype        string          `json:"subtype"`
	ReservedAt     wireTime        `json:"reserved_at"`
	StartedAt      wireTime        `json:"started_at"`
	Amount         decimal.Decimal `json:"amount"`
	Count          int64           `json:"count"`
	ReservedAmount decimal.Decimal `json:"reserved_amount"`
	ReservedCount  int64           `json:"reserved_count"`
}

type longrunItem struct {
	JobID            string          `json:"job_id"`
	UserID           string          `json:"user_id"`
	Name             *string         `json:"name,omitempty"`
	GroupID          string          `json:"group_id,omitempty"`
	VlabID           string          `json:"vlab_id,omitempty"`
	ProjID           string          `json:"proj_id,omitempty"`
	Type             string          `json:"type"`
	Subtype          string          `json:"subtype"`
	ReservedAt       wireTime        `json:"reserved_at"`
	StartedAt        wireTime        `json:"started_at"`
	FinishedAt       wireTime        `json:"finished_at"`
	CancelledAt      nullTime        `json:"cancelled_at"`
	Amount           decimal.Decimal `json:"amount"`
	Duration         int64           `json:"duration"`
	ReservedAmount   decimal.Decimal `json:"reserved_amount"`
	ReservedDuration int64           `json:"reserved_duration"`
}

type storageItem struct {
	JobID      string          `json:"job_id"`
	VlabID     string          `json:"vlab_id,omitempty"`
	ProjID     string          `json:"proj_id,omitempty"`
	Type       string          `json:"type"`
	Subtype    string          `json:"subtype"`
	StartedAt  wireTime        `json:"started_at"`
	FinishedAt wireTime        `json:"finished_at"`
	Amount     decimal.Decimal `json:"amount"`
	Duration   int64           `json:"duration"`
	Size       int64           `json:"size"`
}

func reportItem(j *job, sc reportScope) any {
	vlab, proj := "", ""
	if sc.withVlab {
		vlab = j.vlab
	}
	if sc.withProj {
		proj = j.proj
	}
	var name *string
	if j.hasName {
		n := j.name
		name = &n
	}
	duration := int64(j.finishedAt.Sub(j.startedAt) / time.Second)
	switch j.kind {
	case typeOneshot:
		return oneshotItem{j.id, j.user, name, j.group, vlab, proj, j.kind, j.subtype, wireTime(j.reservedAt),
			wireTime(j.startedAt), j.projNet, j.count, j.reserved, j.resCount}
	case typeLongrun:
		return longrunItem{j.id, j.user, name, j.group, vlab, proj, j.kind, j.subtype, wireTime(j.reservedAt),
			wireTime(j.startedAt), wireTime(j.finishedAt), nullTime(j.cancelledAt), j.projNet, duration, j.reserved, j.resDuration}
	default:
		return storageItem{j.id, vlab, proj, j.kind, j.subtype, wireTime(j.startedAt), wireTime(j.finishedAt),
			j.projNet, duration, j.size}
	}
}

type pageMeta struct {
	Page       int64 `json:"page"`
	PageSize   int64 `json:"page_size"`
	TotalPages int64 `json:"total_pages"`
	TotalItems int64 `json:"total_items"`
}

type pageLinks struct {
	Self  string  `json:"self"`
	Prev  *string `json:"prev"`
	Next  *string `json:"next"`
	First string  `json:"first"`
	Last  string  `json:"last"`
}

type pageOut struct {
	Items []any     `json:"items"`
	Meta  pageMeta  `json:"meta"`
	Links pageLinks `json:"links"`
}

// paginated builds the page answer of §4 with absolute links made from
// the request URL.
func paginated(r *http.Request, items []any, page, size, total int64) pageOut {
	pages := (total + size - 1) / size
	link := func(p int64) string { return withPage(r, p) }
	out := pageOut{Items: items, Meta: pageMeta{page, size, pages, total}}
	out.Links.Self = baseURL(r) + r.URL.RequestURI()
	if page > 1 {
		s := link(page - 1)
		out.Links.Prev = &s
	}
	if page < pages {
		s := link(page + 1)
		out.Links.Next = &s
	}
	out.Links.First = link(1)
	out.Links.Last = link(max(pages, 1))
	return out
}

// withPage is the request URL with page set to p: replaced where it
// stands, or appended; the other parameters keep their order (Starlette's
// include_query_params).
func withPage(r *http.Request, p int64) string {
	type pair struct{ k, v string }
	var pairs []pair
	found := false
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		if k == "page" {
			if found {
				continue
			}
			found, v = true, strconv.FormatInt(p, 10)
		}
		pairs = append(pairs, pair{k, v})
	}
	if !found {
		pairs = append(pairs, pair{"page", strconv.FormatInt(p, 10)})
	}
	enc := make([]string, len(pairs))
	for i, kv := range pairs {
		enc[i] = url.QueryEscape(kv.k) + "=" + url.QueryEscape(kv.v)
	}
	return baseURL(r) + r.URL.EscapedPath() + "?" + strings.Join(enc, "&")
}
