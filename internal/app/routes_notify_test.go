package app_test

import (
	"net/http"
	"testing"

	"github.com/accounting-portal/portal/internal/app/apptest"
)

// Notification routes: everyone signed in reads and marks their own
// notifications (another person's id is 404, as if it did not exist) and
// chooses their preferences; only managers and admins post thresholds,
// and only admins the site's. /demo/mail exists only in `portal demo`
// (TestDemoMail_OnlyInTheDemo); elsewhere it is 404, after sign-in like
// any unknown path.
func init() {
	all := page(200, 200, 200, 200)
	signedIn := func(s int) statuses { return statuses{http.StatusUnauthorized, s, s, s, s} }
	api := func(u string, want statuses) routeCase {
		return routeCase{Method: "GET", Route: "/api/v1/notifications", URL: "/api/v1" + u, Want: want, API: true}
	}
	routeTable = append(routeTable,
		routeCase{Method: "GET", Route: "/notifications", Want: all},
		routeCase{Method: "GET", Route: "/notifications", URL: "/notifications?unread=1&page=2", Want: all},
		routeCase{Method: "GET", Route: "/notifications", URL: "/notifications?unread=yes", Want: page(400, 400, 400, 400)},
		routeCase{Method: "GET", Route: "/notifications.csv", Want: all},
		routeCase{Method: "GET", Route: "/notifications.csv", URL: "/notifications.csv?unread=1", Want: all},
		routeCase{Method: "POST", Route: "/notifications/:id/read", URL: "/notifications/999999/read", Want: signedIn(404)},
		routeCase{Method: "POST", Route: "/notifications/:id/read", URL: "/notifications/x/read", Want: signedIn(404)},
		routeCase{Method: "POST", Route: "/notifications/read-all", Want: signedIn(http.StatusSeeOther)},
		routeCase{Method: "GET", Route: "/settings/notifications", Want: all},
		routeCase{Method: "GET", Route: "/settings/notifications/recipients.csv", Want: adminPage(200)},
		// An empty form: each person is told to choose something.
		routeCase{Method: "POST", Route: "/settings/notifications", Want: signedIn(http.StatusUnprocessableEntity)},
		// An empty thresholds form names no project: the site's, which
		// only admins set (and not to nothing).
		routeCase{Method: "POST", Route: "/settings/notifications/thresholds",
			Want: statuses{http.StatusUnauthorized, 403, 403, 403, http.StatusUnprocessableEntity}},
		routeCase{Method: "GET", Route: "/demo/mail", Want: page(404, 404, 404, 404)},
		routeCase{Method: "GET", Route: "/demo/mail/:id", URL: "/demo/mail/1", Want: page(404, 404, 404, 404)},
		api("/notifications", statuses{401, 200, 200, 200, 200}),
		api("/notifications?unread=1", statuses{401, 200, 200, 200, 200}),
		api("/notifications?unread=2", statuses{401, 400, 400, 400, 400}),
	)
}

// TestDemoMail_OnlyInTheDemo: with the demo's catcher, /demo/mail is an
// admin page listing what it caught (elsewhere it does not exist: the
// security table's rows).
func TestDemoMail_OnlyInTheDemo(t *testing.T) {
	t.Parallel()
	p := apptest.Start(t, apptest.Options{Upstreams: []string{}, DemoMail: true})
	want := adminPage(200)
	for i, role := range secRoles {
		var b *apptest.Browser
		if role == "anonymous" {
			b = p.Anonymous(t)
		} else {
			b = p.Login(t, role)
		}
		for _, u := range []string{"/demo/mail"} {
			if r := b.Get(u); r.Status != want[i] {
				t.Errorf("GET %s as %s: %d, want %d", u, role, r.Status, want[i])
			}
		}
		if role == "admin" {
			if r := b.Get("/demo/mail/999999"); r.Status != 404 {
				t.Errorf("GET /demo/mail/999999 as admin: %d, want 404", r.Status)
			}
		}
	}
}
