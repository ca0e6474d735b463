package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/mailer"
)

// Notify configures notifications and their e-mail.
type Notify struct {
	// SMTPURL names the SMTP server (empty: notifications stay in the
	// portal); it may carry a password and is never shown.
	SMTPURL string
	// SMTPCAFile is an extra CA to trust for the server's certificate.
	SMTPCAFile string
	// From is the messages' sender address.
	From string
	// DigestHour is the hour (UTC) the daily digest goes out.
	DigestHour int
	// ReminderDays is how long a budget request waits before the admins
	// are reminded of it (and again after as long).
	ReminderDays int
	// FailingAfter is how long an upstream's syncs fail before the
	// admins are told.
	FailingAfter time.Duration
}

// MailConfigured reports whether e-mail is sent.
func (n Notify) MailConfigured() bool { return n.SMTPURL != "" }

func intIn(lo, hi int, p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%q is not a whole number from %d to %d", v, lo, hi)
		}
		*p(c) = n
		return nil
	}
}

// validateNotify checks the mail settings. The SMTP URL's problems are
// said without repeating it: it may hold a password.
func (c *Config) validateNotify() []string {
	var p []string
	n := c.Notify
	if n.SMTPURL != "" {
		if _, err := mailer.ParseURL(n.SMTPURL); err != nil {
			p = append(p, "PORTAL_SMTP_URL: "+err.Error())
		}
		if n.From == "" {
			p = append(p, "PORTAL_MAIL_FROM is required when PORTAL_SMTP_URL is set")
		}
	}
	if n.From != "" {
		if _, err := mailer.ParseFrom(n.From); err != nil {
			p = append(p, "PORTAL_MAIL_FROM: "+err.Error())
		}
	}
	if n.SMTPCAFile != "" {
		if _, err := os.Stat(n.SMTPCAFile); err != nil {
			p = append(p, fmt.Sprintf("PORTAL_SMTP_CA_FILE: cannot read %s", n.SMTPCAFile))
		}
	}
	if n.FailingAfter <= 0 {
		p = append(p, "PORTAL_SOURCE_FAILING_AFTER must be positive")
	}
	return p
}
