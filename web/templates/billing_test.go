package templates

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/accounting-portal/portal/internal/decimal"
	"github.com/accounting-portal/portal/internal/portal"
)

func TestBillingUnits(t *testing.T) {
	cases := []struct{ got, want string }{
		// RAM is in MB (MiB): 65536 MB is 64 GiB, 2 097 152 MB is 2 TiB.
		{FormatMB(65536), "64.00 GiB"},
		{FormatMB(512), "0.50 GiB"},
		{FormatMB(2097152), "2.00 TiB"},
		{FormatMB(1163529), "1.11 TiB"},
		// Storage is in bytes.
		{FormatBytes(0), "0.00 GiB"},
		{FormatBytes(107374182400), "100.00 GiB"},    // pyvergeos sample tier_0_used
		{FormatBytes(1099511627776), "1.00 TiB"},     // its tier_0_total
		{FormatBytes(1099511627775), "1,024.00 GiB"}, // a byte short of a TiB stays in GiB
		{FormatBytes(3 << 50), "3.00 PiB"},           //
		{FormatBytesF(1.5 * (1 << 40)), "1.50 TiB"},  // a mean
		{FormatGiB(1512.7256), "1.48 TiB"},           // the SDK's peak_ram_gb
		{Percent(42.04), "42.0 %"},                   //
		{Percent(99.96), "100.0 %"},                  //
		{FormatUnix(0), "—"},                         // not reported
		{FormatUnix(1704067201), "2024-01-01 00:00:01 UTC"},
		{FormatPeriod(1704067200, 1704070800), "2024-01-01 00:00 → 01:00 UTC"},
		{FormatPeriod(1704063600, 1704067200), "2023-12-31 23:00 → 2024-01-01 00:00 UTC"}, // the sample record
		{FormatPeriodShort(1704067200, 1704070800), "2024-01-01 00:00 → 01:00"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if got := TiB(float64(int64(5) << 40)); got != 5 {
		t.Errorf("TiB: %v", got)
	}
}

func TestBillingRecord_RendersUpstreamTextEscaped(t *testing.T) {
	r := BillingRecordRow{Key: "7", Href: "/billing/records/7", Description: `<script>alert(1)</script>`, From: 1704063600, To: 1704067200,
		UsedRAM: 65536, TotalRAM: 131072, Tiers: [6]BillingTierRow{{Tier: 0, Used: 107374182400, Total: 1099511627776, Percent: 9.765625}}}
	var buf bytes.Buffer
	v := BillingRecordView{Page: Page{Title: "x", User: &portal.User{Subject: "s"}}, Record: r, CSVHref: "/billing/records/7.csv"}
	if err := BillingRecord(v).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	if strings.Contains(html, "<script>alert") || !strings.Contains(html, "&lt;script&gt;") {
		t.Fatal("the description is not escaped")
	}
	for _, want := range []string{"64.00 GiB of 128.00 GiB", "65,536 of 131,072 MB", "100.00 GiB", "1.00 TiB", "9.8 %", "not reported"} {
		if !strings.Contains(html, want) {
			t.Errorf("record page lacks %q", want)
		}
	}
}

// TestNumbers: one format for figures on pages — separators, fixed
// decimals per unit, no "-0", and anything not a plain number unchanged.
func TestNumbers(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Group("721732.07"), "721,732.07"},
		{Group("-1702854.5"), "-1,702,854.5"},
		{Group("999"), "999"},
		{Group("—"), "—"},
		{Group("1e5"), "1e5"},
		{Int(6238), "6,238"},
		{Int(-1234567), "-1,234,567"},
		{Credits(decimal.MustParse("721732.065")), "721,732.06"}, // half to even
		{Credits(decimal.MustParse("-0.001")), "0.00"},
		{Money(decimal.MustParse("1250")), "1,250.00"},
		{Exact(decimal.MustParse("12345.678")), "12,345.678"},
		{ExactText("1234.50"), "1,234.50"},
		{Percent(1234.56), "1,234.6 %"},
		{Percent(-0.01), "0.0 %"},
		{PercentOf(decimal.MustParse("87.25")), "87.2 %"},
		{Mean(1234.5), "1,234.50"},
		{MetricNumber(721732.07), "721,732.07"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
