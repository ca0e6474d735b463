package app_test

import "net/http"

// Usage routes (ACCESS AMIE). The status is site-wide (everyone signed in
// reads it); failed records are scoped in the page itself; uploads are for
// managers and admins, and an upload is its uploader's (others: 404);
// clearing failed records and the clear requests are for admins.
func init() {
	everyoneSignedIn := page(200, 200, 200, 200)
	managers := page(403, 200, 200, 200)
	routeTable = append(routeTable,
		routeCase{Method: "GET", Route: "/usage", Want: everyoneSignedIn},
		routeCase{Method: "GET", Route: "/usage", URL: "/usage?range=1y&sort=-charge&page=2", Want: everyoneSignedIn},
		routeCase{Method: "GET", Route: "/usage", URL: "/usage?from=2026-01-01&to=2026-01-31&resource=lynx.north-dc.example.org", Want: everyoneSignedIn},
		routeCase{Method: "GET", Route: "/usage", URL: "/usage?range=forever", Want: page(400, 400, 400, 400)},
		routeCase{Method: "GET", Route: "/usage", URL: "/usage?resource=nowhere.example.org", Want: page(400, 400, 400, 400)},
		routeCase{Method: "GET", Route: "/usage.csv", Want: everyoneSignedIn},
		routeCase{Method: "GET", Route: "/usage/failed", Want: everyoneSignedIn},
		// Another project's records by name: an empty list, not an error.
		routeCase{Method: "GET", Route: "/usage/failed", URL: "/usage/failed?project=TG-NEU240001&sort=-charge", Want: everyoneSignedIn},
		routeCase{Method: "GET", Route: "/usage/failed", URL: "/usage/failed?type=Spreadsheet", Want: page(400, 400, 400, 400)},
		routeCase{Method: "GET", Route: "/usage/failed.csv", Want: everyoneSignedIn},
		// Its CSV twin, likewise (TestSecurity_CSVsNeverReachAnotherProject checks it is empty).
		routeCase{Method: "GET", Route: "/usage/failed.csv", URL: "/usage/failed.csv?project=TG-NEU240001", Want: everyoneSignedIn},
		// An empty selection is refused with the page and its reason.
		routeCase{Method: "POST", Route: "/usage/failed/clear", Want: adminPost(http.StatusUnprocessableEntity)},
		routeCase{Method: "GET", Route: "/usage/clears", Want: adminPage(200)},
		routeCase{Method: "GET", Route: "/usage/clears.csv", Want: adminPage(200)},
		routeCase{Method: "GET", Route: "/usage/clears/:id", URL: "/usage/clears/999999", Want: adminPage(404)},
		routeCase{Method: "GET", Route: "/usage/upload", Want: managers},
		// A form without a file is refused with its field errors (422).
		routeCase{Method: "POST", Route: "/usage/upload", Upload: true,
			Want: statuses{http.StatusUnauthorized, 403, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}},
		routeCase{Method: "GET", Route: "/usage/templates/compute.csv", Want: managers},
		routeCase{Method: "GET", Route: "/usage/templates/storage.csv", Want: managers},
		routeCase{Method: "GET", Route: "/usage/templates/adjustment.csv", Want: managers},
		routeCase{Method: "GET", Route: "/usage/uploads", Want: managers},
		routeCase{Method: "GET", Route: "/usage/uploads.csv", Want: managers},
		// Real uploads and who sees them: TestUsage_RolesAndScope.
		routeCase{Method: "GET", Route: "/usage/uploads/:id", URL: "/usage/uploads/999999", Want: page(403, 404, 404, 404)},
		routeCase{Method: "GET", Route: "/usage/uploads/:id", URL: "/usage/uploads/999999.csv", Want: page(403, 404, 404, 404)},
		routeCase{Method: "GET", Route: "/usage/uploads/:id", URL: "/usage/uploads/not-a-number", Want: page(403, 404, 404, 404)},
	)
}
