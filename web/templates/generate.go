// Package templates renders the portal's pages with templ. Pages take view
// models (the structs in this package, built by internal/handlers), never
// database rows, and import nothing of the portal but its domain package.
// templ escapes every value it prints; nothing here bypasses that.
package templates

//go:generate go tool templ generate
