package cache

import (
	"slices"
	"testing"

	"github.com/accounting-portal/portal/internal/usage"
)

// TestUsageSorts_EveryKeyHasAColumn holds the sort keys the usage pages
// offer (usage.*Sorts) and the cache's columns for them together. The
// keys stay sorted: a refused sort key's message lists them in order.
func TestUsageSorts_EveryKeyHasAColumn(t *testing.T) {
	for name, c := range map[string]struct {
		keys    []string
		columns map[string]string
	}{
		"status": {usage.StatusSorts, statusSortColumns}, "failed": {usage.FailedSorts, failedSortColumns},
		"clears": {usage.ClearSorts, clearSortColumns}, "uploads": {usage.UploadSorts, uploadSortColumns},
		"upload records": {usage.UploadRecordSorts, uploadRecordSortColumns},
	} {
		if len(c.keys) != len(c.columns) {
			t.Errorf("%s: %d sort keys, %d columns", name, len(c.keys), len(c.columns))
		}
		for _, k := range c.keys {
			if c.columns[k] == "" {
				t.Errorf("%s: sort key %q has no column", name, k)
			}
		}
		if !slices.IsSorted(c.keys) {
			t.Errorf("%s: sort keys %v are not in order", name, c.keys)
		}
	}
}
