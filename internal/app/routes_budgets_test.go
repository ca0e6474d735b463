package app_test

import "net/http"

// Budgets routes. The manager manages neuro-sim and brain-atlas (Cortex
// Lab); manager-b manages climate-ml and the viewer is a member of it
// (Earth Systems Lab). A project's budget pages answer 404 to anyone
// outside it; requests are for managers, and their pages for their
// requester and admins; only admins decide.
func init() {
	syncedBeforeRoutes = append(syncedBeforeRoutes, "obi")
	neuro, climate := "/budgets/projects/neuro-sim", "/budgets/projects/climate-ml"
	routeTable = append(routeTable,
		routeCase{Method: "GET", Route: "/budgets", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/budgets", URL: "/budgets?sort=-burn&warn=1&page=2", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/budgets", URL: "/budgets?sort=nonsense", Want: page(400, 400, 400, 400)},
		routeCase{Method: "GET", Route: "/budgets.csv", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/budgets/labs.csv", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key", URL: neuro, Want: page(404, 200, 404, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key", URL: climate, Want: page(200, 404, 200, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key", URL: neuro + "?range=1y&sort=-cost&type=storage&page=2", Want: page(404, 200, 404, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key", URL: neuro + "?type=nonsense", Want: page(404, 400, 404, 400)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key", URL: "/budgets/projects/no-such-project", Want: page(404, 404, 404, 404)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/jobs.csv", URL: neuro + "/jobs.csv", Want: page(404, 200, 404, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/jobs.csv", URL: climate + "/jobs.csv", Want: page(200, 404, 200, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/spend.csv", URL: neuro + "/spend.csv", Want: page(404, 200, 404, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/spend.csv", URL: climate + "/spend.csv?range=1y", Want: page(200, 404, 200, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/discounts.csv", URL: climate + "/discounts.csv", Want: page(200, 404, 200, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/discounts.csv", URL: neuro + "/discounts.csv", Want: page(404, 200, 404, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/balances", URL: neuro + "/balances", Want: page(404, 200, 404, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/balances", URL: climate + "/balances", Want: page(200, 404, 200, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/balances.csv", URL: climate + "/balances.csv", Want: page(200, 404, 200, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/balances.csv", URL: neuro + "/balances.csv", Want: page(404, 200, 404, 200)},
		routeCase{Method: "GET", Route: "/budgets/projects/:key/jobs.csv", URL: "/budgets/projects/no-such-project/jobs.csv", Want: page(404, 404, 404, 404)},

		routeCase{Method: "GET", Route: "/requests", Want: page(403, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/requests", URL: "/requests?state=pending,denied&sort=-amount", Want: page(403, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/requests", URL: "/requests?state=nonsense", Want: page(403, 400, 400, 400)},
		routeCase{Method: "GET", Route: "/requests.csv", Want: page(403, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/requests/new", Want: page(403, 200, 200, 200)},
		// An empty request form comes back with its field errors.
		routeCase{Method: "POST", Route: "/requests", Want: statuses{http.StatusUnauthorized, 403, 422, 422, 422}},
		routeCase{Method: "GET", Route: "/requests/:id", URL: "/requests/999999", Want: page(403, 404, 404, 404)},
		routeCase{Method: "GET", Route: "/requests/:id", URL: "/requests/999999.csv", Want: page(403, 404, 404, 404)},
		routeCase{Method: "GET", Route: "/requests/:id", URL: "/requests/not-a-number", Want: page(403, 404, 404, 404)},
		routeCase{Method: "POST", Route: "/requests/:id/cancel", URL: "/requests/999999/cancel", Want: statuses{http.StatusUnauthorized, 403, 404, 404, 404}},
		routeCase{Method: "POST", Route: "/requests/:id/approve", URL: "/requests/999999/approve", Want: adminPost(404)},
		routeCase{Method: "POST", Route: "/requests/:id/deny", URL: "/requests/999999/deny", Want: adminPost(404)},
		routeCase{Method: "POST", Route: "/requests/:id/reconcile", URL: "/requests/999999/reconcile", Want: adminPost(404)},
		routeCase{Method: "GET", Route: "/approvals", Want: adminPage(200)},
		routeCase{Method: "GET", Route: "/approvals", URL: "/approvals?state=pending&page=3", Want: adminPage(200)},
		routeCase{Method: "GET", Route: "/approvals.csv", Want: adminPage(200)},
		// Nothing ticked: back to the inbox, told so.
		routeCase{Method: "POST", Route: "/approvals/approve", Want: adminPost(http.StatusSeeOther)},
	)
}
