package handlers

import (
	"context"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// The usage pages show what the ACCESS AMIE Usage API says about the
// site's usage records, and send new ones:
//
//   - /usage: the processing status per resource and UTC day (records
//     loaded and failed, total charge). The status is a site-wide count per
//     resource that names no project, user or record, so every signed-in
//     person sees it.
//   - /usage/failed: the records that failed processing, grouped by error.
//     Records name projects, users and charges, so this is scoped to the
//     user's projects (via the project's AMIE id). Admins clear them.
//   - /usage/upload and /usage/uploads: managers (for their projects) and
//     admins upload CSV files of usage records, which are checked whole
//     and then sent through the outbox.

// UsageStore is what the usage pages need: the cache (*cache.DB) and the
// AMIE client's planning of requests (see app.usageStore).
type UsageStore interface {
	ListUsageStatus(ctx context.Context, f usage.StatusFilter) ([]usage.StatusDay, int64, error)
	EachUsageStatus(ctx context.Context, f usage.StatusFilter, fn func(usage.StatusDay) error) error
	UsageStatusSummary(ctx context.Context, f usage.StatusFilter) (usage.StatusSummary, error)
	AMIEResources(ctx context.Context) ([]string, error)
	UsageStatusExtent(ctx context.Context, resource string) (portal.Extent, error)

	ListFailed(ctx context.Context, f usage.FailedFilter) ([]usage.FailedRecord, int64, error)
	EachFailed(ctx context.Context, f usage.FailedFilter, fn func(usage.FailedRecord) error) error
	FailedGroups(ctx context.Context, f usage.FailedFilter) ([]usage.FailedGroup, error)
	FailedIDs(ctx context.Context, f usage.FailedFilter) ([]int64, error)
	FailedOptions(ctx context.Context, scope portal.Scope) (usage.FailedOptions, error)

	CreateUsageClear(ctx context.Context, ids []int64, actor, actorName string) (int64, error)
	UsageClearByID(ctx context.Context, id int64) (*usage.Clear, error)
	ListUsageClears(ctx context.Context, f usage.ClearFilter) ([]usage.Clear, int64, error)

	AMIEProjectIDs(ctx context.Context, scope portal.Scope) (map[string]string, bool, error)
	CreateUsageUpload(ctx context.Context, u usage.Upload, fill func(w usage.Writer) error) (int64, error)
	UsageUploadByID(ctx context.Context, id int64) (*usage.Upload, error)
	ListUsageUploads(ctx context.Context, f usage.UploadFilter) ([]usage.Upload, int64, error)
	EachUsageUpload(ctx context.Context, f usage.UploadFilter, fn func(usage.Upload) error) error
	UploadProgress(ctx context.Context, id int64) (map[string]int, error)
	ListUploadRecords(ctx context.Context, f usage.UploadRecordFilter) ([]usage.UploadRecord, int64, error)
	EachUploadRecord(ctx context.Context, f usage.UploadRecordFilter, fn func(usage.UploadRecord) error) error
	UploadRefusals(ctx context.Context, id int64) ([]usage.FailedGroup, error)
	UploadProcessingFailures(ctx context.Context, id int64, usageType string) (int64, error)

	// PlanUsage splits records of one type into the requests the AMIE
	// client will send (each under its body limit, no record split).
	PlanUsage(usageType string, recs []usage.Record) ([]usage.Chunk, error)
}

// registerUsage mounts the usage pages.
func (h *Handler) registerUsage(e *echo.Echo) {
	h.add(e, "GET", "/usage", h.handleUsageStatus, Member)
	h.add(e, "GET", "/usage.csv", h.handleUsageStatus, Member)
	h.add(e, "GET", "/usage/failed", h.handleUsageFailed, Member)
	h.add(e, "GET", "/usage/failed.csv", h.handleUsageFailed, Member)
	h.add(e, "POST", "/usage/failed/clear", h.handleUsageClear, Admin)
	h.add(e, "GET", "/usage/clears", h.handleUsageClears, Admin)
	h.add(e, "GET", "/usage/clears.csv", h.handleUsageClears, Admin)
	h.add(e, "GET", "/usage/clears/:id", h.handleUsageClearItem, Admin)
	h.add(e, "GET", "/usage/upload", h.handleUploadForm, Manager)
	h.add(e, "POST", "/usage/upload", h.handleUpload, Manager)
	for _, s := range usageSchemas {
		h.add(e, "GET", "/usage/templates/"+s.Key+".csv", h.handleUsageTemplate(s), Manager)
	}
	h.add(e, "GET", "/usage/uploads", h.handleUploads, Manager)
	h.add(e, "GET", "/usage/uploads.csv", h.handleUploads, Manager)
	// /usage/uploads/:id also serves its records table's CSV twin as /usage/uploads/<id>.csv.
	h.add(e, "GET", "/usage/uploads/:id", h.handleUploadItem, Manager)
}
