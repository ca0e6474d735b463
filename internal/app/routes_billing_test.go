package app_test

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/accounting-portal/portal/internal/billing"
)

// Billing routes: VergeOS billing is system-wide, so every signed-in person
// reads it; generating a record and its request pages are for admins.
func init() {
	routeTable = append(routeTable,
		routeCase{Method: "GET", Route: "/billing", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/billing", URL: "/billing?range=1y&page=2&sort=-created", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/billing", URL: "/billing?range=forever", Want: page(400, 400, 400, 400)},
		routeCase{Method: "GET", Route: "/billing.csv", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/billing/records.csv", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/billing/tiers.csv", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/billing/usage.csv", Want: page(200, 200, 200, 200)},
		routeCase{Method: "GET", Route: "/billing/records/:key", URL: "/billing/records/999999999", Want: page(404, 404, 404, 404)},
		routeCase{Method: "POST", Route: "/billing/generate", Form: url.Values{"note": {strings.Repeat("n", billing.MaxGenerateNote+1)}},
			Want: adminPost(http.StatusUnprocessableEntity)},
		routeCase{Method: "GET", Route: "/billing/requests", Want: adminPage(200)},
		routeCase{Method: "GET", Route: "/billing/requests.csv", Want: adminPage(200)},
		routeCase{Method: "GET", Route: "/billing/requests/:id", URL: "/billing/requests/999999", Want: adminPage(404)},
		routeCase{Method: "GET", Route: "/billing/requests/:id", URL: "/billing/requests/999999.csv", Want: adminPage(404)},
	)
}
