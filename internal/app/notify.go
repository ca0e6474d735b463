package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/mail"
	"slices"
	"sync"
	"time"

	"github.com/accounting-portal/portal/internal/handlers"
	"github.com/accounting-portal/portal/internal/mailer"
	"github.com/accounting-portal/portal/internal/notify"
	"github.com/accounting-portal/portal/internal/outbox"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// notifyTick is how often the notifier looks for mail to send and for
// requests and sources to remind the admins of. It is well under
// notify.Throttle, so a burst's first message goes within seconds.
const notifyTick = 5 * time.Second

// notifier turns notifications into mail and raises the events that
// time causes (a request left pending, a source failing for too long).
type notifier struct {
	a    *App
	from *mail.Address
	// mu keeps two planning rounds (the ticker's and one a change
	// asked for) from running at once.
	mu   sync.Mutex
	wake chan struct{}
}

// wireMail builds the SMTP sender and the notifier from the settings.
func (a *App) wireMail() error {
	n := &notifier{a: a, wake: make(chan struct{}, 1)}
	cfg := a.Config.Notify
	if cfg.MailConfigured() {
		srv, err := mailer.ParseURL(cfg.SMTPURL)
		if err != nil {
			return err
		}
		s, err := mailer.NewSMTP(srv, cfg.SMTPCAFile)
		if err != nil {
			return err
		}
		s.Timeout = a.Config.UpstreamTimeout
		if n.from, err = mailer.ParseFrom(cfg.From); err != nil {
			return err
		}
		a.deliverers.Mail = outbox.Mail{Sender: s}
	}
	a.notifier = n
	return nil
}

// run plans mail until ctx ends.
func (n *notifier) run(ctx context.Context) {
	t := time.NewTicker(notifyTick)
	defer t.Stop()
	for {
		n.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.wake:
		}
	}
}

// Wake asks for a planning round now.
func (n *notifier) Wake() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// round raises the reminders and source alerts that are due, then plans
// and queues the mail that is due (notify.Plan), one outbox item per
// message.
func (n *notifier) round(ctx context.Context) {
	n.plan(ctx, false)
}

// NotifyNow runs a planning round at once and returns when it is done:
// the reminders and source alerts due, then the mail due.
func (a *App) NotifyNow(ctx context.Context) {
	if a.notifier != nil {
		a.notifier.round(ctx)
	}
}

// MailDigestsNow runs a planning round whose digest time is now: everyone
// with notifications waiting for their digest gets it at once, as if the
// digest hour had just passed. The demo calls it once it has seeded its
// notifications, so that a fresh demo shows a digest.
func (a *App) MailDigestsNow(ctx context.Context) {
	if a.notifier != nil {
		a.notifier.plan(ctx, true)
	}
}

// plan is one planning round; digestNow sets the digest time to now
// rather than the day's digest hour.
func (n *notifier) plan(ctx context.Context, digestNow bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	a, now := n.a, n.a.now()
	cfg := a.Config.Notify
	digestAt := notify.DigestTime(now, cfg.DigestHour)
	if digestNow {
		digestAt = now
	}
	warn := func(what string, err error) {
		if err != nil && ctx.Err() == nil {
			a.Log.Warn("notifications: "+what, slog.Any("error", err))
		}
	}
	_, err := a.DB.RemindPending(ctx, time.Duration(cfg.ReminderDays)*24*time.Hour, now)
	warn("reminders", err)
	_, err = a.DB.NoteSourceFailures(ctx, a.configuredUpstreams(), cfg.FailingAfter, now)
	warn("failing sources", err)
	_, err = a.DB.SkipUnmailable(ctx, cfg.MailConfigured())
	warn("unmailable", err)
	if !cfg.MailConfigured() {
		return
	}
	out, err := a.DB.PendingMail(ctx)
	if err != nil {
		warn("pending mail", err)
		return
	}
	queued := 0
	for _, m := range notify.Plan(out, now, digestAt) {
		p, err := mailer.Render(m, a.Config.PublicURL, n.from)
		if err != nil {
			warn("render", err)
			continue
		}
		payload, err := jsonString(p)
		if err != nil {
			warn("render", err)
			continue
		}
		summary := "e-mail to " + m.Recipient.Email + ": " + p.Subject
		if _, err := a.DB.QueueMail(ctx, m, portal.OutboxItem{Kind: portal.KindMailMessage, Upstream: portal.UpstreamSMTP,
			Summary: notify.Clip(summary, 300), Payload: payload, CreatedBy: portal.SystemActor}); err != nil {
			warn("queue mail", err)
			continue
		}
		queued++
	}
	if queued > 0 {
		a.Outbox.Notify()
	}
}

// thresholds evaluates the budget thresholds; the sync jobs call it
// after each run, when new data has arrived.
func (a *App) thresholds(ctx context.Context) {
	now := a.now()
	ms, err := a.DB.ThresholdMeasures(ctx, now, a.Config.Costs.BaseCurrency, a.Config.Costs.WarnPercent)
	if err == nil {
		var n int
		if n, err = a.DB.ApplyThresholds(ctx, ms, now); n > 0 {
			a.Log.Info("budget thresholds crossed", slog.Int("events", n))
			if a.notifier != nil {
				a.notifier.Wake()
			}
		}
	}
	if err != nil && ctx.Err() == nil {
		a.Log.Warn("budget thresholds", slog.Any("error", err))
	}
}

// configuredUpstreams lists the upstreams that are synced.
func (a *App) configuredUpstreams() []string {
	cfg := a.Config
	var out []string
	for up, ok := range map[string]bool{portal.UpstreamOBI: cfg.OBI.Configured(), portal.UpstreamArgo: cfg.Argo.Configured(),
		portal.UpstreamAMIE: cfg.AMIE.Configured(), portal.UpstreamVergeOS: cfg.VergeOS.Configured()} {
		if ok {
			out = append(out, up)
		}
	}
	slices.Sort(out)
	return out
}

func jsonString(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// notifyDeps gives the handlers the notifications pages, the SMTP
// server's status and, in the demo, the catcher.
func (a *App) notifyDeps(d *handlers.Deps) {
	cfg := a.Config.Notify
	d.Notify = a.DB
	d.NotifySettings = handlers.NotifySettings{MailConfigured: cfg.MailConfigured(), DigestHour: cfg.DigestHour,
		ReminderDays: cfg.ReminderDays, FailingAfter: cfg.FailingAfter.String()}
	server := ""
	if srv, err := mailer.ParseURL(cfg.SMTPURL); err == nil && cfg.MailConfigured() {
		server = srv.String()
	}
	d.MailStatus = func(ctx context.Context) (templates.MailSourceView, error) {
		v := templates.MailSourceView{Configured: cfg.MailConfigured(), Server: server, Now: a.now()}
		if !v.Configured {
			return v, nil
		}
		st, err := a.DB.MailStatus(ctx)
		if err != nil {
			return v, err
		}
		v.Waiting, v.Uncertain, v.Failed = st.Waiting, st.Uncertain, st.Dead
		if st.LastFailure != nil {
			v.LastFailure, v.LastError = st.LastFailure.Finished, st.LastFailure.Error
		}
		if st.LastAttempt != nil {
			v.Failing = st.LastAttempt.Outcome != portal.OutboxDelivered
			if !v.Failing {
				v.LastOK = st.LastAttempt.Finished
			}
		}
		return v, nil
	}
	if a.demoMail != nil {
		d.DemoMail = a.demoMail
	}
}
