// Package mailer sends the portal's e-mail: it reads the SMTP server's
// URL, renders a message's plain-text and HTML bodies (both escaped: the
// events carry text from upstreams and people), and sends it with
// github.com/wneessen/go-mail, saying of every failed attempt whether the
// server provably did not take the message (safe to send again) or may
// have (never sent again by the portal).
package mailer

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
)

// Server is an SMTP server as PORTAL_SMTP_URL names it:
// smtp://user:pass@host:port (STARTTLS when the server offers it) or
// smtps://user:pass@host:port (TLS from the first byte).
type Server struct {
	Host     string
	Port     int
	TLS      bool // smtps: implicit TLS
	User     string
	Password string
}

// ParseURL reads an SMTP URL. The error never repeats the password.
func ParseURL(raw string) (Server, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Server{}, fmt.Errorf("not a URL of the form smtp://user:pass@host:port or smtps://user:pass@host:port")
	}
	var s Server
	switch u.Scheme {
	case "smtp":
		s.Port = 25
	case "smtps":
		s.TLS, s.Port = true, 465
	default:
		return Server{}, fmt.Errorf("the scheme must be smtp:// (STARTTLS when offered) or smtps:// (TLS), not %q", u.Scheme)
	}
	s.Host = u.Hostname()
	if s.Host == "" {
		return Server{}, fmt.Errorf("no host: use %s://user:pass@host:port", u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Server{}, fmt.Errorf("port %q is not a number from 1 to 65535", p)
		}
		s.Port = n
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return Server{}, fmt.Errorf("the URL must not have a path, query or fragment")
	}
	if u.User != nil {
		s.User = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	return s, nil
}

// Addr is host:port.
func (s Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// String names the server for pages and logs, without the password.
func (s Server) String() string {
	scheme := "smtp"
	if s.TLS {
		scheme = "smtps"
	}
	user := ""
	if s.User != "" {
		user = url.User(s.User).String() + "@"
	}
	return scheme + "://" + user + s.Addr()
}

// ParseFrom reads PORTAL_MAIL_FROM: an address, with or without a name
// ("Accounting portal <portal@example.org>").
func ParseFrom(raw string) (*mail.Address, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%q is not an e-mail address (e.g. Accounting portal <portal@example.org>)", raw)
	}
	return a, nil
}
