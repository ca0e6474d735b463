package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/accounting-portal/portal/internal/certpool"
	"github.com/accounting-portal/portal/internal/portal"
)

// SMTP sends messages to one server, one connection per message.
type SMTP struct {
	Server Server
	// TLS is the client configuration for STARTTLS and smtps (nil: the
	// system's roots, the server's host name).
	TLS *tls.Config
	// Timeout bounds the connection and each command (0: 30 seconds).
	Timeout time.Duration
	// HELO is the name the portal gives itself (empty: the host name).
	HELO string
}

// NewSMTP returns a sender to srv, trusting the CA in caFile too when one
// is named (PORTAL_SMTP_CA_FILE).
func NewSMTP(srv Server, caFile string) (*SMTP, error) {
	cfg := &tls.Config{ServerName: srv.Host, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pool, err := certpool.WithCA(caFile)
		if err != nil {
			return nil, fmt.Errorf("mailer: %w", err)
		}
		cfg.RootCAs = pool
	}
	return &SMTP{Server: srv, TLS: cfg}, nil
}

// Send delivers one message. Its error is a portal error whose code says
// what the attempt proves, as the outbox needs it:
//
//   - EUNAVAILABLE: the server provably did not take the message: no
//     connection (refused, no route, TLS or sign-in failed before any
//     mail command), or a 4xx reply to MAIL, RCPT or DATA, or a 4xx reply
//     to the end of the data (RFC 5321 4.2.5: the server has not taken
//     responsibility for it). Safe to send again.
//   - EINVALID: the server refused it for good (a 5xx reply before or
//     after the data), or the message cannot be built. Not retried.
//   - EUNCERTAIN: the server accepted DATA and then the connection was
//     lost or timed out before its reply to the end of the data: it may
//     have taken the message. Never sent again by the portal.
//
// A failure after the server accepted the message (its RSET or QUIT) is
// no failure: the message is delivered.
func (s *SMTP) Send(ctx context.Context, p Payload) (string, error) {
	msg, err := s.build(p)
	if err != nil {
		return "", portal.WrapError(portal.EINVALID, err, "%s", "the message could not be built: "+err.Error())
	}
	c, err := s.client()
	if err != nil {
		return "", portal.WrapError(portal.EINVALID, err, "%s", "the SMTP client could not be set up: "+err.Error())
	}
	conn, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return "", portal.WrapError(portal.EUNAVAILABLE, err, "%s", "the SMTP server "+s.Server.Addr()+" could not be reached or refused the session: "+clean(err))
	}
	defer c.CloseWithSMTPClient(conn)
	sendErr := c.SendWithSMTPClient(conn, msg)
	if msg.IsDelivered() {
		// RSET or QUIT may fail after the server took the message.
		return `{"message_id":` + quote(p.MessageID) + `}`, nil
	}
	return "", classify(sendErr, s.Server.Addr())
}

func (s *SMTP) client() (*gomail.Client, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []gomail.Option{gomail.WithPort(s.Server.Port), gomail.WithTimeout(timeout)}
	if s.TLS != nil {
		opts = append(opts, gomail.WithTLSConfig(s.TLS))
	}
	if s.Server.TLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		// STARTTLS when the server offers it.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if s.Server.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.Server.User), gomail.WithPassword(s.Server.Password))
	}
	if s.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.HELO))
	}
	return gomail.NewClient(s.Server.Host, opts...)
}

func (s *SMTP) build(p Payload) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	if err := m.From(p.From); err != nil {
		return nil, fmt.Errorf("from %q: %w", p.From, err)
	}
	to := (&mail.Address{Name: p.ToName, Address: p.To}).String()
	if err := m.To(to); err != nil {
		return nil, fmt.Errorf("to %q: %w", p.To, err)
	}
	m.Subject(p.Subject)
	m.SetMessageIDWithValue(p.MessageID)
	m.SetDate()
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, p.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, p.HTML)
	return m, nil
}

// classify says what a failed send proves (see Send).
func classify(err error, addr string) error {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return portal.WrapError(portal.EUNCERTAIN, err, "%s", "sending to "+addr+" failed in a way the portal cannot place; the message may or may not have arrived: "+clean(err))
	}
	code := se.ErrorCode()
	reply := code >= 400 && code < 600
	switch se.Reason {
	case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
		return portal.WrapError(portal.EINVALID, err, "%s", "the message could not be sent: "+clean(err))
	case gomail.ErrConnCheck, gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData:
		// Before the server accepted DATA: it cannot have taken the message.
		if reply && code >= 500 {
			return portal.WrapError(portal.EINVALID, err, "%s", "the SMTP server refused the message: "+clean(err))
		}
		return portal.WrapError(portal.EUNAVAILABLE, err, "%s", "the SMTP server did not take the message: "+clean(err))
	case gomail.ErrSMTPDataClose:
		// Its reply to the end of the data is final: 4xx means it did
		// not take the message, 5xx that it refused it. Without a reply,
		// it may have.
		switch {
		case reply && code >= 500:
			return portal.WrapError(portal.EINVALID, err, "%s", "the SMTP server refused the message: "+clean(err))
		case reply:
			return portal.WrapError(portal.EUNAVAILABLE, err, "%s", "the SMTP server did not take the message: "+clean(err))
		}
	}
	// ErrWriteContent, a lost connection at the end of the data, anything
	// else after DATA was accepted: the server may have the message.
	return portal.WrapError(portal.EUNCERTAIN, err, "%s", "the connection to the SMTP server was lost after the message was sent; it may or may not have arrived: "+clean(err))
}

// clean is an error's text on one line, without the address list go-mail
// appends (the recipient's address is on the message's page already).
func clean(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if i := strings.Index(s, ", affected message ID"); i >= 0 {
		s = s[:i]
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		s = "timed out: " + s
	}
	return s
}

func quote(s string) string { return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"` }
