package handlers

import (
	"strconv"
	"time"
)

// Records and metrics of long ago are seldom sent on purpose (a year
// typed wrong, an old export picked by mistake), and they change totals
// people have read for months. Beyond PORTAL_CONFIRM_OLDER_THAN the
// upload and push forms ask to confirm, the way the request form does for
// an amount over the balance.

// oldBefore is the time before which a record or period needs confirming
// (zero: nothing does).
func (h *Handler) oldBefore() time.Time {
	if h.ConfirmOlderThan <= 0 {
		return time.Time{}
	}
	return h.nowUTC().Add(-h.ConfirmOlderThan)
}

// isOld reports whether t needs confirming.
func (h *Handler) isOld(t time.Time) bool {
	before := h.oldBefore()
	return !before.IsZero() && !t.IsZero() && t.Before(before)
}

// confirmAge says the configured age for people: "365 days".
func (h *Handler) confirmAge() string {
	days := int(h.ConfirmOlderThan / (24 * time.Hour))
	if days == 1 {
		return "1 day"
	}
	return strconv.Itoa(days) + " days"
}
