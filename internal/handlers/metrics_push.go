package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
	"github.com/accounting-portal/portal/web/templates"
)

// Pushing a metric: a manager of the installation's project (or an admin)
// fills the form; the push and its outbox item are written in one
// transaction and the dispatcher delivers it to ARGO.
//
// The form's rules, checked here before anything is written:
//   - definition: one of the cached metric definitions;
//   - value: a plain decimal number (digits, optionally a dot and more
//     digits; no sign, exponent or thousands separators), at most 1e15,
//     read exactly (it reaches ARGO as typed, never through a float64)
//     and within the decimal package's bounds (34 significant digits, a
//     number other than 0 at least 1E-100).
//     Never negative: accounting values are amounts used or counted, and
//     a wrong value is corrected in ARGO, not offset by a negative one.
//     A whole number when the definition counts things: metric type
//     "count", or a counting unit (#, count, API reqs, PID prefixes,
//     Service Updates). This is checked on the exact value, so that
//     0.000…1 is not taken for 0;
//   - start and end: UTC date and time to the minute (or second); start
//     before end; end not after now (ARGO refuses future periods); start
//     not before 2000 (a mistyped year);
//   - user and group ids: optional, at most 200 characters, no control
//     characters.
//
// A period for which the installation already has a metric (or a push
// under way) of the definition is refused as well: ARGO keeps one per
// installation, definition and period.

// formTime is the format of <input type="datetime-local">.
const formTime = "2006-01-02T15:04"

// countingUnits are unit types whose values are numbers of things.
var countingUnits = []string{"#", "count", "API reqs", "PID prefixes", "Service Updates"}

var plainDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// maxPushValue is the largest value the form takes.
var maxPushValue = decimal.MustParse("1000000000000000")

// pushForm is the form's input.
type pushForm struct {
	Definition, Value, Start, End, UserID, GroupID string
}

// pushFields are the push form's fields, which the API's push body takes.
var pushFields = []string{"definition", "value", "start", "end", "user_id", "group_id"}

func readPushForm(get func(string) string) pushForm {
	t := func(k string) string { return strings.TrimSpace(get(k)) }
	return pushForm{Definition: t("definition"), Value: t("value"), Start: t("start"), End: t("end"), UserID: t("user_id"), GroupID: t("group_id")}
}

func (f pushForm) values() map[string]string {
	return map[string]string{"definition": f.Definition, "value": f.Value, "start": f.Start, "end": f.End, "user_id": f.UserID, "group_id": f.GroupID}
}

// pushInput is a checked form.
type pushInput struct {
	Value      decimal.Decimal
	Start, End time.Time
}

// validate checks the form against the definition (nil when unknown) and
// returns the problem of each field.
func (f pushForm) validate(def *metrics.Definition, now time.Time) (pushInput, map[string]string) {
	errs := map[string]string{}
	var in pushInput
	if def == nil {
		errs["definition"] = "Choose one of the metric definitions listed."
	}
	var msg string
	if in.Value, msg = parsePushValue(f.Value, def); msg != "" {
		errs["value"] = msg
	}
	var okS, okE bool
	in.Start, okS = parseFormTime(f.Start)
	in.End, okE = parseFormTime(f.End)
	switch {
	case !okS:
		errs["start"] = "Enter the date and time the period began (UTC)."
	case in.Start.Before(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)):
		errs["start"] = "The start is before 2000: check the year."
	}
	switch {
	case !okE:
		errs["end"] = "Enter the date and time the period ended (UTC)."
	case okS && !in.End.After(in.Start):
		errs["end"] = "The end must be after the start."
	case in.End.After(now):
		errs["end"] = "The end is in the future (it is " + now.Format("2006-01-02 15:04") + " UTC now): ARGO only takes periods that have happened."
	}
	for field, v := range map[string]string{"user_id": f.UserID, "group_id": f.GroupID} {
		if len(v) > 200 || strings.ContainsFunc(v, unicode.IsControl) {
			errs[field] = "At most 200 characters, without control characters."
		}
	}
	return in, errs
}

// parsePushValue reads a value typed for def (nil when unknown), or
// returns what is wrong with it.
func parsePushValue(text string, def *metrics.Definition) (decimal.Decimal, string) {
	if text == "" {
		return decimal.Zero, "Enter the value."
	}
	if strings.HasPrefix(text, "-") {
		return decimal.Zero, "The value cannot be negative: it is an amount used or counted."
	}
	if !plainDecimal.MatchString(text) {
		return decimal.Zero, "Enter a number such as 12 or 1843.25: digits, a dot for decimals, no thousands separators."
	}
	v, err := decimal.Parse(text)
	// A number below the smallest the portal reads is no whole number either.
	if def != nil && counts(def) && (errors.Is(err, decimal.ErrTooSmall) || err == nil && !v.IsInteger()) {
		return decimal.Zero, fmt.Sprintf("%s counts things (%s, unit %s): enter a whole number; %s is not one.",
			def.Name, def.MetricType, def.UnitType, clipValue(text))
	}
	whole, _, _ := strings.Cut(text, ".")
	switch {
	case len(strings.TrimLeft(whole, "0")) > len(maxPushValue.String()) || err == nil && v.Cmp(maxPushValue) > 0:
		return decimal.Zero, "The value is too large (at most 1,000,000,000,000,000)."
	case errors.Is(err, decimal.ErrTooSmall):
		return decimal.Zero, fmt.Sprintf("The value is too small: a value other than 0 needs a digit other than 0 within %d places after the point.", -decimal.MinExponent)
	case errors.Is(err, decimal.ErrTooManyDigits):
		return decimal.Zero, fmt.Sprintf("The value has more than %d significant digits: round it (zeros at the end of the decimals count as digits).", decimal.MaxDigits)
	case err != nil:
		return decimal.Zero, "Enter a number such as 12 or 1843.25: digits, a dot for decimals, no thousands separators."
	}
	return v, ""
}

// clipValue shortens a long value for a message.
func clipValue(s string) string {
	if len(s) <= 40 {
		return s
	}
	return s[:20] + "…" + s[len(s)-12:] + " (" + strconv.Itoa(len(s)) + " characters)"
}

// counts reports whether a definition's values are numbers of things.
func counts(d *metrics.Definition) bool {
	return d.MetricType == "count" || slices.Contains(countingUnits, d.UnitType)
}

func parseFormTime(s string) (time.Time, bool) {
	for _, layout := range []string{formTime, formTime + ":05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// pushTarget returns the installation if the user may push to it: not
// found when it is outside the user's projects, forbidden when the user
// reads but does not manage its project.
func (h *Handler) pushTarget(c echo.Context) (*metrics.InstallationRow, error) {
	ctx := c.Request().Context()
	u := user(c)
	in, err := h.Metrics.ArgoInstallation(ctx, c.Param("id"), u.Scope())
	if err != nil {
		return nil, err
	}
	ok, err := h.Metrics.ArgoInstallationInScope(ctx, in.ID, u.ManageScope())
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, portal.Errorf(portal.EFORBIDDEN, "You can see this installation but not push metrics to it: that takes the manager role of project %s.", in.ProjectName)
	}
	return in, nil
}

func (h *Handler) handlePushForm(c echo.Context) error {
	in, err := h.pushTarget(c)
	if err != nil {
		return err
	}
	// A first guess: today so far (to the hour), in the installation's
	// unit of access. Collectors report whole past days, so a part of today
	// is the period least likely to have a metric already.
	now := h.nowUTC()
	start, end := metrics.PeriodStart(now, metrics.Daily), now.Truncate(time.Hour)
	if !end.After(start) {
		start = start.AddDate(0, 0, -1)
	}
	f := pushForm{Definition: in.UnitOfAccess, Start: start.Format(formTime), End: end.Format(formTime)}
	return h.renderPushForm(c, http.StatusOK, in, f, nil, "")
}

func (h *Handler) renderPushForm(c echo.Context, status int, in *metrics.InstallationRow, f pushForm, errs map[string]string, formErr string) error {
	facts := installationFacts(*in)
	p, err := h.page(c, "Push a metric to "+facts.Name, "metrics", portal.UpstreamArgo)
	if err != nil {
		return err
	}
	// Every definition; the empty scope spares counting anyone's metrics.
	defs, _, err := h.Metrics.ArgoDefinitions(c.Request().Context(), metrics.DefinitionQuery{Scope: portal.Scope{}, Sort: "name"})
	if err != nil {
		return err
	}
	v := templates.PushFormView{Page: p, Tabs: metricsTabs(p.User, "installations"), Inst: facts, Action: installationHref(in.ID) + "/push",
		Values: f.values(), Errors: errs, FormError: formErr, Now: h.nowUTC().Format("2006-01-02 15:04")}
	for _, d := range defs {
		v.Definitions = append(v.Definitions, templates.SelectOption{Value: d.ID, Label: d.Name + " (" + d.UnitType + ", " + d.MetricType + ")",
			Selected: d.ID == f.Definition})
	}
	return render(c, status, templates.PushForm(v))
}

// pushMetric checks a push (the form's, or the API's with the same fields)
// to the installation in and stores it with its outbox item. It returns
// the push's id, or the problem of each field and a sentence for the
// whole form; nothing is stored then. The form and the API both push
// through here.
func (h *Handler) pushMetric(ctx context.Context, u *portal.User, in *metrics.InstallationRow, f pushForm) (int64, map[string]string, string, error) {
	var def *metrics.Definition
	var err error
	if f.Definition != "" {
		if def, err = h.Metrics.ArgoDefinition(ctx, f.Definition); err != nil && portal.ErrorCode(err) != portal.ENOTFOUND {
			return 0, nil, "", err
		}
	}
	input, errs := f.validate(def, h.nowUTC())
	if len(errs) > 0 {
		return 0, errs, "The metric was not pushed: please correct the fields marked below.", nil
	}
	id, err := h.Metrics.CreateMetricPush(ctx, u.ManageScope(), metrics.NewPush{InstallationID: in.ID, DefinitionID: def.ID,
		Start: input.Start, End: input.End, Value: input.Value, ValueText: f.Value, UserID: f.UserID, GroupID: f.GroupID,
		Actor: u.Subject, ActorName: u.DisplayName()})
	switch portal.ErrorCode(err) {
	case "":
	case portal.ECONFLICT:
		return 0, map[string]string{"start": "Choose another period or metric definition."}, portal.ErrorMessage(err), nil
	case portal.EINVALID:
		return 0, map[string]string{"definition": portal.ErrorMessage(err)}, "The metric was not pushed.", nil
	default:
		return 0, nil, "", err
	}
	h.Outbox.Notify()
	return id, nil, "", nil
}

func (h *Handler) handlePushSubmit(c echo.Context) error {
	ctx := c.Request().Context()
	in, err := h.pushTarget(c)
	if err != nil {
		return err
	}
	f := readPushForm(c.FormValue)
	id, errs, formErr, err := h.pushMetric(ctx, user(c), in, f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return h.renderPushForm(c, http.StatusUnprocessableEntity, in, f, errs, formErr)
	}
	return h.flashRedirect(c, fmt.Sprintf("Metric push %d is queued for ARGO. This page shows when ARGO has it.", id), "/metrics/pushes/"+strconv.FormatInt(id, 10))
}
