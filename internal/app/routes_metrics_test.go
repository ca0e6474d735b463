package app_test

import (
	"net/http"

	"github.com/accounting-portal/portal/internal/sim/argo"
	"github.com/accounting-portal/portal/internal/sim/world"
)

// Metrics routes. The demo's manager manages neuro-sim (project A),
// manager-b and the viewer are on climate-ml (project B). Installations
// outside a person's projects answer 404, as if they did not exist; the
// push form is for managers of the installation's project.
func init() {
	// The ids are those of apptest's simulator (seed 0, scale 1).
	var neuro, climate string
	for _, in := range argo.New(argo.Options{World: world.New(0, 1)}).Installations() {
		switch {
		case in.ProjectID == "NEURO-SIM" && neuro == "":
			neuro = in.ID
		case in.ProjectID == "CLIMATE-ML" && climate == "":
			climate = in.ID
		}
	}
	inst := "/metrics/installations/"
	routeTable = append(routeTable,
		routeCase{Method: "GET", Route: "/metrics", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/metrics", URL: "/metrics?period=month&range=1y&sort=-total", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/metrics", URL: "/metrics?range=forever", Want: page(400, 400, 400, 400)},
		routeCase{Method: "GET", Route: "/metrics.csv", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/metrics/definitions", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/metrics/definitions.csv", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/metrics/installations", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/metrics/installations.csv", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: inst + ":id", URL: inst + neuro, Want: page(404, 200, 404, 200)},
		routeCase{Method: "GET", Route: inst + ":id", URL: inst + neuro + ".csv", Want: page(404, 200, 404, 200)},
		routeCase{Method: "GET", Route: inst + ":id", URL: inst + climate, Want: page(200, 404, 200, 200)},
		routeCase{Method: "GET", Route: inst + ":id", URL: inst + climate + ".csv?range=1y", Want: page(200, 404, 200, 200)},
		routeCase{Method: "GET", Route: inst + ":id", URL: inst + "000000000000000000000000.csv", Want: page(404, 404, 404, 404)},
		routeCase{Method: "GET", Route: inst + ":id", URL: inst + "000000000000000000000000", Want: page(404, 404, 404, 404)},
		routeCase{Method: "GET", Route: inst + ":id/push", URL: inst + neuro + "/push", Want: page(403, 200, 404, 200)},
		routeCase{Method: "GET", Route: inst + ":id/push", URL: inst + climate + "/push", Want: page(403, 404, 200, 200)},
		// An empty push form is refused with its field errors (422) to those
		// who may push; nobody else learns whether the installation exists.
		routeCase{Method: "POST", Route: inst + ":id/push", URL: inst + neuro + "/push",
			Want: statuses{http.StatusUnauthorized, 403, http.StatusUnprocessableEntity, 404, http.StatusUnprocessableEntity}},
		routeCase{Method: "POST", Route: inst + ":id/push", URL: inst + climate + "/push",
			Want: statuses{http.StatusUnauthorized, 403, 404, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}},
		routeCase{Method: "GET", Route: "/metrics/pushes", Want: page(403, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/metrics/pushes.csv", Want: page(403, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/metrics/pushes/:id", URL: "/metrics/pushes/999999", Want: page(403, 404, 404, 404)},
	)
}
