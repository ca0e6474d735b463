package mailer

import (
	"context"
	"errors"
	"html"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/accounting-portal/portal/internal/budgets"
	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/mailcatch"
	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/internal/sectest"
)

func message(title, body string) notify.Message {
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	return notify.Message{Recipient: notify.User{Subject: "s", Name: "Max Manager", Email: "max@example.org"}, Date: at,
		Notifications: []notify.Notification{{ID: 1, Mode: notify.ModeImmediate, Event: notify.Event{Kind: notify.KindRequestDecided,
			At: at, Actor: "admin", ActorName: "Ada Admin", Title: title, Body: body, Link: "/requests/7"}}}}
}

func from(t *testing.T) *mail.Address {
	a, err := ParseFrom("Accounting portal <portal@example.org>")
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// A message reaches an SMTP server with its subject, sender, recipient,
// link and both bodies, and the same Message-ID it was rendered with.
func TestSend_DeliversBothBodies(t *testing.T) {
	c, err := mailcatch.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := Render(message("Budget request 7 approved", "Your request was approved by Ada Admin."), "https://portal.example.org/", from(t))
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := ParseURL(c.URL())
	s, _ := NewSMTP(srv, "")
	if _, err := s.Send(context.Background(), p); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := c.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages caught, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Subject != "Budget request 7 approved" || m.To[0] != "max@example.org" || m.From != "portal@example.org" || m.MessageID != p.MessageID {
		t.Errorf("caught %+v", m)
	}
	for _, body := range []string{m.Text, m.HTML} {
		if !strings.Contains(body, "https://portal.example.org/requests/7") || !strings.Contains(body, "approved by Ada Admin") {
			t.Errorf("body lacks the link or the text:\n%s", body)
		}
	}
}

// Hostile text from upstreams and people (a justification, a denial's
// reason) comes out escaped in the HTML body and as text in the plain
// one: no line feed in it starts a line of the message, and the subject
// stays one line.
func TestRender_EscapesHostileText(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	for _, pl := range sectest.Payloads {
		r := &budgets.Request{ID: 7, Kind: budgets.TopUp, VlabName: pl.Raw, Amount: decimal.MustParse("5"), Justification: pl.Raw,
			RequestedBy: "m", RequestedByName: pl.Raw, Created: at, DenyReason: pl.Raw}
		e, _ := notify.RequestDecided(r, budgets.Denied, "admin", pl.Raw, at)
		m := message(e.Title, e.Body)
		m.Notifications[0].Event = e
		p, err := Render(m, "https://portal.example.org", from(t))
		if err != nil {
			t.Fatal(err)
		}
		flat := notify.OneLine(pl.Raw)
		if strings.ContainsAny(pl.Raw, "<>\"'&") && strings.Contains(p.HTML, flat) {
			t.Errorf("%s: the HTML has the payload unescaped", pl.Name)
		}
		if !strings.Contains(html.UnescapeString(p.HTML), flat) {
			t.Errorf("%s: the HTML does not show the planted value", pl.Name)
		}
		sectest.Markup(t, p.HTML)
		if strings.ContainsAny(p.Subject, "\r\n") {
			t.Errorf("%s: the subject has a line break: %q", pl.Name, p.Subject)
		}
		for _, line := range strings.Split(p.Text, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "=HYPERLINK") {
				t.Errorf("%s: a line of the text starts with the planted text: %q", pl.Name, line)
			}
		}
		if !strings.Contains(p.Text, flat) {
			t.Errorf("%s: the text does not show the planted value", pl.Name)
		}
	}
}

// A link that is not a path of the portal is replaced by the inbox.
func TestRender_LinksStayInThePortal(t *testing.T) {
	m := message("x", "y")
	m.Notifications[0].Link = "//evil.example/x"
	p, _ := Render(m, "https://portal.example.org", from(t))
	if strings.Contains(p.Text, "evil.example") || !strings.Contains(p.Text, "https://portal.example.org/notifications") {
		t.Errorf("text:\n%s", p.Text)
	}
}

// faulty is an SMTP server that fails at one stage.
type faulty struct {
	stage string // "rcpt4", "rcpt5", "data-end4", "data-end5", "drop-after-data"
	mu    sync.Mutex
	got   int
}

func (f *faulty) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &faultySession{f: f, c: c}, nil
}

type faultySession struct {
	f *faulty
	c *smtp.Conn
}

func (s *faultySession) Reset()                               {}
func (s *faultySession) Logout() error                        { return nil }
func (s *faultySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *faultySession) Rcpt(string, *smtp.RcptOptions) error {
	switch s.f.stage {
	case "rcpt4":
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	case "rcpt5":
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	return nil
}

func (s *faultySession) Data(r io.Reader) error {
	io.Copy(io.Discard, r)
	s.f.mu.Lock()
	s.f.got++
	s.f.mu.Unlock()
	switch s.f.stage {
	case "data-end4":
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 3, 1}, Message: "out of space"}
	case "data-end5":
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "rejected"}
	case "drop-after-data":
		// The message arrived; the answer is lost.
		s.c.Conn().Close()
		return errors.New("dropped")
	}
	return nil
}

// Each way an SMTP exchange can fail is classified by what it proves:
// nothing taken (retry), refused (fail), or maybe taken (never resent).
func TestSend_ClassifiesFailuresByWhatTheyProve(t *testing.T) {
	p, _ := Render(message("t", "b"), "https://portal.example.org", from(t))
	cases := []struct {
		stage string
		want  string
	}{
		{"rcpt4", portal.EUNAVAILABLE},
		{"rcpt5", portal.EINVALID},
		{"data-end4", portal.EUNAVAILABLE},
		{"data-end5", portal.EINVALID},
		{"drop-after-data", portal.EUNCERTAIN},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.stage, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := smtp.NewServer(&faulty{stage: tc.stage})
			srv.Domain = "localhost"
			srv.ErrorLog = quiet{}
			go srv.Serve(ln)
			defer srv.Close()
			s := &SMTP{Server: Server{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}, Timeout: 5 * time.Second}
			_, err = s.Send(context.Background(), p)
			if got := portal.ErrorCode(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
				t.Errorf("%s: %v (code %q), want code %q", tc.stage, err, got, tc.want)
			}
		})
	}
	// Nobody listening: provably not taken.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &SMTP{Server: Server{Host: "127.0.0.1", Port: port}, Timeout: 2 * time.Second}
	if _, err := s.Send(context.Background(), p); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Errorf("connection refused: %v, want %s", err, portal.EUNAVAILABLE)
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
func (quiet) Println(...any)        {}

// The URL's password is never part of how the server is named.
func TestParseURL(t *testing.T) {
	s, err := ParseURL("smtps://mailer:s3cret@mail.example.org:2465")
	if err != nil || !s.TLS || s.Port != 2465 || s.User != "mailer" || s.Password != "s3cret" {
		t.Fatalf("%+v %v", s, err)
	}
	if strings.Contains(s.String(), "s3cret") {
		t.Errorf("String shows the password: %s", s)
	}
	for _, bad := range []string{"http://mail.example.org", "smtp://", "smtp://h:99999", "smtp://u:p@h/path", "::"} {
		_, err := ParseURL(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: error shows a password", bad)
		}
	}
	if s, _ := ParseURL("smtp://mail.example.org"); s.Port != 25 || s.TLS {
		t.Errorf("smtp default: %+v", s)
	}
}
