package outbox

import (
	"context"
	"encoding/json"

	"github.com/accounting-portal/portal/internal/cache"
	"github.com/accounting-portal/portal/internal/clients/vergeos"
)

// VergeOSGenerator is what VergeOSGenerate needs; *vergeos.Client implements it.
type VergeOSGenerator interface {
	Generate(ctx context.Context) (vergeos.GenerateResult, error)
}

// VergeOSGenerate delivers cache.VergeOSGenerateKind items: it asks VergeOS
// to write a billing record now. The client sends the POST once; its error
// code tells the dispatcher what happened (EUNAVAILABLE: nothing, retried
// with backoff; a 4xx: refused, failed; EUNCERTAIN: unknown).
//
// It is deliberately not a Checker. An unanswered generate cannot be
// looked up soundly: the request carries no id of ours, the
// billing_actions row it creates is named only in the reply that was lost,
// and the record it writes looks like any other record; meanwhile VergeOS
// writes an hourly record every hour. "A record created after the request"
// would call an hourly record ours (a lost generate marked delivered), and
// "none yet" would send the generate again when the first one may still
// land (two records). So an unknown outcome stays uncertain for an admin,
// who sees the records written since the request on its page.
type VergeOSGenerate struct {
	Client VergeOSGenerator
	// OnDelivered is called after VergeOS accepted the action, e.g. to
	// start a sync so that the new record reaches the cache soon.
	OnDelivered func()
}

// generateReply is the result kept with a delivered item.
type generateReply struct {
	Status   int    `json:"status"`
	Key      string `json:"key,omitempty"`
	Location string `json:"location,omitempty"`
	DBPath   string `json:"dbpath,omitempty"`
	Row      int64  `json:"row,omitempty"`
}

// Deliver sends the generate action.
func (d *VergeOSGenerate) Deliver(ctx context.Context, _ cache.OutboxItem) (string, error) {
	res, err := d.Client.Generate(ctx)
	if err != nil {
		return "", err
	}
	// Marshalling this struct cannot fail; and once VergeOS has acted,
	// nothing here may turn the outcome into an error.
	b, _ := json.Marshal(generateReply{Status: res.Status, Key: string(res.Key), Location: res.Location, DBPath: res.DBPath, Row: res.Row})
	if d.OnDelivered != nil {
		d.OnDelivered()
	}
	return string(b), nil
}
