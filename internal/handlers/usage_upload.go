package handlers

import (
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
	"github.com/accounting-portal/portal/web/templates"
)

// uploadMaxBytes is the largest upload body (UploadBodyLimit).
const uploadMaxBytes = 64 << 20

// handleUploadForm shows the upload form.
func (h *Handler) handleUploadForm(c echo.Context) error {
	v, err := h.uploadView(c)
	if err != nil {
		return err
	}
	v.Type = c.QueryParam("type")
	return render(c, http.StatusOK, templates.UsageUpload(v))
}

// uploadView builds the form's view: the record types with their columns,
// and the projects and resources the user may send records for.
func (h *Handler) uploadView(c echo.Context) (templates.UsageUploadView, error) {
	ctx := c.Request().Context()
	u := user(c)
	p, err := h.page(c, "Upload usage records", "usage", portal.UpstreamAMIE)
	if err != nil {
		return templates.UsageUploadView{}, err
	}
	v := templates.UsageUploadView{Page: p, Configured: h.source(portal.UpstreamAMIE).Configured,
		MaxRows: templates.Int(maxUploadRows), MaxSize: "64 MB", Errors: map[string]string{}}
	ids, all, err := h.Usage.AMIEProjectIDs(ctx, u.ManageScope())
	if err != nil {
		return v, err
	}
	v.AnyProject = all
	keys := make([]string, 0, len(ids))
	for _, k := range ids {
		keys = append(keys, k)
	}
	names, err := h.Store.ProjectNames(ctx, keys)
	if err != nil {
		return v, err
	}
	for id, key := range ids {
		if name, ok := names[key]; ok && id != key {
			v.Projects = append(v.Projects, templates.UploadProject{ID: id, Key: key, Name: name})
		}
	}
	sort.Slice(v.Projects, func(i, j int) bool { return v.Projects[i].ID < v.Projects[j].ID })
	if v.Resources, err = h.Usage.AMIEResources(ctx); err != nil {
		return v, err
	}
	for _, s := range usageSchemas {
		us := templates.UploadSchema{Key: s.Key, Label: s.Label, TemplateHref: "/usage/templates/" + s.Key + ".csv"}
		for _, col := range s.Columns {
			us.Columns = append(us.Columns, templates.UploadColumn{Name: col.Name, Required: col.Required, Doc: col.Doc})
		}
		v.Schemas = append(v.Schemas, us)
	}
	return v, nil
}

// usageCheck is what the user's files are checked against.
func (h *Handler) usageCheck(ctx context.Context, u *portal.User) (*usageCheck, error) {
	ids, all, err := h.Usage.AMIEProjectIDs(ctx, u.ManageScope())
	if err != nil {
		return nil, err
	}
	res, err := h.Usage.AMIEResources(ctx)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(res))
	for _, r := range res {
		known[r] = true
	}
	return &usageCheck{Projects: ids, AnyProject: all, Resources: known, Now: h.nowUTC()}, nil
}

// handleUpload checks an uploaded file whole and, only if every row is
// clean, stores it with its planned requests (one transaction) and sends
// it through the outbox. A refused file re-renders the form with 422 and
// every problem (line, column, reason); nothing is stored or sent.
func (h *Handler) handleUpload(c echo.Context) error {
	ctx := c.Request().Context()
	if c.Request().ContentLength > uploadMaxBytes {
		return portal.Errorf(portal.ETOOLARGE, "The file is larger than the portal accepts (%sB); split it into smaller files.", UploadBodyLimit)
	}
	v, err := h.uploadView(c)
	if err != nil {
		return err
	}
	v.Type = c.FormValue("type")
	s := usageSchemaByKey(v.Type)
	if s == nil {
		v.Errors["type"] = "Choose the record type of the file: compute, storage or adjustment."
	}
	fh, err := c.FormFile("file")
	switch {
	case err != nil:
		v.Errors["file"] = "Choose a CSV file to upload."
	case fh.Size > uploadMaxBytes:
		return portal.Errorf(portal.ETOOLARGE, "The file is larger than the portal accepts (%sB); split it into smaller files.", UploadBodyLimit)
	default:
		v.Filename = uploadFilename(fh.Filename)
	}
	if !v.Configured {
		v.Errors["file"] = "ACCESS AMIE usage is not configured, so uploads cannot be sent."
	}
	if len(v.Errors) > 0 {
		return render(c, http.StatusUnprocessableEntity, templates.UsageUpload(v))
	}
	id, chunks, rep, err := h.acceptUpload(ctx, user(c), s, fh, v.Filename)
	if err != nil {
		return err
	}
	if !rep.Clean() {
		return h.refuseUpload(c, v, rep)
	}
	return h.flashRedirect(c, fmt.Sprintf("Upload %d: all %s records were checked and are being sent in %d requests.", id, templates.Int(int64(rep.Rows)), chunks), "/usage/uploads/"+strconv.FormatInt(id, 10))
}

// acceptUpload checks every row of a file of records of schema s and, if
// all are right, stores them with their planned requests and wakes the
// dispatcher. A file with problems is stored not at all: its report
// lists them (rep.Clean() is false). The form and the API both upload
// through here.
func (h *Handler) acceptUpload(ctx context.Context, u *portal.User, s *usageSchema, fh *multipart.FileHeader, name string) (int64, int, *uploadReport, error) {
	chk, err := h.usageCheck(ctx, u)
	if err != nil {
		return 0, 0, nil, err
	}
	rep, err := readUploadFile(fh, s, chk, nil)
	if err != nil {
		return 0, 0, nil, err
	}
	if !rep.Clean() {
		return 0, 0, rep, nil
	}
	id, chunks, err := h.storeUpload(ctx, u, s, fh, name, rep, chk)
	if err != nil {
		if code := portal.ErrorCode(err); code == portal.EINVALID || code == portal.ETOOLARGE {
			rep.add(0, "", "%s", portal.ErrorMessage(err))
			return 0, 0, rep, nil
		}
		return 0, 0, nil, err
	}
	h.Outbox.Notify()
	return id, chunks, rep, nil
}

// refuseUpload re-renders the form with the file's problems.
func (h *Handler) refuseUpload(c echo.Context, v templates.UsageUploadView, rep *uploadReport) error {
	for _, p := range rep.Problems {
		v.Problems = append(v.Problems, templates.UploadProblem{Line: p.Line, Column: p.Column, Reason: p.Reason})
	}
	v.MoreProblems = rep.More
	return render(c, http.StatusUnprocessableEntity, templates.UsageUpload(v))
}

func readUploadFile(fh *multipart.FileHeader, s *usageSchema, chk *usageCheck, emit func(*usage.Record) error) (*uploadReport, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("handlers: open upload: %w", err)
	}
	defer f.Close()
	return readUsageCSV(f, s, chk, emit)
}

// storeUpload reads the clean file a second time and stores its records
// and planned requests in one transaction; it returns the upload's id and
// how many requests it has.
func (h *Handler) storeUpload(ctx context.Context, u *portal.User, s *usageSchema, fh *multipart.FileHeader, name string,
	rep *uploadReport, chk *usageCheck) (int64, int, error) {
	up := usage.Upload{UsageType: s.Type, Filename: name, Records: rep.Rows, TotalCharge: rep.Charge.String(),
		Projects: rep.Projects, CreatedBy: u.Subject, CreatedByName: u.DisplayName()}
	var chunks int
	id, err := h.Usage.CreateUsageUpload(ctx, up, func(w usage.Writer) error {
		p := &uploadPlanner{plan: h.Usage.PlanUsage, typ: s.Type, w: w, flushAt: uploadPlanBatch}
		again, err := readUploadFile(fh, s, chk, p.add)
		if err != nil {
			return err
		}
		if !again.Clean() || again.Rows != rep.Rows {
			return fmt.Errorf("handlers: the upload read differently the second time (%d rows, %d problems)", again.Rows, again.Total())
		}
		if err := p.flush(true); err != nil {
			return err
		}
		chunks = p.next
		return nil
	})
	return id, chunks, err
}

// uploadPlanBatch is how many records are planned at a time.
const uploadPlanBatch = 8192

// uploadPlanner plans records in batches with the client's planning and
// hands complete requests to the writer. The last request of a batch may
// still have room, so its records are carried into the next batch and
// planned again: the requests come out exactly as if the whole file had
// been planned at once (the planning fills requests greedily in order),
// while only a batch of records is held in memory.
type uploadPlanner struct {
	plan    func(usageType string, recs []usage.Record) ([]usage.Chunk, error)
	typ     string
	w       usage.Writer
	pending []usage.Record
	flushAt int
	next    int // index of the next request
}

func (p *uploadPlanner) add(rec *usage.Record) error {
	p.pending = append(p.pending, *rec)
	if len(p.pending) >= p.flushAt {
		return p.flush(false)
	}
	return nil
}

// flush plans the pending records and stores every complete request; with
// last, every request.
func (p *uploadPlanner) flush(last bool) error {
	if len(p.pending) == 0 {
		return nil
	}
	chunks, err := p.plan(p.typ, p.pending)
	if err != nil {
		return err
	}
	keep := len(chunks)
	if !last {
		keep--
	}
	off := 0
	for _, ch := range chunks[:keep] {
		ch.Index = p.next
		if err := p.w.Add(ch, p.pending[off:off+ch.Count]); err != nil {
			return err
		}
		p.next++
		off += ch.Count
	}
	p.pending = append(p.pending[:0], p.pending[off:]...)
	// Should one request hold a whole batch, plan again only after another batch.
	p.flushAt = len(p.pending) + uploadPlanBatch
	return nil
}

// uploadFilename keeps the base name of an uploaded file, printable and short.
func uploadFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, name)
	if r := []rune(name); len(r) > 120 {
		name = string(r[:120])
	}
	if name == "" || name == "." || name == "/" {
		return "upload.csv"
	}
	return name
}

// handleUsageTemplate serves a record type's CSV template: the header row
// naming every column, and one example row (with one of the user's
// projects and a resource AMIE reported, when there are some, and times
// of yesterday, so the example itself would pass the checks).
func (h *Handler) handleUsageTemplate(s *usageSchema) echo.HandlerFunc {
	return func(c echo.Context) error {
		chk, err := h.usageCheck(c.Request().Context(), user(c))
		if err != nil {
			return err
		}
		day := usage.DayStart(h.nowUTC()).AddDate(0, 0, -1)
		header := make([]string, len(s.Columns))
		example := make([]string, len(s.Columns))
		for i, col := range s.Columns {
			header[i] = col.Name
			example[i] = usageTemplateExample(col, day, chk)
		}
		w, err := streamCSV(c, "usage_"+s.Key+"_template.csv", header)
		if err != nil {
			return err
		}
		return w.finish(w.row(example))
	}
}

func usageTemplateExample(col usageColumn, day time.Time, chk *usageCheck) string {
	switch col.Name {
	case "LocalProjectID":
		var ids []string
		for id, key := range chk.Projects {
			if id != key {
				ids = append(ids, id)
			}
		}
		if sort.Strings(ids); len(ids) > 0 {
			return ids[0]
		}
	case "Resource":
		var res []string
		for r := range chk.Resources {
			res = append(res, r)
		}
		if sort.Strings(res); len(res) > 0 {
			return res[0]
		}
	}
	if col.Kind == usageKindTime {
		t, _ := parseUsageTime(col.Example)
		return day.Add(t.Sub(usage.DayStart(t))).Format(time.RFC3339)
	}
	return col.Example
}
