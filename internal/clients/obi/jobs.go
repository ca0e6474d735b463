package obi

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// OpenJob is a longrun job neither finished nor cancelled, including one
// only reserved (StartedAt and LastAliveAt zero).
type OpenJob struct {
	ID, VlabID, ProjID string
	Subtype            string
	StartedAt          time.Time
	LastAliveAt        time.Time
	CreatedAt          time.Time
}

// OpenLongrunJobs returns every open longrun job, of one subtype or ("")
// of all, oldest first.
func (c *Client) OpenLongrunJobs(ctx context.Context, subtype string) ([]OpenJob, error) {
	var out []OpenJob
	seen := map[string]bool{}
	for page := 1; ; page++ {
		q := pageQuery(page, c.pageSize)
		if subtype != "" {
			q.Set("subtype", subtype)
		}
		d, data, err := c.get(ctx, "/job/longrun/open", q)
		if err != nil {
			return nil, err
		}
		d.where = fmt.Sprintf("page %d of /job/longrun/open", page)
		jobs, pages := decodeOpenJobs(d, data)
		if d.err != nil {
			return nil, d.err
		}
		for _, j := range jobs {
			if !seen[j.ID] {
				seen[j.ID] = true
				out = append(out, j)
			}
		}
		if len(jobs) == 0 || page >= pages {
			return out, nil
		}
	}
}

func decodeOpenJobs(d *decoder, data json.RawMessage) ([]OpenJob, int) {
	o := d.object(data, "data")
	_, _, pages, _ := decodeMeta(o)
	var out []OpenJob
	for i, raw := range o.list("items") {
		it := d.object(raw, pathIndex("data.items", i))
		out = append(out, OpenJob{ID: it.id("id", true), VlabID: it.id("vlab_id", true), ProjID: it.id("proj_id", true),
			Subtype: it.word("service_subtype"), StartedAt: it.tm("started_at", false),
			LastAliveAt: it.tm("last_alive_at", false), CreatedAt: it.tm("created_at", true)})
	}
	return out, pages
}
