package argo

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/accounting-portal/portal/internal/clients/upstream"
	"github.com/accounting-portal/portal/internal/portal"
)

func (f MetricFilter) query() url.Values {
	q := url.Values{}
	if f.MetricDefinitionID != "" {
		q.Set("metric-definition-id", f.MetricDefinitionID)
	}
	if !f.Start.IsZero() {
		q.Set("start", f.Start.UTC().Format(time.DateOnly))
	}
	if !f.End.IsZero() {
		q.Set("end", f.End.UTC().Format(time.DateOnly))
	}
	return q
}

// EachInstallationMetric streams the metrics of an installation, one page
// (up to 100 metrics) at a time: fn sees each page once, in the server's
// order, and an error from fn stops the walk and is returned.
func (c *Client) EachInstallationMetric(ctx context.Context, installationID string, f MetricFilter, fn func(page []Metric) error) error {
	return eachPage(ctx, c, "/installations/"+esc(installationID)+"/metrics", f.query(), decodeMetric, fn)
}

// EachProjectMetric streams the metrics of every installation of a project.
func (c *Client) EachProjectMetric(ctx context.Context, projectID string, f MetricFilter, fn func(page []Metric) error) error {
	return eachPage(ctx, c, "/projects/"+esc(projectID)+"/metrics", f.query(), decodeMetric, fn)
}

// EachProviderMetric streams the metrics of a provider's installations
// within a project.
func (c *Client) EachProviderMetric(ctx context.Context, projectID, providerID string, f MetricFilter, fn func(page []Metric) error) error {
	return eachPage(ctx, c, "/projects/"+esc(projectID)+"/providers/"+esc(providerID)+"/metrics", f.query(), decodeMetric, fn)
}

func collect(each func(fn func([]Metric) error) error) ([]Metric, error) {
	var out []Metric
	err := each(func(page []Metric) error {
		out = append(out, page...)
		return nil
	})
	return out, err
}

// InstallationMetrics returns all metrics of an installation that match
// f. For large lists prefer EachInstallationMetric.
func (c *Client) InstallationMetrics(ctx context.Context, installationID string, f MetricFilter) ([]Metric, error) {
	return collect(func(fn func([]Metric) error) error { return c.EachInstallationMetric(ctx, installationID, f, fn) })
}

// ProjectMetrics returns all metrics of a project that match f.
func (c *Client) ProjectMetrics(ctx context.Context, projectID string, f MetricFilter) ([]Metric, error) {
	return collect(func(fn func([]Metric) error) error { return c.EachProjectMetric(ctx, projectID, f, fn) })
}

// ProviderMetrics returns all metrics of a provider within a project that match f.
func (c *Client) ProviderMetrics(ctx context.Context, projectID, providerID string, f MetricFilter) ([]Metric, error) {
	return collect(func(fn func([]Metric) error) error { return c.EachProviderMetric(ctx, projectID, providerID, f, fn) })
}

// InstallationMetric reads one metric of an installation by id (the
// server may require the installation's admin). Only the single-metric
// fields are filled (see Metric).
func (c *Client) InstallationMetric(ctx context.Context, installationID, metricID string) (*Metric, error) {
	return getOne(ctx, c, "/installations/"+esc(installationID)+"/metrics/"+esc(metricID), decodeMetric)
}

// FindInstallationMetric looks up the metric of an installation for a
// definition and an exact period, through the filtered list: the server
// keeps at most one (its unique index), so this settles whether a POST
// whose answer was lost took effect. It returns an ENOTFOUND error when
// there is none.
func (c *Client) FindInstallationMetric(ctx context.Context, installationID, metricDefinitionID string, start, end time.Time) (*Metric, error) {
	// With both dates the server keeps metrics whose start and end lie in
	// [start's midnight, end's midnight]: take the day after end's day.
	f := MetricFilter{MetricDefinitionID: metricDefinitionID, Start: start, End: end.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)}
	var found *Metric
	errFound := errors.New("found")
	err := c.EachInstallationMetric(ctx, installationID, f, func(page []Metric) error {
		for i := range page {
			m := &page[i]
			if m.MetricDefinitionID == metricDefinitionID && m.Start.Equal(start) && m.End.Equal(end) {
				found = m
				return errFound
			}
		}
		return nil
	})
	if found != nil {
		return found, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, portal.Errorf(portal.ENOTFOUND, "ARGO: installation %s has no metric of definition %s for %s to %s",
		installationID, metricDefinitionID, start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339))
}

// metricRequest is the body of POST /installations/{id}/metrics.
type metricRequest struct {
	MetricDefinitionID string `json:"metric_definition_id"`
	Start              string `json:"time_period_start"`
	End                string `json:"time_period_end"`
	// Value is a JSON number written from the decimal's exact text, as
	// ARGO's documented body has it: a float64 would round
	// 999999999999999.99 to 1e15 and 1E-5001 to 0 before ARGO sees them.
	Value   json.Number `json:"value"`
	GroupID string      `json:"group_id,omitempty"`
	UserID  string      `json:"user_id,omitempty"`
}

// AddInstallationMetric adds a metric to an installation and returns it as
// created (with its id). It is never retried here. Errors: EINVALID for
// a metric the server (or this check) refuses (400), ENOTFOUND for an
// unknown installation or definition (404), ECONFLICT when the
// installation already has a metric for that definition and period (409),
// EFORBIDDEN/EUNAUTHORIZED for the token, EUNAVAILABLE when nothing
// happened, and EUNCERTAIN when the request went out and no readable
// answer came back: use FindInstallationMetric before trying again.
func (c *Client) AddInstallationMetric(ctx context.Context, installationID string, m NewMetric) (*Metric, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(metricRequest{
		MetricDefinitionID: m.MetricDefinitionID, Start: m.Start.UTC().Format(time.RFC3339Nano),
		End: m.End.UTC().Format(time.RFC3339Nano), Value: json.Number(m.Value.String()), GroupID: m.GroupID, UserID: m.UserID,
	})
	if err != nil {
		return nil, portal.WrapError(portal.EINTERNAL, err, "ARGO: encode metric")
	}
	h := c.header()
	h.Set("Content-Type", "application/json")
	path := "/installations/" + esc(installationID) + "/metrics"
	// A 2xx whose metric cannot be read was still accepted: the transport
	// makes it EUNCERTAIN (Decode), so it is looked up, not sent again.
	var created Metric
	decode := func(b []byte) (err error) {
		created, err = decodeMetric(b)
		return err
	}
	if _, err := c.caller.Do(ctx, upstream.Request{Method: http.MethodPost, URL: c.base + path, Header: h, Body: body, Decode: decode}); err != nil {
		return nil, err
	}
	return &created, nil
}

func (m NewMetric) validate() error {
	switch {
	case m.MetricDefinitionID == "":
		return portal.Errorf(portal.EINVALID, "ARGO: the metric has no metric definition")
	case m.Start.IsZero() || m.End.IsZero():
		return portal.Errorf(portal.EINVALID, "ARGO: the metric needs a period start and end")
	case !m.Start.Before(m.End):
		return portal.Errorf(portal.EINVALID, "ARGO: the metric's period must start before it ends")
	}
	return nil
}
