package obi

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// call is one request being served.
type call struct {
	w      http.ResponseWriter
	r      *http.Request
	params map[string]string
	body   []byte
	now    time.Time
	vd     validator
}

func (c *call) data(status int, message string, data any) { writeData(c.w, status, message, data) }
func (c *call) fail(err *apiError)                        { writeError(c.w, err) }

// invalid answers 422 with the validation details.
func (c *call) invalid(ds []detail) {
	writeJSON(c.w, http.StatusUnprocessableEntity, errorEnvelope{ErrorCode: codeInvalid, Message: "Validation error", Details: ds})
}

// bodyOf validates the body against sc, answering 422 itself on failure.
func (c *call) bodyOf(sc schema) (values, bool) {
	v, ds := c.vd.body(sc, c.body)
	if ds != nil {
		c.invalid(ds)
		return nil, false
	}
	return v, true
}

// pathUUID reads a UUID path parameter, answering 422 itself on failure.
func (c *call) pathUUID(name string) (string, bool) {
	id, msg := parseUUID(c.params[name])
	if msg != "" {
		c.invalid([]detail{{"uuid_parsing", []any{"path", name}, "Input should be a valid UUID, " + msg}})
		return "", false
	}
	return id, true
}

// route is one endpoint: a method and a path whose {name} segments are
// parameters.
type route struct {
	method string
	segs   []string
	h      func(*call)
}

func (s *Server) routeTable() []route {
	table := []struct {
		method, path string
		h            func(*call)
	}{
		{"GET", "/", s.handleRoot},
		{"GET", "/docs", s.handleDocs},
		{"GET", "/openapi.json", s.handleOpenAPI},
		{"GET", "/health", s.handleHealth},
		{"GET", "/version", s.handleVersion},
		{"GET", "/error", s.handleError},
		{"POST", "/account/system", s.handleCreateSystem},
		{"POST", "/account/virtual-lab", s.handleCreateVlab},
		{"POST", "/account/project", s.handleCreateProject},
		{"GET", "/balance/system", s.handleSystemBalance},
		{"GET", "/balance/virtual-lab/{vlab_id}", s.handleVlabBalance},
		{"GET", "/balance/project/{proj_id}", s.handleProjectBalance},
		{"POST", "/budget/top-up", s.handleTopUp},
		{"POST", "/budget/assign", s.handleAssign},
		{"POST", "/budget/reverse", s.handleReverse},
		{"POST", "/budget/move", s.handleMove},
		{"POST", "/budget/grant", s.handleGrant},
		{"POST", "/budget/deplete/project", s.handleDepleteProject},
		{"POST", "/budget/deplete/virtual-lab", s.handleDepleteVlab},
		{"POST", "/price", s.handleAddPrice},
		{"POST", "/discount", s.handleAddDiscount},
		{"GET", "/discount/virtual-lab/{vlab_id}", s.handleDiscounts},
		{"GET", "/discount/virtual-lab/{vlab_id}/current", s.handleCurrentDiscount},
		{"POST", "/estimate/oneshot", s.handleEstimate},
		{"POST", "/reservation/oneshot", s.handleReserveOneshot},
		{"POST", "/reservation/longrun", s.handleReserveLongrun},
		{"DELETE", "/reservation/oneshot/{job_id}", s.releaseHandler(typeOneshot)},
		{"DELETE", "/reservation/longrun/{job_id}", s.releaseHandler(typeLongrun)},
		{"POST", "/usage/oneshot", s.handleUsageOneshot},
		{"POST", "/usage/longrun", s.handleUsageLongrun},
		{"POST", "/usage/storage", s.handleUsageStorage},
		{"GET", "/report/system", s.handleSystemReport},
		{"GET", "/report/virtual-lab/{vlab_id}", s.handleVlabReport},
		{"GET", "/report/project/{proj_id}", s.handleProjectReport},
		{"GET", "/job/longrun/open", s.handleOpenJobs},
	}
	out := make([]route, len(table))
	for i, t := range table {
		out[i] = route{method: t.method, segs: splitPath(t.path), h: t.h}
	}
	return out
}

func splitPath(p string) []string {
	if p == "/" {
		return nil
	}
	return strings.Split(strings.TrimPrefix(p, "/"), "/")
}

// match reports whether path matches rt, and its parameters.
func (rt route) match(path string) (map[string]string, bool) {
	segs := splitPath(path)
	if len(segs) != len(rt.segs) {
		return nil, false
	}
	var params map[string]string
	for i, s := range rt.segs {
		if strings.HasPrefix(s, "{") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[s[1:len(s)-1]] = segs[i]
			continue
		}
		if s != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// dispatch routes like Starlette: the first full match serves; a path
// that matches with another method is 405; a path that would match with
// the trailing slash toggled is redirected (307); anything else is 404.
func (s *Server) dispatch(w http.ResponseWriter, c *call) {
	path := c.r.URL.Path
	method := c.r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	var allowed []string
	for _, rt := range s.routes {
		params, ok := rt.match(path)
		if !ok {
			continue
		}
		if rt.method == method {
			c.params = params
			rt.h(c)
			return
		}
		allowed = append(allowed, rt.method)
		if rt.method == http.MethodGet {
			allowed = append(allowed, http.MethodHead)
		}
	}
	if len(allowed) > 0 {
		sort.Strings(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeDetail(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	if alt, ok := s.slashAlternative(path); ok {
		u := *c.r.URL
		u.Path = alt
		u.RawPath = ""
		w.Header().Set("Location", baseURL(c.r)+u.RequestURI())
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	writeDetail(w, http.StatusNotFound, "Not Found")
}

// baseURL is the scheme and host the request was sent to, from which the
// service builds absolute URLs (redirects, pagination links).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// slashAlternative returns path with its trailing slash toggled when
// that form matches a route (FastAPI's redirect_slashes).
func (s *Server) slashAlternative(path string) (string, bool) {
	if path == "/" || path == "" {
		return "", false
	}
	alt := path + "/"
	if strings.HasSuffix(path, "/") {
		alt = strings.TrimSuffix(path, "/")
	}
	for _, rt := range s.routes {
		if _, ok := rt.match(alt); ok {
			return alt, true
		}
	}
	return "", false
}
