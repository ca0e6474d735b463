package obi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Reports (API.md §5.10): finished and fully charged jobs, newest
// started_at first, then by id, paginated. Pages are assembled one UTC
// day at a time: whole days before the page are skipped by their counts,
// so a page of a long history costs one or two days of generation.

// reportScope says which jobs a report covers and which ids its items carry.
type reportScope struct {
	key      string
	vlab     string // "" for the system report
	proj     string // set for a project report
	projects []int  // history project indexes in scope
	withVlab bool
	withProj bool
}

func (sc reportScope) has(j *job) bool {
	return (sc.vlab == "" || j.vlab == sc.vlab) && (sc.proj == "" || j.proj == sc.proj)
}

// dayCache keeps the last generated history days of a scope (sorted,
// immutable), so walking a report page by page does not regenerate a day
// for each page.
type dayCache struct {
	entries [2]struct {
		key  string
		day  int64
		jobs []*job
	}
	next int
}

func (c *dayCache) get(key string, day int64) ([]*job, bool) {
	for _, e := range c.entries {
		if e.jobs != nil && e.key == key && e.day == day {
			return e.jobs, true
		}
	}
	return nil, false
}

func (c *dayCache) put(key string, day int64, jobs []*job) {
	e := &c.entries[c.next]
	e.key, e.day, e.jobs = key, day, jobs
	c.next = (c.next + 1) % len(c.entries)
}

// reportOrder is started_at descending, then id.
func reportOrder(a, b *job) int {
	if c := b.startedAt.Compare(a.startedAt); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// storedReportable returns the stored reportable jobs of the scope by day.
func (s *Server) storedReportable(sc reportScope) map[int64][]*job {
	out := map[int64][]*job{}
	for _, j := range s.jobs.list {
		if j.reportable() && sc.has(j) {
			d := dayOf(j.startedAt)
			out[d] = append(out[d], j)
		}
	}
	return out
}

// reportDays lists the days that may hold jobs, newest first.
func (s *Server) reportDays(sc reportScope, stored map[int64][]*job) []int64 {
	set := map[int64]bool{}
	if s.hist != nil && len(sc.projects) > 0 {
		for d := s.hist.firstDay; d <= s.hist.lastDay; d++ {
			set[d] = true
		}
	}
	for d := range stored {
		set[d] = true
	}
	days := make([]int64, 0, len(set))
	for d := range set {
		days = append(days, d)
	}
	slices.Sort(days)
	slices.Reverse(days)
	return days
}

func (s *Server) dayCount(sc reportScope, d int64, stored map[int64][]*job) int64 {
	n := int64(len(stored[d]))
	if s.hist != nil {
		for _, p := range sc.projects {
			n += int64(s.hist.count(p, d))
		}
	}
	return n
}

// dayJobs is the scope's reportable jobs started on day d, in report
// order: the day's history (cached) merged with the stored jobs.
func (s *Server) dayJobs(sc reportScope, d int64, stored []*job) []*job {
	virtual := s.historyDay(sc, d)
	if len(stored) == 0 {
		return virtual
	}
	stored = slices.Clone(stored)
	slices.SortFunc(stored, reportOrder)
	out := make([]*job, 0, len(virtual)+len(stored))
	i, k := 0, 0
	for i < len(virtual) || k < len(stored) {
		if k == len(stored) || (i < len(virtual) && reportOrder(virtual[i], stored[k]) <= 0) {
			out = append(out, virtual[i])
			i++
		} else {
			out = append(out, stored[k])
			k++
		}
	}
	return out
}

// historyDay is the scope's history jobs of day d, sorted.
func (s *Server) historyDay(sc reportScope, d int64) []*job {
	if s.hist == nil || len(sc.projects) == 0 {
		return nil
	}
	if js, ok := s.hist.cache.get(sc.key, d); ok {
		return js
	}
	var out []*job
	for _, p := range sc.projects {
		for _, j := range s.hist.day(p, d) {
			if s.hist.finished(j) {
				j.lastChargedAt = j.finishedAt
				out = append(out, j)
			}
		}
	}
	slices.SortFunc(out, reportOrder)
	s.hist.cache.put(sc.key, d, out)
	return out
}

// reportPage returns the jobs of one page and the total number of jobs.
func (s *Server) reportPage(sc reportScope, page, size int64) ([]*job, int64) {
	stored := s.storedReportable(sc)
	days := s.reportDays(sc, stored)
	counts := make([]int64, len(days))
	var total int64
	for i, d := range days {
		counts[i] = s.dayCount(sc, d, stored)
		total += counts[i]
	}
	offset := (page - 1) * size
	if offset >= total {
		return nil, total
	}
	var items []*job
	var cum int64
	for i, d := range days {
		if cum+counts[i] <= offset {
			cum += counts[i]
			continue
		}
		js := s.dayJobs(sc, d, stored[d])
		from := max(0, offset-cum)
		for _, j := range js[min(from, int64(len(js))):] {
			if int64(len(items)) == size {
				break
			}
			items = append(items, j)
		}
		cum += counts[i]
		if int64(len(items)) == size {
			break
		}
	}
	if s.hist != nil {
		for _, j := range items {
			s.hist.price(j)
		}
	}
	return items, total
}

func (s *Server) handleSystemReport(c *call) {
	sc := reportScope{key: "system", withVlab: true, withProj: true}
	if s.hist != nil {
		for i := range s.hist.projects {
			sc.projects = append(sc.projects, i)
		}
	}
	s.serveReport(c, sc, "Job report for system")
}

func (s *Server) handleVlabReport(c *call) {
	id, ok := c.pathUUID("vlab_id")
	if !ok {
		return
	}
	if s.led.get(id, KindVirtualLab) == nil {
		c.fail(notFound("Virtual lab not found"))
		return
	}
	sc := reportScope{key: "vlab/" + id, vlab: id, withProj: true}
	if s.hist != nil {
		for i, p := range s.hist.projects {
			if p.vlab == id {
				sc.projects = append(sc.projects, i)
			}
		}
	}
	s.serveReport(c, sc, "Job report for virtual-lab "+id)
}

func (s *Server) handleProjectReport(c *call) {
	id, ok := c.pathUUID("proj_id")
	if !ok {
		return
	}
	if s.led.get(id, KindProject) == nil {
		c.fail(notFound("Project not found"))
		return
	}
	sc := reportScope{key: "proj/" + id, proj: id}
	if s.hist != nil {
		if i, ok := s.hist.index[id]; ok {
			sc.projects = []int{i}
		}
	}
	s.serveReport(c, sc, "Job report for project "+id)
}

func (s *Server) serveReport(c *call, sc reportScope, message string) {
	page, size, ok := c.pagination()
	if !ok {
		return
	}
	jobs, total := s.reportPage(sc, page, size)
	items := make([]any, 0, len(jobs))
	for _, j := range jobs {
		items = append(items, reportItem(j, sc))
	}
	c.data(http.StatusOK, message, paginated(c.r, items, page, size, total))
}

// openJobs lists the open longrun jobs (§5.11), oldest created first.
func (s *Server) handleOpenJobs(c *call) {
	q := c.r.URL.Query()
	subtype := ""
	if vs, ok := q["subtype"]; ok && len(vs) > 0 {
		raw, _ := json.Marshal(vs[len(vs)-1])
		v, ds := choiceField(subtypeQueryF, raw, []any{"query", "subtype"})
		if ds != nil {
			c.invalid(ds)
			return
		}
		subtype = v.(string)
	}
	page, size, ok := c.pagination()
	if !ok {
		return
	}
	var open []*job
	for _, j := range s.jobs.list {
		if j.open() && (subtype == "" || j.subtype == subtype) {
			open = append(open, j)
		}
	}
	slices.SortStableFunc(open, func(a, b *job) int {
		if c := a.createdAt.Compare(b.createdAt); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	total := int64(len(open))
	lo, hi := min((page-1)*size, total), min(page*size, total)
	items := make([]any, 0, hi-lo)
	for _, j := range open[lo:hi] {
		items = append(items, openJobOut{j.id, j.vlab, j.proj, j.subtype, nullTime(j.startedAt), nullTime(j.lastAliveAt), wireTime(j.createdAt)})
	}
	c.data(http.StatusOK, "Open longrun jobs", paginated(c.r, items, page, size, total))
}

type openJobOut struct {
	ID             string   `json:"id"`
	VlabID         string   `json:"vlab_id"`
	ProjID         string   `json:"proj_id"`
	ServiceSubtype string   `json:"service_subtype"`
	StartedAt      nullTime `json:"started_at"`
	LastAliveAt    nullTime `json:"last_alive_at"`
	CreatedAt      wireTime `json:"created_at"`
}

// pagination reads page and page_size (defaults 1 and 1000, both >= 1).
func (c *call) pagination() (int64, int64, bool) {
	q := c.r.URL.Query()
	var ds []detail
	page, d1 := queryInt(q, "page", 1, 1)
	size, d2 := queryInt(q, "page_size", 1000, 1)
	for _, d := range []*detail{d1, d2} {
		if d != nil {
			ds = append(ds, *d)
		}
	}
	if ds != nil {
		c.invalid(ds)
		return 0, 0, false
	}
	return page, size, true
}
