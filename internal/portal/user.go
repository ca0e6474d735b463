package portal

import (
	"context"
	"slices"
	"sort"
)

// Role names as shown on pages.
const (
	RoleAdmin   = "admin"
	RoleManager = "manager"
	RoleViewer  = "viewer"
)

// User is the signed-in person. Roles and projects come from the OIDC
// claims at login (see internal/auth), never from anything the browser sends.
type User struct {
	Subject string // the OIDC "sub": stable key of the person
	Name    string
	Email   string
	Admin   bool
	// Manages and Member hold portal project keys, sorted and without duplicates.
	// A manager of a project is also a member of it.
	Manages []string
	Member  []string
}

// Roles lists the user's roles, highest first.
func (u *User) Roles() []string {
	var r []string
	if u.Admin {
		r = append(r, RoleAdmin)
	}
	if len(u.Manages) > 0 {
		r = append(r, RoleManager)
	}
	if len(u.Member) > 0 {
		r = append(r, RoleViewer)
	}
	return r
}

// DisplayName is the name to show: the name claim, else the email, else the subject.
func (u *User) DisplayName() string {
	switch {
	case u.Name != "":
		return u.Name
	case u.Email != "":
		return u.Email
	default:
		return u.Subject
	}
}

// CanRead reports whether the user may read the project's pages.
func (u *User) CanRead(project string) bool {
	return u.Admin || slices.Contains(u.Member, project)
}

// CanManage reports whether the user may act for the project (request
// budget, push metrics, send usage records).
func (u *User) CanManage(project string) bool {
	return u.Admin || slices.Contains(u.Manages, project)
}

// IsManager reports whether the user manages at least one project or is an admin.
func (u *User) IsManager() bool { return u.Admin || len(u.Manages) > 0 }

// Scope returns the set of projects whose data the user may read. Every
// page query takes a Scope, so scoping happens in SQL.
func (u *User) Scope() Scope {
	if u.Admin {
		return Scope{All: true}
	}
	return Scope{Projects: slices.Clone(u.Member)}
}

// ManageScope returns the set of projects the user may act for.
func (u *User) ManageScope() Scope {
	if u.Admin {
		return Scope{All: true}
	}
	return Scope{Projects: slices.Clone(u.Manages)}
}

// Scope is a set of portal project keys, or all of them.
type Scope struct {
	All      bool
	Projects []string
}

// Allows reports whether the scope includes the project key.
func (s Scope) Allows(project string) bool {
	return s.All || slices.Contains(s.Projects, project)
}

// NormalizeProjects sorts and de-duplicates project keys.
func NormalizeProjects(keys []string) []string {
	out := slices.Clone(keys)
	sort.Strings(out)
	return slices.Compact(out)
}

type userKey struct{}

// NewContextWithUser returns a context carrying u.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFromContext returns the signed-in user, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userKey{}).(*User)
	return u
}
