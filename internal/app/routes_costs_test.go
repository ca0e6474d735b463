package app_test

import (
	"net/http"
	"time"
)

// Project and costs routes: everyone signed in reads their own projects'
// pages, statements and costs (another project's is 404, checked in SQL);
// budgets and the rate card are set by admins. The manager manages
// neuro-sim, manager-b climate-ml, and the viewer is a member of
// climate-ml.
func init() {
	month := time.Now().UTC().Format("2006-01")
	own := page(404, 200, 404, 200)   // neuro-sim
	other := page(200, 404, 200, 200) // climate-ml
	all := page(200, 200, 200, 200)
	routeTable = append(routeTable,
		routeCase{Method: "GET", Route: "/projects", Want: all},
		routeCase{Method: "GET", Route: "/projects.csv", Want: all},
		routeCase{Method: "GET", Route: "/projects/:key", URL: "/projects/neuro-sim", Want: own},
		routeCase{Method: "GET", Route: "/projects/:key", URL: "/projects/climate-ml?month=2026-01", Want: other},
		routeCase{Method: "GET", Route: "/projects/:key", URL: "/projects/neuro-sim?month=nonsense", Want: page(404, 400, 404, 400)},
		routeCase{Method: "GET", Route: "/projects/:key", URL: "/projects/no-such-project", Want: page(404, 404, 404, 404)},
		routeCase{Method: "GET", Route: "/projects/:key", URL: "/projects/neuro-sim.csv", Want: own},
		routeCase{Method: "GET", Route: "/projects/:key", URL: "/projects/climate-ml.csv?month=" + month, Want: other},
		routeCase{Method: "GET", Route: "/projects/:key", URL: "/projects/no-such-project.csv", Want: page(404, 404, 404, 404)},
		routeCase{Method: "GET", Route: "/projects/:key/statements/:month", URL: "/projects/neuro-sim/statements/" + month, Want: own},
		routeCase{Method: "GET", Route: "/projects/:key/statements/:month", URL: "/projects/neuro-sim/statements/" + month + ".csv", Want: own},
		routeCase{Method: "GET", Route: "/projects/:key/statements/:month", URL: "/projects/neuro-sim/statements/" + month + ".json", Want: own},
		routeCase{Method: "GET", Route: "/projects/:key/statements/:month", URL: "/projects/climate-ml/statements/" + month, Want: other},
		routeCase{Method: "GET", Route: "/projects/:key/statements/:month", URL: "/projects/climate-ml/statements/" + month + ".csv", Want: other},
		routeCase{Method: "GET", Route: "/projects/:key/statements/:month", URL: "/projects/climate-ml/statements/2026-13", Want: page(404, 404, 404, 404)},
		routeCase{Method: "GET", Route: "/costs", Want: all},
		routeCase{Method: "GET", Route: "/costs", URL: "/costs?month=2026-1", Want: page(400, 400, 400, 400)},
		routeCase{Method: "GET", Route: "/costs.csv", Want: all},
		routeCase{Method: "GET", Route: "/costs/budgets.csv", Want: all},
		// An empty form: the admin is shown what is missing.
		routeCase{Method: "POST", Route: "/costs/budgets", Want: adminPost(http.StatusUnprocessableEntity)},
		routeCase{Method: "GET", Route: "/costs/rates", Want: adminPage(200)},
		routeCase{Method: "GET", Route: "/costs/rates.csv", Want: adminPage(200)},
		routeCase{Method: "POST", Route: "/costs/rates", Want: adminPost(http.StatusUnprocessableEntity)},
		routeCase{Method: "POST", Route: "/costs/fx", Want: adminPost(http.StatusUnprocessableEntity)},
		routeCase{Method: "GET", Route: "/costs/rates.json", Want: adminPage(200)},
		// No file: the admin is told to choose one.
		routeCase{Method: "POST", Route: "/costs/rates.json", Want: adminPost(http.StatusBadRequest)},
		routeCase{Method: "GET", Route: "/costs/reconciliation", Want: all},
		routeCase{Method: "GET", Route: "/costs/reconciliation", URL: "/costs/reconciliation?from=2026-05&to=2026-01", Want: page(400, 400, 400, 400)},
		routeCase{Method: "GET", Route: "/costs/reconciliation.csv", Want: all},
	)
}
