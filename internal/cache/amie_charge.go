package cache

import "github.com/accounting-portal/portal/internal/usage"

// amieMicros returns a charge in millionths when that is exact and fits an
// int64, else nil (stored as NULL, and summed from the text instead).
func amieMicros(s string) any {
	if m, ok := usage.ChargeMicros(s); ok {
		return m
	}
	return nil
}
