package outbox

import (
	"context"
	"encoding/json"
	"time"

	"github.com/accounting-portal/portal/internal/clients/argo"
	"github.com/accounting-portal/portal/internal/metrics"
	"github.com/accounting-portal/portal/internal/portal"
)

// ArgoClient is what the ARGO metric deliverer needs; *argo.Client implements it.
type ArgoClient interface {
	AddInstallationMetric(ctx context.Context, installationID string, m argo.NewMetric) (*argo.Metric, error)
	FindInstallationMetric(ctx context.Context, installationID, metricDefinitionID string, start, end time.Time) (*argo.Metric, error)
}

// ArgoMetric delivers metric pushes (kind portal.KindARGOMetric): it adds
// the metric to the installation in ARGO. ARGO keeps at most one metric
// per installation, definition and period, so a push whose answer was
// lost can be looked up (Check) instead of being sent again: a second
// POST would be refused as a duplicate at best.
type ArgoMetric struct {
	Client ArgoClient
}

var (
	_ Deliverer = ArgoMetric{}
	_ Checker   = ArgoMetric{}
)

func argoPayload(it portal.OutboxItem) (metrics.Payload, error) {
	var p metrics.Payload
	if err := json.Unmarshal([]byte(it.Payload), &p); err != nil {
		// Nothing was sent; sending it again would not help.
		return p, portal.WrapError(portal.EINVALID, err, "the metric push could not be read back from the outbox")
	}
	return p, nil
}

// argoResult is what the outbox keeps of ARGO's metric and the settler
// caches: ARGO's own field names.
func argoResult(m *argo.Metric) string {
	b, _ := json.Marshal(metrics.Result{MetricID: m.ID, MetricDefinitionID: m.MetricDefinitionID,
		Start: m.Start.UTC(), End: m.End.UTC(), Value: m.Value, GroupID: m.GroupID, UserID: m.UserID})
	return string(b)
}

// Deliver POSTs the metric. ARGO's refusals (400 invalid, 404 unknown
// installation or definition, 409 duplicate period) come back with ARGO's
// message and end the push as failed; a POST whose outcome is unknown
// (no answer, a 5xx, an unreadable reply) is EUNCERTAIN and is settled by
// Check. One refusal is not what it seems: a 409 after an attempt whose
// outcome was unknown is most likely that attempt's own metric (the
// look-up missed it, or it landed late), so the metric is looked up and,
// found, the push is delivered rather than failed.
func (d ArgoMetric) Deliver(ctx context.Context, it portal.OutboxItem) (string, error) {
	p, err := argoPayload(it)
	if err != nil {
		return "", err
	}
	m, err := d.Client.AddInstallationMetric(ctx, p.InstallationID, argo.NewMetric{MetricDefinitionID: p.MetricDefinitionID,
		Start: p.Start, End: p.End, Value: p.Value, GroupID: p.GroupID, UserID: p.UserID})
	if portal.ErrorCode(err) == portal.ECONFLICT && it.UnknownAttempts > 0 {
		found, res, cerr := d.Check(ctx, it)
		switch {
		case cerr != nil:
			// Present or not, it cannot be said now: look it up again later.
			return "", portal.WrapError(portal.EUNCERTAIN, err, "%s; after an earlier attempt whose outcome was unknown, so the metric is looked up (the look-up failed: %s)",
				portal.ErrorMessage(err), portal.ErrorMessage(cerr))
		case found:
			return res, nil
		}
	}
	if err != nil {
		return "", err
	}
	return argoResult(m), nil
}

// Check looks the metric up by installation, definition and exact period.
func (d ArgoMetric) Check(ctx context.Context, it portal.OutboxItem) (bool, string, error) {
	p, err := argoPayload(it)
	if err != nil {
		return false, "", err
	}
	m, err := d.Client.FindInstallationMetric(ctx, p.InstallationID, p.MetricDefinitionID, p.Start, p.End)
	if portal.ErrorCode(err) == portal.ENOTFOUND {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	return true, argoResult(m), nil
}
