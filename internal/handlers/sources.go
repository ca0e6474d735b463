package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

func (h *Handler) handleSources(c echo.Context) error {
	ctx := c.Request().Context()
	p, err := h.page(c, "Data sources", "sources")
	if err != nil {
		return err
	}
	fresh, err := h.freshness(c, portal.Upstreams...)
	if err != nil {
		return err
	}
	st, err := h.Store.SourceStatuses(ctx, portal.Upstreams)
	if err != nil {
		return err
	}
	v := templates.SourcesView{Page: p, ProjectsFile: h.projectsFileView()}
	for _, f := range fresh {
		src := h.source(f.Upstream)
		row := templates.SourceRow{Freshness: f, Interval: src.Interval, CanSyncNow: src.Configured}
		if src.Configured {
			row.NextRun, row.Running = h.Sync.NextRun(f.Upstream), h.Sync.Running(f.Upstream)
			if s := st[f.Upstream]; s.LastSuccess != nil {
				row.LastRows = s.LastSuccess.Rows
			}
			counts, err := h.Store.CachedRowCounts(ctx, f.Upstream)
			if err != nil {
				return err
			}
			for _, rc := range counts {
				row.CachedRows = append(row.CachedRows, templates.RowCount{Label: rc.Label, Rows: rc.Rows})
			}
			byHand, err := h.Store.LatestAudit(ctx, syncSubject(f.Upstream), 1)
			if err != nil {
				return err
			}
			for _, e := range byHand {
				row.ByHand, row.ByHandAt = orName(e.ActorName, e.Actor), e.At
			}
			runs, err := h.Store.RecentSyncRuns(ctx, f.Upstream, 10)
			if err != nil {
				return err
			}
			for _, r := range runs {
				rr := templates.SyncRunRow{Started: r.Started, Rows: r.Rows, Error: r.Error, Running: r.Finished.IsZero()}
				if !rr.Running {
					rr.Took = r.Finished.Sub(r.Started)
				}
				row.Recent = append(row.Recent, rr)
			}
		}
		v.Rows = append(v.Rows, row)
	}
	if h.MailStatus != nil {
		m, err := h.MailStatus(ctx)
		if err != nil {
			return err
		}
		v.Mail = &m
	}
	return render(c, http.StatusOK, templates.Sources(v))
}

// projectsFileView is the projects file as the data-sources page shows it.
func (h *Handler) projectsFileView() *templates.ProjectsFileView {
	if h.ProjectsFile == nil {
		return nil
	}
	st := h.ProjectsFile()
	v := &templates.ProjectsFileView{Now: h.nowUTC(), Path: st.Path, Error: st.Error, ErrorAt: st.ErrorAt}
	if c := st.Current; c != nil {
		v.LoadedAt, v.ModTime, v.SHA256 = c.LoadedAt, c.ModTime, c.SHA256
		v.Projects, v.VirtualLabs = len(c.Catalog.Projects), len(c.Catalog.VirtualLabs)
	}
	return v
}

// syncSubject is the history subject of an upstream's syncs started by hand.
func syncSubject(upstream string) string { return "sync:" + upstream }

// handleSyncNow starts a sync of one upstream at once, and records who
// asked, so the data-sources page can name them.
func (h *Handler) handleSyncNow(c echo.Context) error {
	up := c.Param("upstream")
	if !h.source(up).Configured {
		return portal.Errorf(portal.ENOTFOUND, "%s is not configured.", portal.UpstreamTitle(up))
	}
	if err := h.Sync.Trigger(up); err != nil {
		return err
	}
	u := user(c)
	if err := h.Store.RecordAudit(c.Request().Context(), portal.AuditEntry{Actor: u.Subject, ActorName: u.DisplayName(),
		Subject: syncSubject(up), To: "started", Reason: "sync now"}); err != nil {
		return err
	}
	return h.flashRedirect(c, portal.UpstreamTitle(up)+": a sync has started. Reload this page to see it finish.", "/sources")
}

// handleSourcesCSV is the CSV twin of the data-sources page's run tables:
// the recent sync runs of every configured upstream.
func (h *Handler) handleSourcesCSV(c echo.Context) error {
	ctx := c.Request().Context()
	w, err := streamCSV(c, "sync_runs.csv", []string{"upstream", "started_utc", "finished_utc", "took_ms", "rows", "error"})
	if err != nil {
		return err
	}
	for _, src := range h.Sources {
		if !src.Configured {
			continue
		}
		runs, err := h.Store.RecentSyncRuns(ctx, src.Upstream, sourcesCSVRuns)
		if err != nil {
			return w.finish(err)
		}
		for _, r := range runs {
			took := ""
			if !r.Finished.IsZero() {
				took = strconv.FormatInt(r.Finished.Sub(r.Started).Milliseconds(), 10)
			}
			if err := w.row([]string{r.Upstream, csvTime(r.Started), csvTime(r.Finished), took, strconv.FormatInt(r.Rows, 10), r.Error}); err != nil {
				return w.finish(err)
			}
		}
	}
	return w.finish(nil)
}

// sourcesCSVRuns is how many recent runs per upstream the CSV holds.
const sourcesCSVRuns = 1000
