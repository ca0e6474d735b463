package handlers

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
)

// The OpenAPI 3.1 document of the API, served at /api/v1/openapi.json.
// It is built from the same tables the routes are registered from
// (apiTables and registerAPI's writes), and the tests validate every API
// answer they provoke against it, so the document and the API cannot
// drift apart.

type obj = map[string]any

// openAPIDocs holds the document per base currency, built once.
var openAPIDocs sync.Map

func (h *Handler) handleOpenAPI(c echo.Context) error {
	doc, ok := openAPIDocs.Load(h.CostSettings.Base)
	if !ok {
		b, err := json.MarshalIndent(OpenAPI(h.CostSettings.Base), "", "  ")
		if err != nil {
			return err
		}
		doc, _ = openAPIDocs.LoadOrStore(h.CostSettings.Base, b)
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc.([]byte))
}

// APIPath turns an Echo route ("/requests/:id") into OpenAPI's ("/requests/{id}").
func APIPath(route string) string { return echoParam.ReplaceAllString(route, "{$1}") }

var echoParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// schemaName names a table's schemas after its path: /budgets/projects/:key/jobs is BudgetsProjectsJobs.
func schemaName(path string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '-' }) {
		if strings.HasPrefix(part, ":") {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

// errorResponses are the errors every route may answer with.
func errorResponses(extra ...string) obj {
	r := obj{
		"400":     obj{"$ref": "#/components/responses/Invalid"},
		"401":     obj{"$ref": "#/components/responses/Unauthorized"},
		"403":     obj{"$ref": "#/components/responses/Forbidden"},
		"404":     obj{"$ref": "#/components/responses/NotFound"},
		"429":     obj{"$ref": "#/components/responses/TooManyRequests"},
		"default": obj{"$ref": "#/components/responses/Error"},
	}
	for _, code := range extra {
		r[code] = obj{"$ref": "#/components/responses/Error"}
	}
	return r
}

var accessText = map[Access]string{
	Public:  "Anyone.",
	Member:  "Any token; rows are limited to the projects its owner belongs to (admins: all).",
	Manager: "Tokens of project managers and admins.",
	Admin:   "Tokens of admins.",
}

// pathParams lists the parameters of an Echo route.
func pathParams(route string) []any {
	var out []any
	for _, m := range echoParam.FindAllStringSubmatch(route, -1) {
		out = append(out, obj{"name": m[1], "in": "path", "required": true, "schema": obj{"type": "string", "maxLength": 200}})
	}
	return out
}

// fieldsSchema is a write's body: the form's fields as strings.
func fieldsSchema(fields []string, required ...string) obj {
	props := obj{}
	for _, f := range fields {
		props[f] = obj{"type": []string{"string", "number", "boolean"}, "description": "As the form's field " + f + " (a number or boolean is taken as its text; true as ticked)."}
	}
	s := obj{"type": "object", "additionalProperties": false, "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// OpenAPI returns the API's OpenAPI 3.1 document; base is the base
// currency, which names some columns.
func OpenAPI(base string) map[string]any {
	schemas := obj{
		"Error": obj{"type": "object", "additionalProperties": false, "required": []string{"error"},
			"properties": obj{"error": obj{"type": "object", "additionalProperties": false, "required": []string{"code", "message"},
				"properties": obj{
					"code":       obj{"type": "string", "enum": apiErrorCodes, "description": "For programs: what kind of error."},
					"message":    obj{"type": "string", "description": "For people: what was wrong and where."},
					"request_id": obj{"type": "string", "description": "With a 5xx: the id the portal's log holds the cause under."},
				}}}},
		"InvalidFields": obj{"type": "object", "additionalProperties": false, "required": []string{"error"},
			"properties": obj{"error": obj{"type": "object", "additionalProperties": false, "required": []string{"code", "message", "fields"},
				"properties": obj{
					"code":    obj{"const": portal.EINVALID},
					"message": obj{"type": "string"},
					"fields":  obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "The problem of each field, as the form says it."},
				}}}},
		"UploadRefused": obj{"type": "object", "additionalProperties": false, "required": []string{"error"},
			"properties": obj{"error": obj{"type": "object", "additionalProperties": false, "required": []string{"code", "message", "problems", "more"},
				"properties": obj{
					"code":    obj{"const": portal.EINVALID},
					"message": obj{"type": "string"},
					"problems": obj{"type": "array", "items": obj{"type": "object", "additionalProperties": false, "required": []string{"line", "column", "reason"},
						"properties": obj{"line": obj{"type": "integer", "minimum": 0, "description": "Line of the file (0: the whole file)."},
							"column": obj{"type": "string"}, "reason": obj{"type": "string"}}}},
					"more": obj{"type": "integer", "minimum": 0, "description": "Problems beyond those listed."},
				}}}},
		"Written": obj{"type": "object", "additionalProperties": false, "required": []string{"id", "state", "page"},
			"properties": obj{
				"id":      obj{"type": "integer"},
				"state":   obj{"type": "string"},
				"page":    obj{"type": "string", "description": "The portal page that follows the write."},
				"summary": obj{"type": "string"},
			}},
		"Me": obj{"type": "object", "additionalProperties": false,
			"required": []string{"subject", "name", "roles", "manages", "member", "admin", "token_name", "token_scope", "token_expires_utc"},
			"properties": obj{
				"subject": obj{"type": "string"}, "name": obj{"type": "string"},
				"roles":   obj{"type": "array", "items": obj{"type": "string", "enum": []string{portal.RoleAdmin, portal.RoleManager, portal.RoleViewer}}},
				"manages": obj{"type": "array", "items": obj{"type": "string"}}, "member": obj{"type": "array", "items": obj{"type": "string"}},
				"admin": obj{"type": "boolean"}, "token_name": obj{"type": "string"},
				"token_scope":       obj{"type": "string", "enum": []string{portal.ScopeRead, portal.ScopeReadWrite}},
				"token_expires_utc": obj{"type": "string", "format": "date-time"},
			}},
	}
	errResp := func(desc string) obj { return obj{"description": desc, "content": jsonContent(ref("Error"))} }
	responses := obj{
		"Invalid":      errResp("A parameter or the body was not right; the message says which and why."),
		"Unauthorized": errResp("No token, or one that is unknown, revoked or expired."),
		"Forbidden":    errResp("The token's owner may not do this, or the token may only read."),
		"NotFound":     errResp("No such thing, or not one of the owner's projects."),
		"TooManyRequests": obj{"description": "The token sent too many requests.", "content": jsonContent(ref("Error")),
			"headers": obj{"Retry-After": obj{"description": "Seconds to wait.", "schema": obj{"type": "integer"}}}},
		"Error": errResp("Any other error, with its code."),
	}
	paths := obj{}
	limit := obj{"name": "limit", "in": "query", "description": "Rows per page (default 1000, at most 100000), or all to stream every row.",
		"schema": obj{"type": "string", "pattern": "^([1-9][0-9]{0,5}|all)$"}}
	cursor := obj{"name": "cursor", "in": "query", "description": "Where a page starts: take it from the next link of the page before.",
		"schema": obj{"type": "string", "maxLength": 400}}
	for _, t := range apiTables {
		name := schemaName(t.Path)
		props, required := obj{}, []string{}
		for _, col := range t.Columns {
			col = strings.ReplaceAll(col, "{base}", base)
			props[JSONField(col)] = obj{"type": []string{"string", "null"}, "description": "CSV column " + col}
			required = append(required, JSONField(col))
		}
		for _, col := range t.Optional {
			props[JSONField(col)] = obj{"type": []string{"string", "null"}, "description": "CSV column " + col + " (present when the range is folded into these buckets)"}
		}
		schemas[name+"Row"] = obj{"type": "object", "additionalProperties": false, "required": required, "properties": props}
		schemas[name+"Page"] = obj{"type": "object", "additionalProperties": false, "required": []string{"data", "next"},
			"properties": obj{"data": obj{"type": "array", "items": ref(name + "Row")},
				"next": obj{"type": []string{"string", "null"}, "description": "The next page's address, or null after the last."}}}
		ps := pathParams(t.Path)
		for _, p := range t.Params {
			ps = append(ps, obj{"name": p.Name, "in": "query", "description": p.Description, "schema": p.Schema})
		}
		ps = append(ps, limit, cursor)
		paths[APIBase+APIPath(t.Path)] = obj{"get": obj{
			"operationId": "get" + name,
			"summary":     t.Summary,
			"description": "The JSON twin of the page " + t.Twin + " and its CSV: the same filters, sort, scope and columns. " + accessText[t.Access],
			"parameters":  ps,
			"responses":   merge(errorResponses(), obj{"200": obj{"description": "A page of rows.", "content": jsonContent(ref(name + "Page"))}}),
		}}
	}
	written := func(status, desc string) obj {
		return obj{status: obj{"description": desc, "content": jsonContent(ref("Written"))}}
	}
	invalid := obj{"422": obj{"description": "A field was refused; nothing was written.", "content": jsonContent(ref("InvalidFields"))}}
	paths[APIBase+"/requests"].(obj)["post"] = obj{
		"operationId": "createBudgetRequest", "summary": "Ask for budget (as the request form does)",
		"description": "A top-up of a virtual lab, an assignment to, a reversal from, or a move between projects you manage. " + accessText[Manager],
		"requestBody": obj{"required": true, "content": jsonContent(fieldsSchema(requestFields))},
		"responses":   merge(errorResponses(), invalid, written("201", "The request was made; an admin decides.")),
	}
	paths[APIBase+"/requests/{id}/approve"] = obj{"post": obj{
		"operationId": "approveBudgetRequest", "summary": "Approve a pending budget request (as the approval form does)",
		"description": "Queues the OBI call. Nobody approves their own request (four eyes). " + accessText[Admin],
		"parameters":  pathParams("/requests/:id"),
		"requestBody": obj{"required": false, "content": jsonContent(fieldsSchema(approvalFields))},
		"responses":   merge(errorResponses("409"), invalid, written("200", "Approved.")),
	}}
	paths[APIBase+"/requests/{id}/deny"] = obj{"post": obj{
		"operationId": "denyBudgetRequest", "summary": "Deny a pending budget request with a reason the requester reads",
		"description": accessText[Admin], "parameters": pathParams("/requests/:id"),
		"requestBody": obj{"required": true, "content": jsonContent(fieldsSchema(denialFields, "reason"))},
		"responses":   merge(errorResponses("409"), invalid, written("200", "Denied.")),
	}}
	paths[APIBase+"/metrics/installations/{id}/pushes"] = obj{"post": obj{
		"operationId": "pushMetric", "summary": "Push a metric of an installation to ARGO (as the push form does)",
		"description": "Times are UTC, YYYY-MM-DDTHH:MM[:SS]; the value is a plain decimal string. " + accessText[Manager],
		"parameters":  pathParams("/metrics/installations/:id"),
		"requestBody": obj{"required": true, "content": jsonContent(fieldsSchema(pushFields, "definition", "value", "start", "end"))},
		"responses":   merge(errorResponses(), invalid, written("201", "The push is queued for ARGO.")),
	}}
	paths[APIBase+"/usage/uploads"].(obj)["post"] = obj{
		"operationId": "uploadUsageRecords", "summary": "Send usage records to AMIE (as the upload form does)",
		"description": "A CSV file of one record type, checked whole first. " + accessText[Manager],
		"requestBody": obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{
			"type": "object", "required": []string{"type", "file"},
			"properties": obj{"type": obj{"type": "string", "enum": []string{"compute", "storage", "adjustment"}},
				"file": obj{"type": "string", "contentMediaType": "text/csv"}}}}}},
		"responses": merge(errorResponses("413"), written("201", "Stored; its requests are being sent."),
			obj{"422": obj{"description": "The file (or a field) was refused; nothing was stored or sent.",
				"content": jsonContent(obj{"oneOf": []any{ref("UploadRefused"), ref("InvalidFields")}})}}),
	}
	paths[APIBase+"/me"] = obj{"get": obj{
		"operationId": "me", "summary": "Who the token acts as: its owner's roles as of their last sign-in, and the token",
		"responses": merge(errorResponses(), obj{"200": obj{"description": "The token's owner.", "content": jsonContent(ref("Me"))}}),
	}}
	paths[APIBase+"/openapi.json"] = obj{"get": obj{
		"operationId": "openapi", "summary": "This document", "security": []any{},
		"responses": obj{"200": obj{"description": "The OpenAPI document.", "content": jsonContent(obj{"type": "object"})}},
	}}
	return obj{
		"openapi": "3.1.0",
		"info": obj{"title": "Accounting portal API", "version": "1",
			"description": "Every table the portal's pages show, as JSON, and the writes its forms make. " +
				"Send a personal access token (make one on your account's Tokens page) as Authorization: Bearer pap_…. " +
				"Values are strings as the CSV twins write them: exact decimals, RFC 3339 UTC times; units end the field names; null is an empty cell. " +
				"Long tables come in pages: follow next until it is null."},
		"servers":    []any{obj{"url": "/"}},
		"security":   []any{obj{"bearer": []any{}}},
		"paths":      paths,
		"components": obj{"schemas": schemas, "responses": responses, "securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer", "description": "A personal access token (pap_…)."}}},
	}
}

func merge(ms ...obj) obj {
	out := obj{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
