package argo

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// apiError is an error answer: {"code": status, "message": text}.
type apiError struct {
	status  int
	message string
}

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status, fmt.Sprintf(format, args...)}
}

// errNotFoundRoute is what JAX-RS answers for an unmatched route, and for
// a query parameter that does not convert to its Java type.
var errNotFoundRoute = &apiError{http.StatusNotFound, "HTTP 404 Not Found"}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Jackson does not escape <, > and &
	if err := enc.Encode(v); err != nil {
		writeError(w, errorf(http.StatusInternalServerError, "%v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()-1))
	w.WriteHeader(status)
	w.Write(buf.Bytes()[:buf.Len()-1])
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{e.status, e.message})
}

// access is what a bearer token may do.
type access int

const (
	accessNone access = iota
	accessRead
	accessWrite
)

func (s *Server) access(r *http.Request) access {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return accessNone
	}
	token = strings.TrimSpace(token)
	switch {
	case subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.Token)) == 1:
		return accessWrite
	case subtle.ConstantTimeCompare([]byte(token), []byte(s.opts.ReadOnlyToken)) == 1:
		return accessRead
	}
	return accessNone
}

// handler is a route's body: it answers, or returns an error to send.
type handler func(w http.ResponseWriter, r *http.Request) *apiError

// authed wraps h with the bearer check: no or an unknown token is 401 with
// an empty body and WWW-Authenticate, as Quarkus OIDC answers. The data
// lock is held for the request: reads share it, writes take it alone.
func (s *Server) authed(write bool, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := s.access(r)
		if a == accessNone {
			w.Header().Set("WWW-Authenticate", "Bearer")
			w.Header().Set("Content-Length", "0")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if write {
			s.mu.Lock()
			defer s.mu.Unlock()
		} else {
			s.mu.RLock()
			defer s.mu.RUnlock()
		}
		if e := h(w, r.WithContext(withAccess(r.Context(), a))); e != nil {
			writeError(w, e)
		}
	}
}

// pageParams reads page (default 1) and size (default 10, at most 100).
func pageParams(r *http.Request) (page, size int, e *apiError) {
	q := r.URL.Query()
	page, size = 1, 10
	var err error
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil {
			return 0, 0, errNotFoundRoute
		}
	}
	if v := q.Get("size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil {
			return 0, 0, errNotFoundRoute
		}
	}
	if page < 1 {
		return 0, 0, errorf(http.StatusBadRequest, "Page number must be >= 1.")
	}
	if size < 1 || size > 100 {
		return 0, 0, errorf(http.StatusBadRequest, "Page size must be between 1 and 100.")
	}
	return page, size, nil
}

// link is one of an envelope's navigation links.
type link struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
}

// envelope is the paging envelope of every list (API.md §5).
type envelope struct {
	SizeOfPage    int    `json:"size_of_page"`
	NumberOfPage  int    `json:"number_of_page"`
	TotalElements int64  `json:"total_elements"`
	TotalPages    int    `json:"total_pages"`
	Content       any    `json:"content"`
	Links         []link `json:"links"`
}

// newEnvelope builds the envelope of a page holding n items out of total.
// size_of_page is the number of items on the page, total_pages is 1 for
// an empty list, and the links carry size=<size_of_page> and drop every
// other query parameter, as the server does.
func newEnvelope(r *http.Request, page, size int, total int64, n int, content any) envelope {
	pages := int((total + int64(size) - 1) / int64(size))
	if total == 0 {
		pages = 1
	}
	env := envelope{SizeOfPage: n, NumberOfPage: page, TotalElements: total, TotalPages: pages, Content: content, Links: []link{}}
	if pages == 1 || page > pages {
		return env
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	href := func(p int) string {
		return fmt.Sprintf("%s://%s%s?page=%d&size=%d", scheme, r.Host, r.URL.Path, p, n)
	}
	env.Links = append(env.Links, link{href(1), "first"}, link{href(pages), "last"}, link{href(page), "self"})
	if page > 1 && n > 0 {
		env.Links = append(env.Links, link{href(page - 1), "prev"})
	}
	if page < pages {
		env.Links = append(env.Links, link{href(page + 1), "next"})
	}
	return env
}

// pageOf answers a page of an in-memory list of n items; item(i) renders item i.
func pageOf[T any](w http.ResponseWriter, r *http.Request, n int, item func(int) T) *apiError {
	page, size, e := pageParams(r)
	if e != nil {
		return e
	}
	content := []T{}
	off := int64(page-1) * int64(size)
	for i := off; i < int64(n) && len(content) < size; i++ {
		content = append(content, item(int(i)))
	}
	writeJSON(w, http.StatusOK, newEnvelope(r, page, size, int64(n), len(content), content))
	return nil
}

type accessKey struct{}

func withAccess(ctx context.Context, a access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// canWrite reports whether the request's token may write.
func canWrite(r *http.Request) bool {
	a, _ := r.Context().Value(accessKey{}).(access)
	return a == accessWrite
}
