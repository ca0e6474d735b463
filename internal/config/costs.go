package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/accounting-portal/portal/internal/decimal"
)

// Costs configures the rate card, budgets and cross-source checks.
type Costs struct {
	// BaseCurrency is the site's one base currency ("EUR").
	BaseCurrency string
	// WarnPercent is the share of a budget spent that flags it.
	WarnPercent decimal.Decimal
	// TolerancePercent is how far two sources measuring the same thing may
	// differ before the cross-source checks flag it.
	TolerancePercent decimal.Decimal
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

func currency(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		v = strings.TrimSpace(v)
		if !currencyCode.MatchString(v) {
			return fmt.Errorf("%q is not a three-letter currency code such as EUR", v)
		}
		*p(c) = v
		return nil
	}
}

func percent(p func(*Config) *decimal.Decimal) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := decimal.Parse(strings.TrimSpace(v))
		if err != nil || d.Sign() < 0 || d.Cmp(decimal.NewFromInt(1000)) > 0 {
			return fmt.Errorf("%q is not a percentage between 0 and 1000", v)
		}
		*p(c) = d
		return nil
	}
}
