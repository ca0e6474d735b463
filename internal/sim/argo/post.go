package argo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const msgForbidden = "The authenticated client is not permitted to perform the requested operation."

// metricRequest is the body of POST /installations/{id}/metrics (§8.4).
// Fields stay raw so that the handler can coerce them as Jackson does.
type metricRequest struct {
	MetricDefinitionID json.RawMessage `json:"metric_definition_id"`
	Start              json.RawMessage `json:"time_period_start"`
	End                json.RawMessage `json:"time_period_end"`
	Value              json.RawMessage `json:"value"`
	GroupID            json.RawMessage `json:"group_id"`
	UserID             json.RawMessage `json:"user_id"`
}

// postMetric adds a metric to an installation. It is lenient where the
// server is: no Content-Type is fine (a wrong one is 415), and value may
// be a JSON number or a numeric string.
func (s *Server) postMetric(w http.ResponseWriter, r *http.Request) *apiError {
	if ct := r.Header.Get("Content-Type"); ct != "" && !mediaTypeIsJSON(ct) {
		return errorf(http.StatusUnsupportedMediaType, "Cannot consume content type.")
	}
	i, e := s.installationParam(r)
	if e != nil {
		return e
	}
	if !canWrite(r) {
		return errorf(http.StatusForbidden, msgForbidden)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || len(bytes.TrimSpace(body)) == 0 {
		return errorf(http.StatusBadRequest, "The request body is empty.")
	}
	var req metricRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return errorf(http.StatusBadRequest, "Unable to process JSON: %v", err)
	}
	m, e := s.validateMetric(i, &req)
	if e != nil {
		return e
	}
	d := s.data
	key := postKey{i, m.def, m.start.UnixNano(), m.end.UnixNano()}
	_, generated := d.generatedAt(i, m.def, m.start, m.end)
	if _, dup := d.postedKeys[key]; dup || generated {
		in := d.insts[i]
		return errorf(http.StatusConflict, "There is a Metric at {%s, %s, %s} with the following attributes : {%s, %s, %s}",
			d.projects[in.project].Acronym, in.ProviderID, in.Name, d.defs[m.def].ID, rawText(req.Start), rawText(req.End))
	}
	m.id = d.newPostedID(s.opts.Now())
	d.store(m, key)
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	w.Header().Set("Location", fmt.Sprintf("%s://%s%s/%s", scheme, r.Host, strings.TrimSuffix(r.URL.Path, "/"), m.id))
	writeJSON(w, http.StatusCreated, d.metricResponseJSON(m))
	return nil
}

// validateMetric applies the server's checks in its order: the definition
// id, the timestamps (present, Zulu instants, not in the future, not
// equal, start not after end), then that the definition exists.
func (s *Server) validateMetric(i int, req *metricRequest) (*storedMetric, *apiError) {
	m := &storedMetric{inst: i}
	defID, ok, e := coerceText(req.MetricDefinitionID)
	if e != nil {
		return nil, e
	}
	if !ok || defID == "" {
		return nil, errorf(http.StatusBadRequest, "metric_definition_id may not be empty.")
	}
	if m.start, m.end, e = s.validatePeriod(req); e != nil {
		return nil, e
	}
	def, found := s.data.defByID[defID]
	if !found {
		return nil, errorf(http.StatusNotFound, "There is no Metric Definition with the following id: %s", defID)
	}
	m.def = def
	if m.value, e = coerceDouble(req.Value); e != nil {
		return nil, e
	}
	if v := bytes.TrimSpace(req.Value); len(v) > 0 && string(v) != "null" {
		m.received = rawText(v)
	}
	if m.group, m.hasGroup, e = coerceText(req.GroupID); e != nil {
		return nil, e
	}
	if m.user, m.hasUser, e = coerceText(req.UserID); e != nil {
		return nil, e
	}
	return m, nil
}

func (s *Server) validatePeriod(req *metricRequest) (start, end time.Time, e *apiError) {
	st, okS, e := coerceText(req.Start)
	if e != nil {
		return start, end, e
	}
	en, okE, e := coerceText(req.End)
	if e != nil {
		return start, end, e
	}
	if !okS {
		return start, end, errorf(http.StatusBadRequest, "time_period_start may not be empty.")
	}
	if !okE {
		return start, end, errorf(http.StatusBadRequest, "time_period_end may not be empty.")
	}
	var err error
	if start, err = time.Parse(time.RFC3339Nano, st); err != nil {
		return start, end, errorf(http.StatusBadRequest, "time_period_start must be a valid zulu timestamp. found: %s", st)
	}
	if end, err = time.Parse(time.RFC3339Nano, en); err != nil {
		return start, end, errorf(http.StatusBadRequest, "time_period_end must be a valid zulu timestamp. found: %s", en)
	}
	now := s.opts.Now()
	switch {
	case start.After(now) || end.After(now):
		return start, end, errorf(http.StatusBadRequest, "Timestamp cannot be after the current date-time.")
	case start.Equal(end):
		return start, end, errorf(http.StatusBadRequest, "Timestamp of the starting date time cannot be equal to Timestamp of the end date time.")
	case start.After(end):
		return start, end, errorf(http.StatusBadRequest, "Timestamp of the starting date time cannot be after of Timestamp of the end date time.")
	}
	return start.UTC(), end.UTC(), nil
}

// coerceText reads a JSON value into a Java String field: null or absent
// is unset, numbers and booleans become their text, containers are errors.
func coerceText(raw json.RawMessage) (string, bool, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, errorf(http.StatusBadRequest, "Unable to process JSON: %v", err)
		}
		return s, true, nil
	case '{', '[':
		return "", false, errorf(http.StatusBadRequest, "Cannot deserialize value of type `java.lang.String` from %s value", containerName(raw[0]))
	}
	return string(raw), true, nil
}

func containerName(c byte) string {
	if c == '{' {
		return "Object"
	}
	return "Array"
}

// coerceDouble reads value as Jackson reads a primitive double: absent or
// null is 0.0, a number is itself, a numeric string is parsed.
func coerceDouble(raw json.RawMessage) (float64, *apiError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, errorf(http.StatusBadRequest, "Unable to process JSON: %v", err)
		}
		text = strings.TrimSpace(text)
		if text == "" {
			return 0, nil
		}
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		what := string(raw) + " value"
		if raw[0] == '"' {
			what = fmt.Sprintf("String %q", text)
		}
		return 0, errorf(http.StatusBadRequest, "Cannot deserialize value of type `double` from %s: not a valid `double` value", what)
	}
	return v, nil
}

// rawText is a raw JSON value as text: strings unquoted.
func rawText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// newPostedID returns a fresh ObjectId-shaped id: the creation second,
// then bytes drawn from the seed and the number of metrics posted so far.
func (d *dataset) newPostedID(now time.Time) string {
	for {
		d.postSeq++
		id := fmt.Sprintf("%08x%s", uint32(now.Unix()), d.w.HexID("argo/posted", d.postSeq)[8:])
		if _, taken := d.posted[id]; !taken {
			if _, gen := d.decodeGenerated(id); !gen {
				return id
			}
		}
	}
}

func (d *dataset) store(m *storedMetric, key postKey) {
	d.posted[m.id] = m
	d.postedKeys[key] = m.id
	in := d.insts[m.inst]
	in.posted = append(in.posted, m)
}
