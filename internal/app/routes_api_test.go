package app_test

import (
	"net/http"
	"time"
)

// The JSON API's routes. Each row is requested with the role's read-write
// token (anonymous: none), never with cookies (securityAPIRequest): no
// token is 401, a role the route is not for is 403, another project's
// ids are 404, and a write with an empty body is refused field by field
// (422). The viewer is a member of climate-ml, the manager manages
// neuro-sim and brain-atlas, manager-b climate-ml.
func init() {
	month := time.Now().UTC().Format("2006-01")
	all := statuses{401, 200, 200, 200, 200}
	managers := statuses{401, 403, 200, 200, 200}
	admins := func(s int) statuses { return statuses{401, 403, 403, 403, s} }
	own := statuses{401, 404, 200, 404, 200}   // neuro-sim
	other := statuses{401, 200, 404, 200, 200} // climate-ml
	api := func(method, route, u string, want statuses) routeCase {
		return routeCase{Method: method, Route: "/api/v1" + route, URL: "/api/v1" + u, Want: want, API: true}
	}
	routeTable = append(routeTable,
		api("GET", "/openapi.json", "/openapi.json", statuses{200, 200, 200, 200, 200}),
		api("GET", "/me", "/me", all),
		api("GET", "/sources", "/sources", admins(200)),
		api("GET", "/outbox", "/outbox?state=dead", admins(200)),
		api("GET", "/outbox", "/outbox?state=nonsense", admins(400)),
		api("GET", "/outbox/:id/attempts", "/outbox/999999/attempts", admins(404)),
		api("GET", "/budgets", "/budgets", all),
		api("GET", "/budgets", "/budgets?sort=nosuch", statuses{401, 400, 400, 400, 400}),
		api("GET", "/budgets/labs", "/budgets/labs", all),
		api("GET", "/budgets/projects/:key/jobs", "/budgets/projects/neuro-sim/jobs", own),
		api("GET", "/budgets/projects/:key/jobs", "/budgets/projects/climate-ml/jobs?limit=5", other),
		api("GET", "/budgets/projects/:key/spend", "/budgets/projects/neuro-sim/spend", own),
		api("GET", "/budgets/projects/:key/discounts", "/budgets/projects/climate-ml/discounts", other),
		api("GET", "/budgets/projects/:key/balances", "/budgets/projects/neuro-sim/balances", own),
		api("GET", "/requests", "/requests", all),
		api("GET", "/requests/:id/readings", "/requests/999999/readings", statuses{401, 404, 404, 404, 404}),
		api("GET", "/requests/:id/attempts", "/requests/999999/attempts", statuses{401, 404, 404, 404, 404}),
		api("GET", "/approvals", "/approvals", admins(200)),
		api("GET", "/projects", "/projects", all),
		api("GET", "/projects/:key/ledger", "/projects/neuro-sim/ledger", own),
		api("GET", "/projects/:key/ledger", "/projects/climate-ml/ledger?month="+month, other),
		api("GET", "/projects/:key/statements/:month", "/projects/neuro-sim/statements/"+month, own),
		api("GET", "/projects/:key/statements/:month", "/projects/climate-ml/statements/2026-13", statuses{401, 404, 404, 404, 404}),
		api("GET", "/costs", "/costs", all),
		api("GET", "/costs/budgets", "/costs/budgets", all),
		api("GET", "/costs/rates", "/costs/rates", admins(200)),
		api("GET", "/costs/reconciliation", "/costs/reconciliation", all),
		api("GET", "/metrics", "/metrics", all),
		api("GET", "/metrics/definitions", "/metrics/definitions", all),
		api("GET", "/metrics/installations", "/metrics/installations", all),
		api("GET", "/metrics/installations/:id/metrics", "/metrics/installations/nosuch/metrics", statuses{401, 404, 404, 404, 404}),
		api("GET", "/metrics/pushes", "/metrics/pushes", managers),
		api("GET", "/usage", "/usage", all),
		api("GET", "/usage/failed", "/usage/failed", all),
		api("GET", "/usage/clears", "/usage/clears", admins(200)),
		api("GET", "/usage/uploads", "/usage/uploads", managers),
		api("GET", "/usage/uploads/:id/records", "/usage/uploads/999999/records", statuses{401, 403, 404, 404, 404}),
		api("GET", "/billing/summary", "/billing/summary", all),
		api("GET", "/billing/records", "/billing/records?limit=3", all),
		api("GET", "/billing/records/:key", "/billing/records/nosuch", statuses{401, 404, 404, 404, 404}),
		api("GET", "/billing/tiers", "/billing/tiers", all),
		api("GET", "/billing/usage", "/billing/usage", all),
		api("GET", "/billing/requests", "/billing/requests", admins(200)),
		api("GET", "/billing/requests/:id/records-since", "/billing/requests/999999/records-since", admins(404)),
		// Writes with an empty body: each field's problem (422), or the
		// thing is not found, or the role may not.
		api("POST", "/requests", "/requests", statuses{401, 403, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}),
		api("POST", "/requests/:id/approve", "/requests/999999/approve", admins(404)),
		api("POST", "/requests/:id/deny", "/requests/999999/deny", admins(404)),
		api("POST", "/metrics/installations/:id/pushes", "/metrics/installations/nosuch/pushes", statuses{401, 403, 404, 404, 404}),
		api("POST", "/usage/uploads", "/usage/uploads", statuses{401, 403, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}),
		// The tokens page, under each person's account.
		routeCase{Method: "GET", Route: "/account/tokens", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/account/tokens.csv", Want: page(200, 200, 200, 200)},
		routeCase{Method: "POST", Route: "/account/tokens", Want: statuses{http.StatusUnauthorized, 422, 422, 422, 422}},
		routeCase{Method: "POST", Route: "/account/tokens/:id/revoke", URL: "/account/tokens/999999/revoke", Want: statuses{http.StatusUnauthorized, 404, 404, 404, 404}},
	)
}
