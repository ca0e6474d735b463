package e2e

import (
	"strings"
	"testing"
)

// TestSignOut_EndsTheSession signs out with the header's button: the
// portal ends its session and Dex's (its discovery document lists an
// end_session_endpoint), the browser lands on the signed-out page, and
// neither the back button nor a typed address shows a private page.
func TestSignOut_EndsTheSession(t *testing.T) {
	b := env.Browser(t)
	b.SignIn("manager", "/")
	b.Open("/outbox") // a 403 page still shows who is signed in
	b.Open("/")
	b.SignOut()
	if p := b.Path(); p != "/auth/signed-out" {
		t.Fatalf("after sign-out the browser is at %q", b.URL())
	}
	if b.SignedIn() {
		t.Fatal("the signed-out page shows a signed-in person")
	}
	b.Back()
	if b.SignedIn() || b.Has(`[data-testid="user-name"]`) {
		t.Fatalf("the back button shows a private page again (%s)", b.URL())
	}
	// The private page is asked for again: the portal sends the browser
	// to sign in, and Dex asks for a password again (its session ended too).
	b.Open("/")
	if !strings.HasPrefix(b.URL(), env.stack.Issuer) || !b.Has("#password") {
		t.Fatalf("after sign-out / shows %s without Dex's password form", b.URL())
	}
}
