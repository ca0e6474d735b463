// Package mailcatch is the demo's SMTP catcher: an SMTP server on
// loopback that keeps every message it is sent, in memory, for the admin
// page /demo/mail, so a newcomer sees the portal's e-mail without a mail
// server. The SMTP side is github.com/emersion/go-smtp (a maintained
// server library); this package only keeps and reads the messages. It is
// no mail server: it delivers nothing and forgets everything when the
// process stops.
package mailcatch

import (
	"bytes"
	"context"
	"encoding/base64"

	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Keep is how many messages the catcher holds; older ones are dropped.
const Keep = 500

// maxMessage bounds one message (the portal's are a few kilobytes).
const maxMessage = 4 << 20

// Message is one caught message, as its reader would see it.
type Message struct {
	ID        int
	Received  time.Time
	From      string   // the envelope sender
	To        []string // the envelope recipients
	Subject   string
	Header    mail.Header
	MessageID string
	Text      string // the text/plain part
	HTML      string // the text/html part
	Size      int
}

// Catcher is a running catcher.
type Catcher struct {
	srv  *smtp.Server
	ln   net.Listener
	mu   sync.Mutex
	msgs []Message
	next int
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves
// until Close.
func Start(addr string) (*Catcher, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mailcatch: listen on %s: %w", addr, err)
	}
	c := &Catcher{ln: ln}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{c: c}, nil }))
	srv.Domain = "localhost"
	srv.MaxMessageBytes = maxMessage
	srv.MaxRecipients = 50
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.ErrorLog = discard{}
	c.srv = srv
	go srv.Serve(ln)
	return c, nil
}

// Addr is the host:port the catcher listens on.
func (c *Catcher) Addr() string { return c.ln.Addr().String() }

// URL is the catcher as PORTAL_SMTP_URL names it.
func (c *Catcher) URL() string { return "smtp://" + c.Addr() }

// Close stops the catcher.
func (c *Catcher) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.srv.Shutdown(ctx); err != nil {
		return c.srv.Close()
	}
	return nil
}

// Messages returns the caught messages, newest first.
func (c *Catcher) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.msgs)
	slices.Reverse(out)
	return out
}

// Message returns one caught message.
func (c *Catcher) Message(id int) (Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if m.ID == id {
			return m, true
		}
	}
	return Message{}, false
}

func (c *Catcher) keep(m Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	m.ID = c.next
	c.msgs = append(c.msgs, m)
	if len(c.msgs) > Keep {
		c.msgs = slices.Delete(c.msgs, 0, len(c.msgs)-Keep)
	}
}

type session struct {
	c    *Catcher
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(r, maxMessage+1))
	if err != nil {
		return err
	}
	m := Parse(raw)
	m.From, m.To, m.Received = s.from, slices.Clone(s.to), time.Now().UTC()
	s.c.keep(m)
	return nil
}

// Parse reads a message: its subject (RFC 2047 words decoded), its
// Message-ID and its text and HTML parts (transfer encodings undone). A
// message it cannot read keeps its raw text as Text.
func Parse(raw []byte) Message {
	m := Message{Size: len(raw)}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.Text = string(raw)
		return m
	}
	m.Header = msg.Header
	dec := new(mime.WordDecoder)
	if s, err := dec.DecodeHeader(msg.Header.Get("Subject")); err == nil {
		m.Subject = s
	} else {
		m.Subject = msg.Header.Get("Subject")
	}
	m.MessageID = strings.Trim(msg.Header.Get("Message-Id"), "<>")
	m.Text, m.HTML = parts(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	return m
}

// parts returns the text and HTML of a body, walking multiparts.
func parts(contentType, encoding string, body io.Reader) (text, html string) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return text, html
			}
			t, h := parts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if text == "" {
				text = t
			}
			if html == "" {
				html = h
			}
		}
	}
	b, _ := io.ReadAll(decode(encoding, body))
	switch mt {
	case "text/html":
		return "", string(b)
	case "text/plain":
		return string(b), ""
	}
	return "", ""
}

func decode(encoding string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &stripNewlines{r: r})
	}
	return r
}

// stripNewlines drops CR and LF, which base64 bodies wrap with.
type stripNewlines struct{ r io.Reader }

func (s *stripNewlines) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	j := 0
	for _, b := range p[:n] {
		if b != '\r' && b != '\n' {
			p[j] = b
			j++
		}
	}
	if j == 0 && err == nil && n > 0 {
		return s.Read(p)
	}
	return j, err
}

type discard struct{}

func (discard) Printf(string, ...any) {}
func (discard) Println(...any)        {}
