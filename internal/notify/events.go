package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/accounting-portal/portal/internal/budgets"
)

// stamp is how events write times: UTC, with the zone.
const stamp = "2006-01-02 15:04 UTC"

// RequestLink is the page of a budget request.
func RequestLink(id int64) string { return "/requests/" + strconv.FormatInt(id, 10) }

// RequestCreated is the event of a new budget request, for the admins.
func RequestCreated(r *budgets.Request) Event {
	var b strings.Builder
	fmt.Fprintf(&b, "%s asked for budget on %s:\n%s.\n", who(r.RequestedByName, r.RequestedBy), r.Created.UTC().Format(stamp), OneLine(r.Summary()))
	fmt.Fprintf(&b, "Justification: %s\n", OneLine(r.Justification))
	b.WriteString("It waits for an admin's approval.")
	return Event{Kind: KindRequestCreated, At: r.Created, Actor: r.RequestedBy, ActorName: r.RequestedByName,
		Subject: budgets.RequestRef(r.ID), Project: requestProject(r),
		Title: fmt.Sprintf("Budget request %d from %s: %s", r.ID, who(r.RequestedByName, r.RequestedBy), OneLine(r.Summary())),
		Body:  b.String(), Link: RequestLink(r.ID)}
}

// RequestPending is the reminder of a request waiting longer than it should.
func RequestPending(r *budgets.Request, now time.Time) Event {
	days := int(now.Sub(r.Created) / (24 * time.Hour))
	return Event{Kind: KindRequestPending, At: now, Actor: "system", Subject: budgets.RequestRef(r.ID), Project: requestProject(r),
		Title: fmt.Sprintf("Budget request %d has waited %s for a decision: %s", r.ID, plural(days, "day"), OneLine(r.Summary())),
		Body: fmt.Sprintf("%s asked on %s:\n%s.\nJustification: %s\nIt is still pending.", who(r.RequestedByName, r.RequestedBy),
			r.Created.UTC().Format(stamp), OneLine(r.Summary()), OneLine(r.Justification)),
		Link: RequestLink(r.ID)}
}

// RequestDecided is the event of a request reaching state to, for its
// requester: an admin's approval (with the amount approved when it is
// less than was asked, and the note), denial (with the reason), or OBI's
// outcome. It returns false for states the requester is not told about.
func RequestDecided(r *budgets.Request, to, actor, actorName string, at time.Time) (Event, bool) {
	var what, detail string
	switch to {
	case budgets.Approved:
		what = "approved"
		if r.Reduced() {
			what = fmt.Sprintf("approved for %s of the %s credits asked", r.Granted().StringFixed(2), r.Amount.StringFixed(2))
		}
		detail = "OBI is being asked to make the change."
	case budgets.Denied:
		what, detail = "denied", "Reason: "+OneLine(r.DenyReason)
	case budgets.Applied:
		what, detail = "applied", fmt.Sprintf("OBI made the change of %s credits.", r.Granted().StringFixed(2))
	case budgets.Failed:
		what, detail = "failed", "OBI refused the change: "+OneLine(r.UpstreamError)
	case budgets.NeedsReconciliation:
		what = "in need of reconciliation"
		detail = "The portal could not tell whether OBI made the change (" + OneLine(r.UpstreamError) + "). An admin compares the balances and settles it; it is not sent again."
	default:
		return Event{}, false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Your request of %s (%s) was %s", r.Created.UTC().Format(stamp), OneLine(r.Summary()), what)
	if actorName != "" && actor != "system" {
		fmt.Fprintf(&b, " by %s", OneLine(actorName))
	}
	fmt.Fprintf(&b, " on %s.\n%s", at.UTC().Format(stamp), detail)
	if to == budgets.Approved && r.ApproveNote != "" {
		fmt.Fprintf(&b, "\nNote: %s", OneLine(r.ApproveNote))
	}
	return Event{Kind: KindRequestDecided, At: at, Actor: actor, ActorName: actorName, Subject: budgets.RequestRef(r.ID),
		Project: requestProject(r), Title: fmt.Sprintf("Budget request %d %s: %s", r.ID, what, OneLine(r.Summary())),
		Body: b.String(), Link: RequestLink(r.ID)}, true
}

func requestProject(r *budgets.Request) string {
	if r.ProjectKey != "" {
		return r.ProjectKey
	}
	return r.ToProjectKey
}

// SourceFailing is the event of an upstream whose syncs have failed since since.
func SourceFailing(title, upstream, lastError string, since, now time.Time) Event {
	return Event{Kind: KindSourceFailing, At: now, Actor: "system", Subject: "source:" + upstream,
		Title: fmt.Sprintf("%s has been failing for %s", title, roundDuration(now.Sub(since))),
		Body: fmt.Sprintf("Every sync of %s since %s has failed. The pages show the last good data meanwhile.\nLast error: %s",
			title, since.UTC().Format(stamp), OneLine(lastError)),
		Link: "/sources"}
}

// AMIEFailed is the event of new failed AMIE records of a project.
func AMIEFailed(project, projectName string, count int, errors []string, now time.Time) Event {
	var b strings.Builder
	fmt.Fprintf(&b, "AMIE could not process %s of %s, found at the sync of %s.", plural(count, "usage record"), projectName, now.UTC().Format(stamp))
	for i, e := range errors {
		if i == 5 {
			fmt.Fprintf(&b, "\n(and %d more errors)", len(errors)-5)
			break
		}
		fmt.Fprintf(&b, "\nError: %s", OneLine(e))
	}
	return Event{Kind: KindAMIEFailed, At: now, Actor: "system", Subject: "amie_failed:" + project, Project: project,
		Title: fmt.Sprintf("%s: %s failed in AMIE", projectName, plural(count, "new usage record")),
		Body:  b.String(), Link: "/usage/failed?project=" + project}
}

// PushFailed is the event of a metric push that failed or gave up, for its sender.
func PushFailed(id int64, what, state, reason string, at time.Time) Event {
	return Event{Kind: KindDeliveryFailed, At: at, Actor: "system", Subject: "metric_push:" + strconv.FormatInt(id, 10),
		Title: fmt.Sprintf("Metric push %d %s: %s", id, stateWord(state), what),
		Body:  fmt.Sprintf("Your push of %s to ARGO %s on %s.\nReason: %s", what, stateWord(state), at.UTC().Format(stamp), OneLine(reason)),
		Link:  "/metrics/pushes/" + strconv.FormatInt(id, 10)}
}

// UploadFailed is the event of a usage upload whose requests were
// refused or given up, for its sender.
func UploadFailed(id int64, filename string, records, refused, notSent int, at time.Time) Event {
	return Event{Kind: KindDeliveryFailed, At: at, Actor: "system", Subject: "usage_upload:" + strconv.FormatInt(id, 10),
		Title: fmt.Sprintf("Usage upload %d failed: %s", id, OneLine(filename)),
		Body: fmt.Sprintf("Your upload of %s (%s) to AMIE failed on %s: %d refused, %d not sent.", OneLine(filename),
			plural(records, "record"), at.UTC().Format(stamp), refused, notSent),
		Link: "/usage/uploads/" + strconv.FormatInt(id, 10)}
}

func stateWord(state string) string {
	if state == "dead" {
		return "gave up"
	}
	return state
}

func who(name, subject string) string {
	if name != "" {
		return OneLine(name)
	}
	return subject
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// roundDuration writes a duration the way people say it: "3 hours", "2 days".
func roundDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(max(1, int(d/time.Minute)), "minute")
	}
}
