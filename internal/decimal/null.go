package decimal

import (
	"database/sql/driver"
)

// Null is a Decimal that may be absent: SQL NULL, JSON null, an empty form
// field. It is the type for "no value", which is not the same as 0.
type Null struct {
	Decimal Decimal
	Valid   bool // false when absent
}

// NullOf returns d as a present Null.
func NullOf(d Decimal) Null { return Null{Decimal: d, Valid: true} }

// String returns the Decimal's text, or "" when absent (so that pages and
// CSVs show absence as an empty cell, not 0).
func (n Null) String() string {
	if !n.Valid {
		return ""
	}
	return n.Decimal.String()
}

// StringFixed is Decimal.StringFixed, or "" when absent.
func (n Null) StringFixed(places int) string {
	if !n.Valid {
		return ""
	}
	return n.Decimal.StringFixed(places)
}

// Scan reads NULL as absent and anything else as Decimal.Scan does.
func (n *Null) Scan(src any) error {
	if src == nil {
		*n = Null{}
		return nil
	}
	var d Decimal
	if err := d.Scan(src); err != nil {
		return err
	}
	*n = NullOf(d)
	return nil
}

// Value stores an absent value as NULL.
func (n Null) Value() (driver.Value, error) {
	if !n.Valid {
		return nil, nil
	}
	return n.Decimal.Value()
}

// MarshalJSON writes null when absent, else the Decimal as a JSON string.
func (n Null) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return n.Decimal.MarshalJSON()
}

// UnmarshalJSON reads null as absent and anything else as Decimal does.
func (n *Null) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Null{}
		return nil
	}
	var d Decimal
	if err := d.UnmarshalJSON(b); err != nil {
		return err
	}
	*n = NullOf(d)
	return nil
}

// MarshalText writes "" when absent.
func (n Null) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalText reads "" as absent and anything else as Parse does.
func (n *Null) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*n = Null{}
		return nil
	}
	var d Decimal
	if err := d.UnmarshalText(b); err != nil {
		return err
	}
	*n = NullOf(d)
	return nil
}
