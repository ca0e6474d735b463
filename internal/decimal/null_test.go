package decimal

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestNull(t *testing.T) {
	var n Null
	if err := n.Scan(nil); err != nil || n.Valid || n.String() != "" || n.StringFixed(2) != "" {
		t.Errorf("Scan(nil) = %+v, %v", n, err)
	}
	if v, _ := n.Value(); v != nil {
		t.Errorf("Value of absent = %v", v)
	}
	if err := n.Scan("0.00"); err != nil || !n.Valid || n.String() != "0.00" || n.StringFixed(1) != "0.0" {
		t.Errorf("Scan(0.00) = %+v, %v", n, err)
	}
	if v, _ := n.Value(); v != "0.00" {
		t.Errorf("Value = %v", v)
	}
	if err := n.Scan("1E+101"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Scan(1E+101) = %v", err)
	}

	var v struct {
		A Null `json:"a"`
		B Null `json:"b"`
		C Null `json:"c"`
	}
	if err := json.Unmarshal([]byte(`{"a":null,"b":"-0.50","c":7}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.Valid || !v.B.Valid || v.B.String() != "-0.50" || v.C.String() != "7" {
		t.Errorf("got %+v", v)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"a":null,"b":"-0.50","c":"7"}` {
		t.Errorf("JSON %s", out)
	}
	if err := json.Unmarshal([]byte(`{"a":"x"}`), &v); !errors.Is(err, ErrSyntax) {
		t.Errorf("bad JSON: %v", err)
	}

	if err := n.UnmarshalText(nil); err != nil || n.Valid {
		t.Errorf("UnmarshalText(empty) = %+v, %v", n, err)
	}
	if err := n.UnmarshalText([]byte("2.5")); err != nil || n.String() != "2.5" {
		t.Errorf("UnmarshalText(2.5) = %+v, %v", n, err)
	}
	if b, _ := (Null{}).MarshalText(); len(b) != 0 {
		t.Errorf("MarshalText of absent = %q", b)
	}
	if NullOf(Zero).String() != "0" {
		t.Error("NullOf(0) is not 0")
	}
}
