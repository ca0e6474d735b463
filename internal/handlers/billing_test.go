package handlers

import (
	"slices"
	"testing"

	"github.com/accounting-portal/portal/internal/billing"
)

// The billing tables label exactly the sort keys the domain offers, in
// the same order, so every header sorts and an unknown key's message
// lists the columns as the page shows them.
func TestBillingSorts_LabelTheDomainsKeys(t *testing.T) {
	for name, c := range map[string]struct {
		labels []struct{ Key, Label string }
		keys   []string
	}{"records": {billingSorts, billing.RecordSorts}, "generate requests": {generateSorts, billing.GenerateRequestSorts}} {
		var got []string
		for _, l := range c.labels {
			got = append(got, l.Key)
		}
		if !slices.Equal(got, c.keys) {
			t.Errorf("%s: headers sort by %v, the domain offers %v", name, got, c.keys)
		}
	}
}
