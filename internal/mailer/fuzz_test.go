package mailer

import (
	"strings"
	"testing"
)

// FuzzParseURL: PORTAL_SMTP_URL never panics the parser, and the name a
// page or log shows of an accepted server never carries its password.
func FuzzParseURL(f *testing.F) {
	f.Add("smtp://user:pa%40ss@mail.example.org:587")
	f.Add("smtps://mail.example.org")
	f.Add("smtp://:@[::1]:25")
	f.Add("http://x")
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := ParseURL(raw)
		if err != nil {
			return
		}
		if s.Password != "" && strings.Contains(s.String(), s.Password) && !strings.Contains(s.User+s.Host, s.Password) {
			t.Fatalf("%q shows as %q, with its password", raw, s.String())
		}
	})
}
