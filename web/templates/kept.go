package templates

import (
	"context"
	"io"
	"strings"

	"github.com/a-h/templ"
)

// keptHTML is a part of a page rendered once and kept between requests
// by the view that holds it (the Kept methods): "" until kept.
type keptHTML string

// render writes the kept rendering, or renders fresh when none is kept.
func (k keptHTML) render(ctx context.Context, w io.Writer, fresh templ.Component) error {
	if k != "" {
		_, err := io.WriteString(w, string(k))
		return err
	}
	return fresh.Render(ctx, w)
}

// keep renders c once. When that fails it keeps nothing, so the part is
// rendered afresh each time, where the error shows.
func keep(c templ.Component) keptHTML {
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		return ""
	}
	return keptHTML(b.String())
}
