package obi

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accounting-portal/portal/internal/decimal"
)

// docTiers are the tiers of docs/tiered-pricing.md.
var docTiers = []Tier{
	{Min: 0, Max: 100, Fixed: dec("2.0"), Multiplier: dec("0.10")},
	{Min: 100, Max: -1, Fixed: dec("0"), Multiplier: dec("0.05")},
}

var stepTiers = []Tier{
	{Min: 0, Max: 20, Fixed: dec("5"), Multiplier: dec("0")},
	{Min: 20, Max: -1, Fixed: dec("45"), Multiplier: dec("0")},
}

func TestTierCost_DocExamples(t *testing.T) {
	cases := []struct {
		name      string
		tiers     []Tier
		prev, cur int64
		want      string
	}{
		{"usage 50", docTiers, 0, 50, "7.0"},
		{"usage 200", docTiers, 0, 200, "17.0"},
		{"incremental 0-60", docTiers, 0, 60, "8.0"},
		{"incremental 60-130", docTiers, 60, 130, "5.5"},
		{"incremental 130-200", docTiers, 130, 200, "3.5"},
		{"step usage 20", stepTiers, 0, 20, "5"},
		{"step usage 21", stepTiers, 0, 21, "50"},
		{"no usage, fixed cost not charged", stepTiers, 0, 0, "0"},
		{"boundary, second tier entered once", docTiers, 100, 101, "0.05"},
	}
	for _, tc := range cases {
		if got := tierCost(tc.tiers, tc.prev, tc.cur); !got.Equal(dec(tc.want)) {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
	// Charging in increments costs what charging at once does.
	sum := decimal.Zero
	for _, step := range [][2]int64{{0, 60}, {60, 130}, {130, 200}} {
		sum = sum.Add(tierCost(docTiers, step[0], step[1]))
	}
	if !sum.Equal(tierCost(docTiers, 0, 200)) {
		t.Fatalf("increments %s != whole %s", sum, tierCost(docTiers, 0, 200))
	}
}

// TestEstimate_TiersAndDiscount goes through the API: the price valid now
// (the lab's over the default, the newest over older ones) and the
// current discount.
func TestEstimate_TiersAndDiscount(t *testing.T) {
	f := newFixture(t)
	setupFunded(f)
	f.must(201, "POST", "/price", `{"service_type":"oneshot","service_subtype":"synaptome-build","valid_from":"2024-01-01T00:00:00Z","valid_to":null,"vlab_id":null,
		"tiers":[{"min_quantity":100,"max_quantity":null,"fixed_cost":"0","multiplier":"0.05"},{"min_quantity":0,"max_quantity":100,"fixed_cost":"2.0","multiplier":"0.10"}]}`)
	estimate := func(subtype string, count int) string {
		b := f.must(200, "POST", "/estimate/oneshot", fmt.Sprintf(`{"proj_id":%q,"type":"oneshot","subtype":%q,"count":%d}`, projID, subtype, count))
		return string(b)
	}
	if got := estimate("synaptome-build", 200); !strings.Contains(got, `"cost":"17.00"`) {
		t.Fatalf("tiered estimate %s", got)
	}
	// A lab price wins over the default; a newer default would not.
	f.must(201, "POST", "/price", `{"service_type":"oneshot","service_subtype":"synaptome-build","valid_from":"2025-01-01T00:00:00+01:00","valid_to":null,"vlab_id":"`+vlabID+`",
		"tiers":[{"min_quantity":0,"max_quantity":null,"fixed_cost":"1","multiplier":"0.5"}]}`)
	f.must(201, "POST", "/price", `{"service_type":"oneshot","service_subtype":"synaptome-build","valid_from":"2026-01-01T00:00:00Z","valid_to":null,"vlab_id":null,
		"tiers":[{"min_quantity":0,"max_quantity":null,"fixed_cost":"0","multiplier":"9"}]}`)
	if got := estimate("synaptome-build", 3); !strings.Contains(got, `"cost":"2.50"`) {
		t.Fatalf("lab price %s", got)
	}
	f.must(201, "POST", "/discount", `{"vlab_id":"`+vlabID+`","discount":"0.2","valid_from":"2026-11-01T00:00:00Z","valid_to":"2026-12-01T00:00:00Z"}`)
	if got := estimate("synaptome-build", 3); !strings.Contains(got, `"cost":"2.00"`) {
		t.Fatalf("discounted %s", got)
	}
	// The discount in force at computation time applies: after it ends, none.
	f.set(11 * 24 * time.Hour)
	if got := estimate("synaptome-build", 3); !strings.Contains(got, `"cost":"2.50"`) {
		t.Fatalf("after the discount ended %s", got)
	}
	// Half-even rounding of FormattedDecimal: 0.125 -> 0.12.
	addPrice(f, "oneshot", "pair-sim", "0", "0.125")
	if got := estimate("pair-sim", 1); !strings.Contains(got, `"cost":"0.12"`) {
		t.Fatalf("rounding %s", got)
	}
	code, b := f.do("POST", "/estimate/oneshot", `{"proj_id":"`+projID+`","type":"oneshot","subtype":"region-sim","count":1}`)
	if code != 404 || !strings.Contains(string(b), `"message":"Missing price for: `+vlabID+` oneshot region-sim 2026-12-02 10:00:00.123456+00:00"`) {
		t.Fatalf("missing price: %d %s", code, b)
	}
}

func TestReservation_DiscountedAmountKeepsExponent(t *testing.T) {
	f := newFixture(t)
	setupFunded(f)
	f.must(201, "POST", "/discount", `{"vlab_id":"`+vlabID+`","discount":"0.2","valid_from":"2024-01-01T00:00:00Z"}`)
	b := f.must(201, "POST", "/reservation/longrun", `{"proj_id":"`+projID+`","user_id":"`+userID+`","type":"longrun","subtype":"single-cell-sim","duration":"3600","instances":"2"}`)
	if !strings.Contains(string(b), `"amount":"58.800"`) { // 73.50 × (1 - 0.2), Python Decimal exponent
		t.Fatalf("reservation %s", b)
	}
}
