package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/accounting-portal/portal/internal/billing"
	"github.com/accounting-portal/portal/internal/clients/vergeos"
	"github.com/accounting-portal/portal/internal/portal"
)

// VergeOSGenerator is what VergeOSGenerate needs; *vergeos.Client implements it.
type VergeOSGenerator interface {
	Generate(ctx context.Context) (vergeos.GenerateResult, error)
	ListCreated(ctx context.Context, w vergeos.Window) ([]vergeos.BillingRecord, error)
}

// VergeOSGenerate delivers portal.KindVergeOSGenerate items: it asks VergeOS
// to write a billing record now. The client sends the POST once; its error
// code tells the dispatcher what happened (EUNAVAILABLE: nothing, retried
// with backoff; a 4xx: refused, failed; EUNCERTAIN: unknown, looked up).
//
// The look-up (Check) searches the billing records created since the
// item was first sent for one the generate wrote. The request carries no
// id of the portal's and the reply that names its billing_actions row may
// be the one lost, so the record is told apart by what it is not:
//
//   - not one that existed before the first POST: before sending, the
//     deliverer lists the records created since the first send (usually
//     none), and keeps their keys with the item;
//   - not an hourly record: those cover exactly one hour ending on the
//     hour, while a generated one ends when it was asked for.
//
// A record found is the generate's (delivered); none found after the
// dispatcher's verify delay means the generate did not happen, and it is
// sent again. A generate made meanwhile outside the portal (the VergeOS UI)
// would be taken for the portal's: the portal makes one at a time, and an
// admin sees the records written since the request on its page.
type VergeOSGenerate struct {
	Client VergeOSGenerator
	// OnDelivered is called after VergeOS accepted the action, e.g. to
	// start a sync so that the new record reaches the cache soon.
	OnDelivered func()
}

var (
	_ Deliverer = (*VergeOSGenerate)(nil)
	_ Checker   = (*VergeOSGenerate)(nil)
)

// since is where a look-up starts: the first send, to the second (records
// carry whole seconds). An item sent before the portal kept that time
// starts from when it was queued.
func since(it portal.OutboxItem) time.Time {
	t := it.FirstSent
	if t.IsZero() {
		t = it.Created
	}
	return t.Truncate(time.Second)
}

// Deliver notes the records already there, then sends the generate action.
func (d *VergeOSGenerate) Deliver(ctx context.Context, it portal.OutboxItem) (string, error) {
	var rep billing.GenerateResult
	if json.Unmarshal([]byte(it.Result), &rep) != nil || !rep.Listed {
		recs, err := d.Client.ListCreated(ctx, vergeos.Window{Since: since(it), Order: vergeos.OldestFirst})
		if err != nil {
			return "", portal.WrapError(portal.ErrorCode(err), err, "listing the billing records before sending (nothing was sent): %s", portal.ErrorMessage(err))
		}
		rep = billing.GenerateResult{Listed: true}
		for _, r := range recs {
			rep.Existing = append(rep.Existing, string(r.Key))
		}
	}
	res, err := d.Client.Generate(ctx)
	if err != nil {
		// Whatever happened, later attempts and the look-up need the list.
		return billing.GenerateResult{Existing: rep.Existing, Listed: true}.String(), err
	}
	// Once VergeOS has acted, nothing here may turn the outcome into an error.
	out := billing.GenerateResult{Status: res.Status, Key: string(res.Key), Location: res.Location, DBPath: res.DBPath, Row: res.Row,
		Existing: rep.Existing, Listed: true}
	if d.OnDelivered != nil {
		d.OnDelivered()
	}
	return out.String(), nil
}

// hourly reports whether r is one of VergeOS's hourly records: exactly one
// hour, ending on the hour.
func hourly(r vergeos.BillingRecord) bool {
	return billing.IsHourly(r.From, r.To)
}

// Check looks for the record the generate wrote (see VergeOSGenerate).
func (d *VergeOSGenerate) Check(ctx context.Context, it portal.OutboxItem) (bool, string, error) {
	var rep billing.GenerateResult
	if json.Unmarshal([]byte(it.Result), &rep) != nil || !rep.Listed {
		// The portal stopped while sending the first attempt, before it
		// kept the list: a record of a generate made just before (in the
		// same second) could not be told from this one's.
		return false, "", portal.Errorf(portal.EUNCERTAIN, "the records that existed before the first send were not noted, so a record VergeOS wrote cannot be told to be this request's")
	}
	from := since(it)
	recs, err := d.Client.ListCreated(ctx, vergeos.Window{Since: from, Order: vergeos.OldestFirst})
	if err != nil {
		return false, "", err
	}
	for _, r := range recs {
		if slices.Contains(rep.Existing, string(r.Key)) || hourly(r) {
			continue
		}
		rep.Record = string(r.Key)
		if d.OnDelivered != nil {
			d.OnDelivered()
		}
		return true, rep.String(), nil
	}
	return false, fmt.Sprintf("no billing record but the hourly ones was created since %s", from.UTC().Format(time.RFC3339)), nil
}
