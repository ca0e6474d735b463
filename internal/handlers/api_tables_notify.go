package handlers

import (
	"github.com/labstack/echo/v4"

	"github.com/accounting-portal/portal/internal/portal"
)

// apiNotifications is the notifications table's JSON twin: the token's
// owner's own notifications, unread first, as /notifications.csv writes
// them.
var apiNotifications = apiTable{Path: "/notifications", Twin: "/notifications", CSV: "/notifications.csv",
	Summary: "Your notifications: unread first, newest first", Access: Member,
	Handler: func(h *Handler) echo.HandlerFunc {
		return func(c echo.Context) error {
			if h.Notify == nil {
				return portal.Errorf(portal.ENOTFOUND, "This portal keeps no notifications.")
			}
			return h.handleNotifications(c)
		}
	},
	Params:  one(enumParam("unread", "1: only the unread ones.", "1")),
	Columns: notificationColumns}

// notificationColumns are the notifications table's CSV header.
var notificationColumns = []string{"id", "at_utc", "kind", "title", "by", "link", "read_utc", "delivery", "mail"}
