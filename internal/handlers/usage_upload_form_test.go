package handlers

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/usage"
)

// uploadFake is the AMIE store of the upload form: the manager's project
// (TG-NEU240001 is neuro-sim), two resources, and uploads recorded with
// one request per record; other methods panic.
type uploadFake struct {
	UsageStore
	uploads []usage.Upload
	chunks  int
}

func (f *uploadFake) AMIEProjectIDs(_ context.Context, scope portal.Scope) (map[string]string, bool, error) {
	if scope.All {
		return map[string]string{"TG-NEU240001": "neuro-sim", "TG-CLI240003": "climate-ml"}, true, nil
	}
	return map[string]string{"TG-NEU240001": "neuro-sim"}, false, nil
}

func (f *uploadFake) AMIEResources(context.Context) ([]string, error) {
	return []string{"lynx.example.org", "orca.example.org"}, nil
}

func (f *uploadFake) PlanUsage(_ string, recs []usage.Record) ([]usage.Chunk, error) {
	var out []usage.Chunk
	for _, r := range recs {
		out = append(out, usage.Chunk{First: r.Seq, Count: 1})
	}
	return out, nil
}

func (f *uploadFake) CreateUsageUpload(_ context.Context, u usage.Upload, fill func(w usage.Writer) error) (int64, error) {
	if err := fill(f); err != nil {
		return 0, err
	}
	f.uploads = append(f.uploads, u)
	return int64(len(f.uploads)), nil
}

func (f *uploadFake) Add(usage.Chunk, []usage.Record) error {
	f.chunks++
	return nil
}

// projectNames answers ProjectNames for the upload form.
type projectNames struct{ coreFake }

func (f *projectNames) ProjectNames(_ context.Context, keys []string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range keys {
		out[k] = strings.ToUpper(k)
	}
	return out, nil
}

func uploadServer(t *testing.T, configured bool) (*areaServer, *uploadFake, *notifyCount) {
	f, n := &uploadFake{}, &notifyCount{}
	s := newAreaServer(t, Deps{Store: &projectNames{}, Usage: f, Outbox: n,
		Sources: []Source{{Upstream: portal.UpstreamAMIE, Configured: configured}}},
		func(h *Handler, e *echo.Echo) { h.registerUsage(e) })
	return s, f, n
}

// postUpload sends the upload form as a browser does (type is left out
// when empty, the file when name is empty).
func (s *areaServer) postUpload(u *portal.User, typ, name, content string) *httptest.ResponseRecorder {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if typ != "" {
		w.WriteField("type", typ)
	}
	if name != "" {
		fw, _ := w.CreateFormFile("file", name)
		fw.Write([]byte(content))
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, "/usage/upload", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return s.serve(u, req)
}

var uploadProblemRE = regexp.MustCompile(`<tr data-line="(\d+)" data-column="([^"]*)"><td class="num">\d+</td><td>[^<]*</td><td>([^<]*)</td>`)

// uploadProblems lists the form's problems as "line|column|reason".
func uploadProblems(body string) []string {
	var out []string
	for _, m := range uploadProblemRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1]+"|"+m[2]+"|"+html.UnescapeString(m[3]))
	}
	return out
}

const uploadHeader = "Username,LocalProjectID,LocalRecordID,Resource,SubmitTime,StartTime,EndTime,Charge,NodeCount,CpuCoreCount,JobName"

func uploadRow(project, id string) string {
	return "asmith," + project + "," + id + ",lynx.example.org,2026-11-19T10:00:00Z,2026-11-19T10:01:00Z,2026-11-19T10:31:00Z,1.25,1,64,job"
}

// A file with any problem is refused whole, with each problem by line
// and column, and nothing is stored or sent; a form without a type or a
// file says so; viewers may not upload; a clean file is stored with its
// requests and sent.
func TestUploadForm_BadFilesRefusedWhole(t *testing.T) {
	s, f, n := uploadServer(t, true)
	good := strings.Join([]string{uploadHeader, uploadRow("TG-NEU240001", "r-0"), uploadRow("TG-NEU240001", "r-1"), uploadRow("TG-NEU240001", "r-2")}, "\n") + "\n"
	lines := strings.Split(good, "\n")
	set := func(row string, i int, v string) string {
		f := strings.Split(row, ",")
		f[i] = v
		return strings.Join(f, ",")
	}
	for _, tc := range []struct {
		name, typ, file, want string
	}{
		{"missing column", "compute", strings.Replace(good, ",EndTime", "", 1), "1|EndTime|this required column is missing"},
		{"bad time", "compute", lines[0] + "\n" + lines[1] + "\n" + set(lines[2], 4, "2025-13-45T99:00:00Z") + "\n", "3|SubmitTime|" + `"2025-13-45T99:00:00Z" is not a time`},
		{"end before start", "compute", lines[0] + "\n" + set(set(lines[1], 5, "2026-11-19T10:31:00Z"), 6, "2026-11-19T10:01:00Z") + "\n", "2|EndTime|the job ends"},
		{"bad charge", "compute", lines[0] + "\n" + set(lines[1], 7, "1.2.3") + "\n", "2|Charge|" + `"1.2.3" is not a decimal number`},
		{"project not managed", "compute", lines[0] + "\n" + lines[1] + "\n" + uploadRow("TG-CLI240003", "r-9") + "\n", "3|LocalProjectID|" + `"TG-CLI240003" is not a project you manage`},
		{"duplicate LocalRecordID", "compute", good + lines[1] + "\n", "5|LocalRecordID|" + `"r-0" is already used on line 2`},
		{"wrong record type", "storage", good, "1|SubmitTime|" + `"SubmitTime" is not a column of storage records (it is one of compute records`},
		{"empty file", "compute", "", "1||the file is empty"},
		{"not a CSV", "compute", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00", "1||this is not a CSV text file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := s.postUpload(areaManager, tc.typ, "bad.csv", tc.file)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("answered %d", w.Code)
			}
			got := uploadProblems(w.Body.String())
			found := false
			for _, g := range got {
				found = found || strings.HasPrefix(g, tc.want)
			}
			if !found {
				t.Errorf("no problem %q in %q", tc.want, got)
			}
			if !strings.Contains(w.Body.String(), "Nothing was stored or sent") {
				t.Error("the page does not say the file was refused whole")
			}
		})
	}
	w := s.postUpload(areaManager, "spreadsheet", "", "")
	if body := html.UnescapeString(w.Body.String()); w.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "Choose the record type") || !strings.Contains(body, "Choose a CSV file") {
		t.Errorf("no type, no file: %d", w.Code)
	}
	if len(f.uploads) != 0 || n.n != 0 {
		t.Fatalf("refused files left %d uploads and woke the outbox %d times", len(f.uploads), n.n)
	}
	if w := s.postUpload(areaViewer, "compute", "jobs.csv", good); w.Code != http.StatusForbidden {
		t.Errorf("a viewer's upload: %d", w.Code)
	}
	if w := s.get(areaViewer, "/usage/upload"); w.Code != http.StatusForbidden {
		t.Errorf("a viewer's upload form: %d", w.Code)
	}
	w = s.postUpload(areaManager, "compute", "jobs.csv", good)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/usage/uploads/1" {
		t.Fatalf("a clean file: %d %s %q", w.Code, w.Header().Get("Location"), uploadProblems(w.Body.String()))
	}
	if len(f.uploads) != 1 || f.uploads[0].Records != 3 || f.chunks != 3 || n.n != 1 {
		t.Fatalf("stored %+v in %d requests, outbox woken %d times", f.uploads, f.chunks, n.n)
	}
}

// Without AMIE configured the form refuses every file and says why.
func TestUploadForm_NotConfigured(t *testing.T) {
	s, f, _ := uploadServer(t, false)
	w := s.postUpload(areaManager, "compute", "jobs.csv", uploadHeader+"\n"+uploadRow("TG-NEU240001", "r-0")+"\n")
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "usage is not configured") || len(f.uploads) != 0 {
		t.Fatalf("an upload without AMIE: %d, %d stored", w.Code, len(f.uploads))
	}
}
