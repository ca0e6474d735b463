package obi

import (
	"net/http"
	"strings"
)

// handleRoot redirects to the API docs (FastAPI: {ROOT_PATH}/docs).
func (s *Server) handleRoot(c *call) {
	c.w.Header().Set("Location", "/docs")
	c.w.WriteHeader(http.StatusFound)
}

// handleDocs stands in for Swagger UI: a page listing the routes.
func (s *Server) handleDocs(c *call) {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><head><title>accounting-service - Swagger UI</title></head><body>")
	b.WriteString("<h1>accounting-service (simulator)</h1><ul>")
	for _, rt := range s.routes {
		b.WriteString("<li><code>" + rt.method + " /" + strings.Join(rt.segs, "/") + "</code></li>")
	}
	b.WriteString("</ul></body></html>")
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.Write([]byte(b.String()))
}

// handleOpenAPI answers a minimal OpenAPI document naming every route.
func (s *Server) handleOpenAPI(c *call) {
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		p := "/" + strings.Join(rt.segs, "/")
		if p == "/docs" || p == "/openapi.json" || p == "/error" {
			continue
		}
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(rt.method)] = map[string]any{"responses": map[string]any{}}
	}
	writeJSON(c.w, http.StatusOK, map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]string{"title": "accounting-service", "version": s.opts.AppVersion},
		"paths":   paths,
	})
}

func (s *Server) handleHealth(c *call) {
	writeJSON(c.w, http.StatusOK, map[string]string{"status": "OK"})
}

func (s *Server) handleVersion(c *call) {
	writeJSON(c.w, http.StatusOK, struct {
		AppName    string `json:"app_name"`
		AppVersion string `json:"app_version"`
		CommitSHA  string `json:"commit_sha"`
	}{"accounting-service", s.opts.AppVersion, s.opts.CommitSHA})
}

func (s *Server) handleError(c *call) {
	c.fail(invalid("Generic error returned for testing purposes"))
}
