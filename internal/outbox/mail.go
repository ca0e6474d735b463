package outbox

import (
	"context"
	"encoding/json"

	"github.com/accounting-portal/portal/internal/mailer"
	"github.com/accounting-portal/portal/internal/portal"
)

// MailSender sends one message; *mailer.SMTP implements it. Its error
// code says what the attempt proves (see mailer.SMTP.Send).
type MailSender interface {
	Send(ctx context.Context, p mailer.Payload) (string, error)
}

// Mail delivers portal.KindMailMessage items: one e-mail each, rendered
// when it was queued. It is no Checker: SMTP cannot be asked whether a
// message arrived, so an unknown outcome (the connection lost after the
// server accepted DATA) is left to an admin, who can send it again.
type Mail struct {
	Sender MailSender
}

// Deliver sends the item's message.
func (m Mail) Deliver(ctx context.Context, it portal.OutboxItem) (string, error) {
	var p mailer.Payload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		return "", portal.WrapError(portal.EINVALID, err, "outbox item %d: the message cannot be read: %v", it.ID, err)
	}
	if m.Sender == nil {
		return "", portal.Errorf(portal.EINVALID, "no SMTP server is configured (PORTAL_SMTP_URL)")
	}
	return m.Sender.Send(ctx, p)
}
