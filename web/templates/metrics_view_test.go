package templates

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestMetricNumberAndPeriodLabel(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 12.5: "12.5", 1843.25: "1,843.25", 1234567: "1,234,567", -0.5: "-0.5", -1234.5: "-1,234.5", 1e21: "1,000,000,000,000,000,000,000", 0.123456789: "0.1235", 1234.5000001: "1,234.5"} {
		if got := MetricNumber(v); got != want {
			t.Errorf("MetricNumber(%v) = %q, want %q", v, got, want)
		}
	}
	if r := RoundMetric(0.1 + 0.2); r != 0.3 {
		t.Errorf("RoundMetric(0.1+0.2) = %v", r)
	}
	if r := RoundMetric(-0.00001); MetricNumber(r) != "0" {
		t.Errorf("a tiny negative total prints %q", MetricNumber(r))
	}
	d := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for g, want := range map[string]string{"day": "2026-03-02", "week": "2026-W10", "month": "2026-03"} {
		if got := PeriodLabel(d, g); got != want {
			t.Errorf("PeriodLabel(%s) = %q, want %q", g, got, want)
		}
	}
}

func TestPushForm_MarksFieldsAndEscapesInput(t *testing.T) {
	v := PushFormView{Inst: InstallationFacts{ID: "i1", Name: "hpc"}, Action: "/metrics/installations/i1/push",
		Values: map[string]string{"value": `"><script>x</script>`}, Errors: map[string]string{"value": "Enter a number."}}
	var b bytes.Buffer
	if err := PushForm(v).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if strings.Contains(html, "<script>x") {
		t.Fatal("input rendered unescaped")
	}
	if !strings.Contains(html, `aria-invalid="true" aria-describedby="p-value-hint p-value-error"`) || !strings.Contains(html, `id="p-value-error"`) {
		t.Errorf("the value field is not marked invalid with its message:\n%s", html)
	}
	if strings.Contains(html, "p-start-error") {
		t.Error("a field without a problem refers to an error message")
	}
}
