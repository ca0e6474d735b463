package vergeos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Versions the simulated system reports.
const (
	simYBVersion = "4.13.2"
	simOSVersion = "26.1.3"
)

// writeErr answers status with VergeOS's error body {"err": msg}.
func writeErr(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b := append(appendJSONString([]byte(`{"err":`), msg), '}', '\n')
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// api wraps a handler with auth, the rate limit and a method check.
func (s *Server) api(method string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.authorize(w, r) == "" {
			return
		}
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			writeErr(w, http.StatusMethodNotAllowed, fmt.Sprintf("Operation not permitted: %s %s", r.Method, r.URL.Path))
			return
		}
		h(w, r)
	}
}

// handleList serves GET /api/v4/billing.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r.URL.Query())
	if err != nil {
		writeErr(w, http.StatusBadRequest, err.Error())
		return
	}
	v := s.table.view(s.now().Unix())
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 32<<10)
	v.list(&encoder{w: bw}, q)
	bw.Flush()
}

// handleGet serves GET /api/v4/billing/{key}.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	v := s.table.view(s.now().Unix())
	key, err := strconv.ParseInt(r.PathValue("key"), 10, 64)
	if err != nil || key < 1 || key > v.total() {
		writeErr(w, http.StatusNotFound, "not found")
		return
	}
	rec := v.at(key - 1)
	w.Header().Set("Content-Type", "application/json")
	w.Write(appendRecord(nil, &rec, parseFields(r.URL.Query().Get("fields"))))
}

// handleAction serves POST /api/v4/billing_actions {"action":"generate"}:
// a new billing record of the usage now, and the create reply of the
// billing_actions row (API.md §3; the reply shape of other tables' creates).
func (s *Server) handleAction(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		writeErr(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		writeErr(w, http.StatusBadRequest, "Invalid JSON in request body")
		return
	}
	var action string
	if raw, ok := req["action"]; !ok || json.Unmarshal(raw, &action) != nil || action != "generate" {
		writeErr(w, http.StatusUnprocessableEntity, "Validation error on field: 'action' - 'fails validation test'")
		return
	}
	_, actionKey := s.table.generate(s.now().Unix())
	k := strconv.FormatInt(actionKey, 10)
	w.Header().Set("Location", "/v4/billing_actions/"+k)
	writeJSON(w, http.StatusCreated, map[string]any{
		"location": "/v4/billing_actions/" + k, "dbpath": "billing_actions/" + k, "$row": actionKey, "$key": k,
	})
}

// handleSystem serves GET /api/v4/system, the check pyvergeos makes on
// connecting, honouring `fields`.
func (s *Server) handleSystem(w http.ResponseWriter, r *http.Request) {
	all := []struct {
		name  string
		value any
	}{{"$key", 1}, {"name", "VergeOS"}, {"yb_version", simYBVersion}, {"os_version", simOSVersion}, {"cloud_name", s.cloudName()}}
	want := map[string]bool{}
	for _, f := range strings.Split(r.URL.Query().Get("fields"), ",") {
		want[strings.TrimSpace(f)] = true
	}
	everything := len(want) == 1 && (want[""] || want["all"] || want["most"])
	var b []byte
	b = append(b, '{')
	for _, f := range all {
		if !everything && !want[f.name] {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		v, _ := json.Marshal(f.value)
		b = appendJSONString(b, f.name)
		b = append(b, ':')
		b = append(b, v...)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, '}'))
}

// handleVersion serves GET /version.json, which govergeos reads (no auth).
func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": simOSVersion})
}

// handleNotFound answers any other /api path like VergeOS: 404 {"err": ...}.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	writeErr(w, http.StatusNotFound, "not found: "+r.URL.Path)
}
