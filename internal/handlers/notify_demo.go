package handlers

import (
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/mailcatch"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// DemoMailbox is the demo's SMTP catcher; *mailcatch.Catcher implements it.
type DemoMailbox interface {
	Messages() []mailcatch.Message
	Message(id int) (mailcatch.Message, bool)
}

// MailStatus reports the state of mail delivery for the data-sources page.
type MailStatus func(ctx context.Context) (templates.MailSourceView, error)

// registerDemoMail mounts /demo/mail, only in `portal demo`: a real
// portal has no catcher, and the path does not exist there.
func (h *Handler) registerDemoMail(e *echo.Echo) {
	if h.DemoMail == nil {
		return
	}
	h.add(e, "GET", "/demo/mail", h.handleDemoMail, Admin)
	h.add(e, "GET", "/demo/mail/:id", h.handleDemoMailMessage, Admin)
}

func (h *Handler) handleDemoMail(c echo.Context) error {
	p, err := h.page(c, "Demo mail", "demo-mail")
	if err != nil {
		return err
	}
	v := templates.DemoMailView{Page: p}
	for _, m := range h.DemoMail.Messages() {
		v.Messages = append(v.Messages, demoMailRow(m))
	}
	return render(c, http.StatusOK, templates.DemoMail(v))
}

func (h *Handler) handleDemoMailMessage(c echo.Context) error {
	id, err := strconv.Atoi(c.Param("id"))
	m, ok := h.DemoMail.Message(id)
	if err != nil || !ok {
		return portal.Errorf(portal.ENOTFOUND, "The demo caught no message %q.", c.Param("id"))
	}
	p, err := h.page(c, m.Subject, "demo-mail")
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templates.DemoMailMessage(templates.DemoMailMessageView{Page: p, Message: demoMailRow(m)}))
}

func demoMailRow(m mailcatch.Message) templates.DemoMailRow {
	r := templates.DemoMailRow{ID: m.ID, Received: m.Received, To: strings.Join(m.To, ", "), Subject: m.Subject, Size: m.Size,
		Text: m.Text, HTML: m.HTML}
	keys := make([]string, 0, len(m.Header))
	for k := range m.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range m.Header[k] {
			r.Header = append(r.Header, k+": "+v)
		}
	}
	return r
}
