package mailer

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	htmltemplate "html/template"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/accounting-portal/portal/internal/notify"
)

// Payload is one message as the outbox stores and delivers it: rendered
// when it is queued, so what is sent (and sent again after an admin's
// word) is what was planned. MessageID stays the same across attempts, so
// a mail reader shows a copy delivered twice once.
type Payload struct {
	From          string `json:"from"`
	To            string `json:"to"`
	ToName        string `json:"to_name,omitempty"`
	Subject       string `json:"subject"`
	Text          string `json:"text"`
	HTML          string `json:"html"`
	MessageID     string `json:"message_id"`
	Digest        bool   `json:"digest,omitempty"`
	Notifications int    `json:"notifications"`
}

// item is one notification as a message shows it.
type item struct {
	Kind, Title, When, Who, URL string
	Lines                       []string
}

type view struct {
	Name, Intro, Settings, Inbox string
	Items                        []item
}

// Render builds the message's payload: subject, plain text and HTML, with
// links made absolute with base (PORTAL_PUBLIC_URL). Text from events is
// flattened to lines of its own (no line of an upstream's text can pose
// as a line of the portal's) in the plain text, and escaped in the HTML.
func Render(m notify.Message, base string, from *mail.Address) (Payload, error) {
	base = strings.TrimRight(base, "/")
	v := view{Name: notify.OneLine(m.Recipient.Name), Settings: base + "/settings/notifications", Inbox: base + "/notifications"}
	if v.Name == "" {
		v.Name = "there"
	}
	n := len(m.Notifications)
	switch {
	case m.Digest:
		v.Intro = "Here is what happened in the accounting portal since your last digest (" + plural(n, "notification") + ")."
	case n == 1:
		v.Intro = "Something in the accounting portal concerns you."
	default:
		v.Intro = "Several things in the accounting portal concern you (" + plural(n, "notification") + ", grouped into one message)."
	}
	for _, nt := range m.Notifications {
		it := item{Kind: notify.KindLabel(nt.Kind), Title: notify.OneLine(nt.Title), When: nt.At.UTC().Format("2006-01-02 15:04 UTC")}
		if nt.ActorName != "" && nt.Actor != "system" {
			it.Who = notify.OneLine(nt.ActorName)
		}
		for _, l := range strings.Split(nt.Body, "\n") {
			if l = notify.OneLine(l); l != "" {
				it.Lines = append(it.Lines, l)
			}
		}
		if nt.Link != "" {
			it.URL = base + linkPath(nt.Link)
		}
		v.Items = append(v.Items, it)
	}
	var text, html bytes.Buffer
	if err := textTmpl.Execute(&text, v); err != nil {
		return Payload{}, err
	}
	if err := htmlTmpl.Execute(&html, v); err != nil {
		return Payload{}, err
	}
	return Payload{From: from.String(), To: m.Recipient.Email, ToName: notify.OneLine(m.Recipient.Name), Subject: m.Subject(),
		Text: text.String(), HTML: html.String(), MessageID: messageID(base, m.Date), Digest: m.Digest, Notifications: n}, nil
}

// linkPath keeps a link inside the portal: a path, never another site.
func linkPath(link string) string {
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") {
		return "/notifications"
	}
	return u.RequestURI()
}

// messageID is a unique Message-ID under the portal's host name.
func messageID(base string, at time.Time) string {
	host := "accounting-portal.invalid"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	b := make([]byte, 12)
	rand.Read(b)
	return "portal." + at.UTC().Format("20060102150405") + "." + hex.EncodeToString(b) + "@" + host
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

var textTmpl = texttemplate.Must(texttemplate.New("text").Parse(`Hello {{.Name}},

{{.Intro}}
{{range .Items}}
* {{.Title}}
  {{.Kind}}, {{.When}}{{if .Who}}, by {{.Who}}{{end}}
{{- range .Lines}}
  {{.}}
{{- end}}
{{- if .URL}}
  {{.URL}}
{{- end}}
{{end}}
All your notifications: {{.Inbox}}
Choose what you are sent, and when: {{.Settings}}
`))

// The HTML body has no style or script: mail readers differ, and plain
// markup reads everywhere.
var htmlTmpl = htmltemplate.Must(htmltemplate.New("html").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Accounting portal</title></head>
<body>
<p>Hello {{.Name}},</p>
<p>{{.Intro}}</p>
<ul>
{{- range .Items}}
<li><p><strong>{{.Title}}</strong><br>{{.Kind}}, {{.When}}{{if .Who}}, by {{.Who}}{{end}}</p>
{{- range .Lines}}
<p>{{.}}</p>
{{- end}}
{{- if .URL}}
<p><a href="{{.URL}}">Open it in the portal</a></p>
{{- end}}
</li>
{{- end}}
</ul>
<p><a href="{{.Inbox}}">All your notifications</a> · <a href="{{.Settings}}">Choose what you are sent, and when</a></p>
</body></html>
`))
